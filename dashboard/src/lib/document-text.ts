import { parseJsonField } from "./json-text";

type Doc = Record<string, unknown>;

/** Checks a document before it is sent: an object, no top-level operator keys. The server's validator has the last word. */
export function checkDocumentText(text: string): { doc?: Doc; error?: string } {
  const r = parseJsonField<Doc>(text, "document");
  if (r.error) return { error: r.error };
  const doc = r.value;
  if (!doc || typeof doc !== "object" || Array.isArray(doc)) return { error: "a document is a JSON object" };
  const op = Object.keys(doc).find((k) => k.startsWith("$"));
  if (op) return { error: `field names may not start with $ (${op})` };
  return { doc };
}
