import { z } from "@hono/zod-openapi";
import { Decimal128, ObjectId } from "bson";
import { AppError, badRequest } from "./errors";
import { isPlainObject, parseEjson, type Doc } from "./ejson";

/**
 * Import: a file's rows become documents. The formats and options, the column → field mapping (dotted paths nest), a
 * type per field, formula cells. Pure: reading the file is worker/lib/import-stream.ts (text) and xlsx-reader.ts, and
 * writing it is worker/imports/run.ts.
 */
export const IMPORT_FORMATS = ["csv", "tsv", "ndjson", "json", "xlsx"] as const;
export type ImportFormat = (typeof IMPORT_FORMATS)[number];
export const FIELD_TYPES = [
  "auto",
  "string",
  "number",
  "integer",
  "decimal",
  "boolean",
  "date",
  "objectId",
  "json",
] as const;
export type FieldType = (typeof FIELD_TYPES)[number];

export const ImportOptions = z.object({
  /** column → field path; columns not named keep their own name; a column mapped to "" is skipped. */
  mapping: z.record(z.string(), z.string().max(300)).default({}),
  /** field path → type; fields not named keep what the file says (text for CSV, JSON types for JSON). */
  types: z.record(z.string(), z.enum(FIELD_TYPES)).default({}),
  nullIfEmpty: z.boolean().default(true),
  upsertKeys: z.array(z.string().min(1).max(300)).max(10).default([]),
  onError: z.enum(["skip", "stop"]).default("skip"),
  /** Whether the import's writes emit change events (webhooks and scripts see imports by default). */
  events: z.boolean().default(true),
  /** Spreadsheet formats: a text cell a spreadsheet would run as a formula is refused (reject) or kept as text (keep). */
  formulas: z.enum(["reject", "keep"]).default("reject"),
  /** XLSX: the sheet to read (default: the first). */
  sheet: z.string().min(1).max(100).optional(),
});
export type ImportOptions = z.infer<typeof ImportOptions>;

export function detectFormat(contentType: string, explicit?: string | null): ImportFormat {
  if (explicit) {
    if (!(IMPORT_FORMATS as readonly string[]).includes(explicit))
      throw badRequest("INVALID_PARAMETER", `format must be one of ${IMPORT_FORMATS.join(", ")}`, {
        parameter: "format",
      });
    return explicit as ImportFormat;
  }
  const t = contentType.toLowerCase();
  if (t.includes("tab-separated")) return "tsv";
  if (t.includes("ndjson") || t.includes("jsonl")) return "ndjson";
  if (t.includes("json")) return "json";
  if (t.includes("csv") || t.includes("text/plain")) return "csv";
  if (t.includes("spreadsheetml") || t.includes("ms-excel")) return "xlsx";
  throw new AppError(
    415,
    "UNSUPPORTED_MEDIA_TYPE",
    "send text/csv, text/tab-separated-values, application/x-ndjson, application/json or an XLSX workbook (application/vnd.openxmlformats-officedocument.spreadsheetml.sheet), or name the format with ?format=",
  );
}

const INT = /^-?\d+$/;
const NUM = /^-?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i;

/** One value as the field's type, or the reason it cannot be. */
export function coerce(raw: unknown, type: FieldType, nullIfEmpty: boolean): { value?: unknown; error?: string } {
  if (typeof raw !== "string") {
    if (type === "auto" || raw === null || raw === undefined) return { value: raw ?? null };
    return coerce(
      raw instanceof Date ? raw.toISOString() : typeof raw === "object" ? JSON.stringify(raw) : String(raw),
      type,
      nullIfEmpty,
    );
  }
  const text = raw.trim();
  if (text === "" && type !== "string")
    return nullIfEmpty ? { value: null } : type === "auto" ? { value: "" } : { error: "empty value" };
  switch (type) {
    case "auto":
    case "string":
      return { value: raw === "" && nullIfEmpty && type === "auto" ? null : raw };
    case "integer":
      return INT.test(text) && Number.isSafeInteger(Number(text))
        ? { value: Number(text) }
        : { error: `"${text.slice(0, 40)}" is not an integer` };
    case "number":
      return NUM.test(text) ? { value: Number(text) } : { error: `"${text.slice(0, 40)}" is not a number` };
    case "decimal":
      return NUM.test(text)
        ? { value: Decimal128.fromString(text) }
        : { error: `"${text.slice(0, 40)}" is not a decimal` };
    case "boolean":
      if (/^(true|yes|1)$/i.test(text)) return { value: true };
      if (/^(false|no|0)$/i.test(text)) return { value: false };
      return { error: `"${text.slice(0, 40)}" is not a boolean` };
    case "date": {
      const d = new Date(text);
      return Number.isNaN(d.getTime()) ? { error: `"${text.slice(0, 40)}" is not a date` } : { value: d };
    }
    case "objectId":
      return /^[0-9a-f]{24}$/i.test(text)
        ? { value: new ObjectId(text) }
        : { error: `"${text.slice(0, 40)}" is not an ObjectId` };
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
export function toDocument(
  values: Doc,
  options: ImportOptions,
): { doc?: Doc; error?: { reason: string; path?: string } } {
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

/**
 * Text a spreadsheet would run as a formula: "=…", or "+ - @" followed by a call, a DDE pipe or a sheet reference,
 * or a leading tab or carriage return. "-5" and "@handle" are data.
 */
export function looksLikeFormula(text: string): boolean {
  return /^[=\t\r]/.test(text) || (/^[+\-@]/.test(text) && /[(|!]/.test(text));
}

/** Undoes the apostrophe Docflare's CSV export puts before formula-looking text, so an export re-imports as it was. */
export function unneutralise(text: string): string {
  return text.startsWith("'") && /^'[=+\-@\t\r]/.test(text) ? text.slice(1) : text;
}

/** The first field whose text looks like a formula, if any. */
export function formulaField(doc: Doc, prefix = ""): string | undefined {
  for (const [k, v] of Object.entries(doc)) {
    if (typeof v === "string" && looksLikeFormula(v)) return prefix + k;
    if (isPlainObject(v)) {
      const inner = formulaField(v as Doc, `${prefix}${k}.`);
      if (inner) return inner;
    }
  }
  return undefined;
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
    const values = rows
      .slice(0, 500)
      .map((r) => r.values[column])
      .filter((v) => v !== undefined && v !== null && v !== "");
    if (values.some((v) => typeof v !== "string")) {
      out[column] = "auto";
      continue;
    }
    const texts = values.map((v) => String(v).trim());
    const found = texts.length
      ? TYPE_TESTS.find(([, test]) => texts.filter(test).length / texts.length >= 0.9)
      : undefined;
    out[column] = found?.[0] ?? "string";
  }
  return out;
}
