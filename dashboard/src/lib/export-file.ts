/**
 * The spreadsheet export built in the browser (XLSX; CSV, JSON and NDJSON stream from the API): nested fields
 * flattened to dotted columns, cells a spreadsheet would run as formulas neutralised.
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
