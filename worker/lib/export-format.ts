import { Binary, BSONRegExp, Decimal128, Long, ObjectId, Timestamp } from "bson";
import { AppError } from "./errors";
import { isPlainObject, stringify, toJson, type Doc } from "./ejson";

/**
 * Export encodings, one page of documents at a time: NDJSON and JSON arrays in relaxed EJSON, EJSON arrays in
 * canonical EJSON (every type exact), CSV (and XLSX, worker/lib/xlsx-writer.ts) with nested fields flattened to dotted
 * columns. Pure; the route streams.
 */
export const EXPORT_FORMATS = ["csv", "ndjson", "json", "ejson", "xlsx"] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

export const CONTENT_TYPE: Record<ExportFormat, string> = {
  csv: "text/csv; charset=utf-8",
  ndjson: "application/x-ndjson",
  json: "application/json; charset=utf-8",
  ejson: "application/ejson",
  xlsx: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
};

/** Columns a CSV export may have; wider data is refused up front rather than cut. */
export const MAX_CSV_COLUMNS = 1000;

/** Whether a value is a leaf for CSV: anything but a plain sub-document (BSON types and arrays are leaves). */
const isLeaf = (v: unknown) => !isPlainObject(v);

/** Adds a document's dotted leaf paths, in order of first appearance, to `columns`. */
export function collectColumns(doc: Doc, columns: Set<string>, prefix = ""): void {
  for (const [k, v] of Object.entries(doc)) {
    const path = prefix ? `${prefix}.${k}` : k;
    if (isLeaf(v) || Object.keys(v as Doc).length === 0) {
      if (!columns.has(path)) {
        if (columns.size >= MAX_CSV_COLUMNS)
          throw new AppError(
            400,
            "TOO_MANY_COLUMNS",
            `a CSV export has at most ${MAX_CSV_COLUMNS} columns; choose fields with \`fields\`, or export NDJSON`,
          );
        columns.add(path);
      }
    } else collectColumns(v as Doc, columns, path);
  }
}

export function valueAt(doc: Doc, path: string): unknown {
  let cur: unknown = doc;
  for (const part of path.split(".")) {
    if (!isPlainObject(cur)) return undefined;
    cur = (cur as Doc)[part];
  }
  return cur;
}

/**
 * A cell's text: dates as ISO 8601, ObjectIds as hex, decimals and longs exactly, arrays and empty objects as JSON,
 * and text a spreadsheet would run as a formula (= + - @, tab, CR) prefixed with an apostrophe.
 */
export function csvCell(v: unknown): string {
  const text = typeof v === "string" ? (/^[=+\-@\t\r]/.test(v) ? `'${v}` : v) : cellText(v);
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** A value as a sheet cell's text (CSV, and XLSX for what has no cell type of its own). */
export function cellText(v: unknown): string {
  if (v === undefined || v === null) return "";
  if (typeof v === "string") return v;
  if (typeof v === "number" || typeof v === "boolean") return String(v);
  if (v instanceof Date) return Number.isNaN(v.getTime()) ? "" : v.toISOString();
  if (v instanceof ObjectId) return v.toHexString();
  if (v instanceof Decimal128 || v instanceof Long) return v.toString();
  if (v instanceof Binary || v instanceof BSONRegExp || v instanceof Timestamp) return stringify(v);
  return JSON.stringify(toJson(v));
}

export function csvHeader(columns: string[]): string {
  return `${columns.map(csvCell).join(",")}\r\n`;
}

export function csvRows(docs: Doc[], columns: string[]): string {
  let out = "";
  for (const d of docs) out += `${columns.map((c) => csvCell(valueAt(d, c))).join(",")}\r\n`;
  return out;
}

/** One page's text in a streaming array or line format; `first` says whether the page opens the output. */
export function encodePage(format: Exclude<ExportFormat, "csv" | "xlsx">, docs: Doc[], first: boolean): string {
  if (format === "ndjson") return docs.map((d) => `${JSON.stringify(toJson(d))}\n`).join("");
  const canonical = format === "ejson";
  const items = docs.map((d) => JSON.stringify(toJson(d, canonical)));
  if (items.length === 0) return "";
  return `${first ? "" : ","}\n${items.join(",\n")}`;
}

export function fileName(collection: string, format: ExportFormat): string {
  const safe = collection.replace(/[^\w.-]/g, "_") || "export";
  return `${safe}.${format === "ejson" ? "ejson.json" : format}`;
}
