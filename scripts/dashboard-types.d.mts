export const TYPES_FILE: string;
export function renderTypes(doc: unknown): Promise<string>;
