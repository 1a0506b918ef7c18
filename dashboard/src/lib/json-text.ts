/** Parses an editor's JSON text; the error names the field so the screen can say which input is wrong. */
export function parseJsonField<T = unknown>(text: string, field: string): { value?: T; error?: string } {
  if (!text.trim()) return { error: `${field} is empty` };
  try {
    return { value: JSON.parse(text) as T };
  } catch (err) {
    return { error: `${field} is not valid JSON: ${(err as Error).message}` };
  }
}

export const JSON_SCHEMA_KEYWORDS = [
  "type",
  "properties",
  "required",
  "additionalProperties",
  "items",
  "enum",
  "const",
  "minimum",
  "maximum",
  "minLength",
  "maxLength",
  "pattern",
  "format",
  "anyOf",
  "oneOf",
  "allOf",
  "not",
  "minItems",
  "maxItems",
  "uniqueItems",
  "description",
  "string",
  "number",
  "integer",
  "boolean",
  "object",
  "array",
  "null",
];

/** An optional JSON field: empty text is `null` (no filter, no headers), anything else must parse. */
export function parseOptionalJson<T>(text: string, field: string): { value?: T | null; error?: string } {
  return text.trim() ? parseJsonField<T>(text, field) : { value: null };
}
