export declare const DOC_FILES: string[];
export declare function shellBlocks(markdown: string): Array<{ line: number; code: string; skipped: boolean }>;
export declare function docScript(file: string): { blocks: number; script: string } | null;
