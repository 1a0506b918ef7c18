/**
 * Files for "export the current query": CSV flattens nested fields to dotted columns and neutralises cells a
 * spreadsheet would run as formulas; JSON and NDJSON keep relaxed EJSON, so a re-import restores the types.
 */
import { displayValue, ejsonKind } from "./format";

type Doc = Record<string, unknown>;

export function flatten(doc: Doc, prefix = "", out: Record<string, unknown> = {}): Record<string, unknown> {
  for (const [k, v] of Object.entries(doc)) {
    const path = prefix ? `${prefix}.${k}` : k;
    if (ejsonKind(v) === "object") flatten(v as Doc, path, out);
    else out[path] = v;
  }
  return out;
}

/** A cell's text: typed values as their plain form, arrays as JSON, formula-looking text prefixed with '. */
export function cellText(v: unknown): string {
  const kind = ejsonKind(v);
  const text = kind === "array" ? JSON.stringify(v) : v === undefined ? "" : displayValue(v);
  return /^[=+\-@\t\r]/.test(text) && kind === "string" ? `'${text}` : text;
}

export function toRows(docs: Doc[]): { columns: string[]; rows: string[][] } {
  const flat = docs.map((d) => flatten(d));
  const columns = [...new Set(flat.flatMap((f) => Object.keys(f)))];
  return { columns, rows: flat.map((f) => columns.map((c) => (c in f ? cellText(f[c]) : ""))) };
}

export function toCsv(docs: Doc[]): string {
  const { columns, rows } = toRows(docs);
  const quote = (s: string) => (/[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);
  return [columns, ...rows].map((r) => r.map(quote).join(",")).join("\n") + "\n";
}

export const toNdjson = (docs: Doc[]) => docs.map((d) => JSON.stringify(d)).join("\n") + (docs.length ? "\n" : "");
export const toJsonArray = (docs: Doc[]) => JSON.stringify(docs, null, 2);

export function download(name: string, data: BlobPart, type: string): void {
  const url = URL.createObjectURL(new Blob([data], { type }));
  const a = document.createElement("a");
  a.href = url;
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}
