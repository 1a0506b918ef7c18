import { z } from "@hono/zod-openapi";
import { Decimal128, ObjectId } from "bson";
import Papa from "papaparse";
import { AppError, badRequest } from "./errors";
import { isPlainObject, parseEjson, type Doc } from "./ejson";

/**
 * Import: a file's rows become documents. Parsing (CSV and TSV with papaparse, NDJSON, a JSON array), the column →
 * field mapping (dotted paths nest), a type per field, and each bad row's number and reason. Pure; the route writes.
 */
export const IMPORT_FORMATS = ["csv", "tsv", "ndjson", "json"] as const;
export type ImportFormat = (typeof IMPORT_FORMATS)[number];
export const FIELD_TYPES = ["auto", "string", "number", "integer", "decimal", "boolean", "date", "objectId", "json"] as const;
export type FieldType = (typeof FIELD_TYPES)[number];

export const ImportOptions = z.object({
  /** column → field path; columns not named keep their own name; a column mapped to "" is skipped. */
  mapping: z.record(z.string(), z.string().max(300)).default({}),
  /** field path → type; fields not named keep what the file says (text for CSV, JSON types for JSON). */
  types: z.record(z.string(), z.enum(FIELD_TYPES)).default({}),
  nullIfEmpty: z.boolean().default(true),
  upsertKeys: z.array(z.string().min(1).max(300)).max(10).default([]),
  onError: z.enum(["skip", "stop"]).default("skip"),
});
export type ImportOptions = z.infer<typeof ImportOptions>;

/** Rows per file: larger imports belong to the streaming job API, not one request. */
export const MAX_IMPORT_ROWS = 50_000;
export const MAX_IMPORT_COLUMNS = 1000;

export interface RowError {
  row: number;
  reason: string;
  code: string;
  path?: string;
}

export function detectFormat(contentType: string, explicit?: string | null): ImportFormat {
  if (explicit) {
    if (!(IMPORT_FORMATS as readonly string[]).includes(explicit)) throw badRequest("INVALID_PARAMETER", `format must be one of ${IMPORT_FORMATS.join(", ")}`, { parameter: "format" });
    return explicit as ImportFormat;
  }
  const t = contentType.toLowerCase();
  if (t.includes("tab-separated")) return "tsv";
  if (t.includes("ndjson") || t.includes("jsonl")) return "ndjson";
  if (t.includes("json")) return "json";
  if (t.includes("csv") || t.includes("text/plain")) return "csv";
  throw new AppError(415, "UNSUPPORTED_MEDIA_TYPE", "send text/csv, text/tab-separated-values, application/x-ndjson or application/json, or name the format with ?format=");
}

/** The file's rows, numbered as a person reading the file would (a CSV's first data row is row 2). */
export function parseRows(text: string, format: ImportFormat): { columns: string[]; rows: { row: number; values: Doc }[]; errors: RowError[] } {
  const errors: RowError[] = [];
  if (format === "csv" || format === "tsv") {
    const parsed = Papa.parse<Record<string, string>>(text, { header: true, skipEmptyLines: "greedy", delimiter: format === "tsv" ? "\t" : "" });
    const columns = parsed.meta.fields ?? [];
    if (columns.length > MAX_IMPORT_COLUMNS) throw badRequest("TOO_MANY_COLUMNS", `a file has at most ${MAX_IMPORT_COLUMNS} columns; this one has ${columns.length}`);
    if (parsed.data.length > MAX_IMPORT_ROWS) throw badRequest("TOO_MANY_ROWS", `one request imports at most ${MAX_IMPORT_ROWS} rows`);
    const broken = new Map<number, string>();
    for (const e of parsed.errors) if (e.row !== undefined && e.code !== "UndetectableDelimiter") broken.set(e.row, e.message);
    const rows: { row: number; values: Doc }[] = [];
    parsed.data.forEach((values, i) => {
      if (broken.has(i)) errors.push({ row: i + 2, reason: broken.get(i)!, code: "MALFORMED_ROW" });
      else rows.push({ row: i + 2, values });
    });
    return { columns, rows, errors };
  }
  const lines = format === "ndjson" ? text.split(/\r?\n/) : null;
  let items: unknown[];
  if (lines) {
    items = [];
    lines.forEach((line, i) => {
      if (!line.trim()) return;
      try {
        items.push({ row: i + 1, value: parseEjson(line, `line ${i + 1}`) });
      } catch (err) {
        errors.push({ row: i + 1, reason: (err as Error).message, code: "MALFORMED_ROW" });
      }
    });
  } else {
    const parsed = parseEjson(text, "body");
    if (!Array.isArray(parsed)) throw badRequest("INVALID_BODY", "a JSON import is an array of documents");
    items = parsed.map((value, i) => ({ row: i + 1, value }));
  }
  if (items.length > MAX_IMPORT_ROWS) throw badRequest("TOO_MANY_ROWS", `one request imports at most ${MAX_IMPORT_ROWS} rows`);
  const rows: { row: number; values: Doc }[] = [];
  for (const item of items as { row: number; value: unknown }[]) {
    if (isPlainObject(item.value)) rows.push({ row: item.row, values: item.value as Doc });
    else errors.push({ row: item.row, reason: "a row must be a JSON object", code: "INVALID_DOCUMENT" });
  }
  const columns = [...new Set(rows.flatMap((r) => Object.keys(r.values)))];
  return { columns, rows, errors };
}

const INT = /^-?\d+$/;
const NUM = /^-?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i;

/** One value as the field's type, or the reason it cannot be. */
export function coerce(raw: unknown, type: FieldType, nullIfEmpty: boolean): { value?: unknown; error?: string } {
  if (typeof raw !== "string") {
    if (type === "auto" || raw === null || raw === undefined) return { value: raw ?? null };
    return coerce(raw instanceof Date ? raw.toISOString() : typeof raw === "object" ? JSON.stringify(raw) : String(raw), type, nullIfEmpty);
  }
  const text = raw.trim();
  if (text === "" && type !== "string") return nullIfEmpty ? { value: null } : type === "auto" ? { value: "" } : { error: "empty value" };
  switch (type) {
    case "auto":
    case "string":
      return { value: raw === "" && nullIfEmpty && type === "auto" ? null : raw };
    case "integer":
      return INT.test(text) && Number.isSafeInteger(Number(text)) ? { value: Number(text) } : { error: `"${text.slice(0, 40)}" is not an integer` };
    case "number":
      return NUM.test(text) ? { value: Number(text) } : { error: `"${text.slice(0, 40)}" is not a number` };
    case "decimal":
      return NUM.test(text) ? { value: Decimal128.fromString(text) } : { error: `"${text.slice(0, 40)}" is not a decimal` };
    case "boolean":
      if (/^(true|yes|1)$/i.test(text)) return { value: true };
      if (/^(false|no|0)$/i.test(text)) return { value: false };
      return { error: `"${text.slice(0, 40)}" is not a boolean` };
    case "date": {
      const d = new Date(text);
      return Number.isNaN(d.getTime()) ? { error: `"${text.slice(0, 40)}" is not a date` } : { value: d };
    }
    case "objectId":
      return /^[0-9a-f]{24}$/i.test(text) ? { value: new ObjectId(text) } : { error: `"${text.slice(0, 40)}" is not an ObjectId` };
    case "json":
      try {
        return { value: parseEjson(text, "value") };
      } catch {
        return { error: `"${text.slice(0, 40)}" is not JSON` };
      }
  }
}

function setPath(doc: Doc, path: string, value: unknown): string | undefined {
  const parts = path.split(".");
  if (parts.some((p) => p === "")) return `field "${path}" has an empty part`;
  let cur = doc;
  for (const p of parts.slice(0, -1)) {
    const next = cur[p];
    if (next === undefined) cur = cur[p] = {};
    else if (isPlainObject(next)) cur = next as Doc;
    else return `field "${path}" collides with "${p}"`;
  }
  cur[parts[parts.length - 1]] = value;
  return undefined;
}

/** A row as a document: each column to its field (dotted paths nest), each field to its type. */
export function toDocument(values: Doc, options: ImportOptions): { doc?: Doc; error?: { reason: string; path?: string } } {
  const doc: Doc = {};
  for (const [column, raw] of Object.entries(values)) {
    const field = column in options.mapping ? options.mapping[column] : column;
    if (!field) continue;
    const { value, error } = coerce(raw, options.types[field] ?? "auto", options.nullIfEmpty);
    if (error) return { error: { reason: `${field}: ${error}`, path: field } };
    const clash = setPath(doc, field, value);
    if (clash) return { error: { reason: clash, path: field } };
  }
  return { doc };
}

/** The upsert filter for a document: its values at the upsert keys (all must be present). */
export function upsertFilter(doc: Doc, keys: string[]): Doc | { error: string } {
  const filter: Doc = {};
  for (const k of keys) {
    let cur: unknown = doc;
    for (const part of k.split(".")) cur = isPlainObject(cur) ? (cur as Doc)[part] : undefined;
    if (cur === undefined || cur === null) return { error: `upsert key "${k}" is missing` };
    filter[k] = cur;
  }
  return filter;
}

const TYPE_TESTS: [Exclude<FieldType, "auto" | "json" | "string">, (v: string) => boolean][] = [
  ["boolean", (v) => /^(true|false)$/i.test(v)],
  ["integer", (v) => INT.test(v)],
  ["number", (v) => NUM.test(v)],
  ["date", (v) => /^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/.test(v)],
  ["objectId", (v) => /^[0-9a-f]{24}$/i.test(v)],
];

/** For text columns: the type nearly all (90%) of a sample's non-empty values read as, else string. */
export function inferTypes(rows: { values: Doc }[], columns: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const column of columns) {
    const values = rows.slice(0, 500).map((r) => r.values[column]).filter((v) => v !== undefined && v !== null && v !== "");
    if (values.some((v) => typeof v !== "string")) {
      out[column] = "auto";
      continue;
    }
    const texts = values.map((v) => String(v).trim());
    const found = texts.length ? TYPE_TESTS.find(([, test]) => texts.filter(test).length / texts.length >= 0.9) : undefined;
    out[column] = found?.[0] ?? "string";
  }
  return out;
}
