/**
 * Import mapping: which column becomes which field (dotted paths make nested documents), which type each field gets,
 * and the rows that cannot become documents, each with its number and reason. Used by the import screen's preview
 * and by the batches it sends, so what the preview shows is what is stored.
 */
export type FieldType = "auto" | "string" | "number" | "integer" | "boolean" | "date" | "objectId" | "json" | "skip";
export type ColumnMapping = { column: string; field: string; type: FieldType; nullIfEmpty: boolean };
export type RowError = { row: number; reason: string };
export type Mapped = { documents: Record<string, unknown>[]; rowNumbers: number[]; errors: RowError[] };

const INT = /^-?\d+$/;
const NUM = /^-?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i;
const OID = /^[0-9a-f]{24}$/i;
const ISO_DATE = /^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/;

/** Share of a column's values that must read as a type for the column to get it; the rest show up as bad rows. */
const MAJORITY = 0.9;

/**
 * The most specific type that nearly all of a column's non-empty sample values read as. A few bad cells do not
 * turn a number column into text: they are reported as bad rows in the preview instead.
 */
export function inferType(values: unknown[]): Exclude<FieldType, "auto" | "skip"> {
  const texts = values
    .filter((v) => v !== null && v !== undefined && String(v).trim() !== "")
    .map((v) => (typeof v === "string" ? v.trim() : v));
  if (texts.length === 0) return "string";
  const share = (test: (v: unknown) => boolean) => texts.filter(test).length / texts.length;
  if (share((v) => typeof v === "boolean" || /^(true|false)$/i.test(String(v))) >= MAJORITY) return "boolean";
  if (share((v) => (typeof v === "number" && Number.isInteger(v)) || INT.test(String(v))) >= MAJORITY) return "integer";
  if (share((v) => typeof v === "number" || NUM.test(String(v))) >= MAJORITY) return "number";
  if (share((v) => v instanceof Date || ISO_DATE.test(String(v))) >= MAJORITY) return "date";
  if (share((v) => OID.test(String(v))) >= MAJORITY) return "objectId";
  return "string";
}

export function defaultMapping(columns: string[], sample: Record<string, unknown>[]): ColumnMapping[] {
  return columns.map((column) => ({
    column,
    field: column.trim().replace(/^\$+/, "") || column,
    type: inferType(sample.map((r) => r[column])),
    nullIfEmpty: true,
  }));
}

/** One cell as the field's type, as relaxed EJSON (what the API stores), or the reason it cannot be. */
export function coerce(raw: unknown, type: FieldType, nullIfEmpty: boolean): { value?: unknown; error?: string } {
  const text = raw === null || raw === undefined ? "" : raw instanceof Date ? raw.toISOString() : String(raw).trim();
  if (text === "")
    return nullIfEmpty
      ? { value: null }
      : type === "string" || type === "auto"
        ? { value: "" }
        : { error: "empty value" };
  switch (type) {
    case "auto":
      return coerce(raw, inferType([raw]), nullIfEmpty);
    case "string":
      return { value: typeof raw === "string" ? raw : text };
    case "integer":
      if (typeof raw === "number" && Number.isInteger(raw)) return { value: raw };
      return INT.test(text) && Number.isSafeInteger(Number(text))
        ? { value: Number(text) }
        : { error: `"${text}" is not an integer` };
    case "number":
      if (typeof raw === "number") return { value: raw };
      return NUM.test(text) ? { value: Number(text) } : { error: `"${text}" is not a number` };
    case "boolean":
      if (typeof raw === "boolean") return { value: raw };
      if (/^(true|yes|1)$/i.test(text)) return { value: true };
      if (/^(false|no|0)$/i.test(text)) return { value: false };
      return { error: `"${text}" is not a boolean` };
    case "date": {
      const d = raw instanceof Date ? raw : new Date(text);
      return Number.isNaN(d.getTime()) ? { error: `"${text}" is not a date` } : { value: { $date: d.toISOString() } };
    }
    case "objectId":
      return OID.test(text) ? { value: { $oid: text.toLowerCase() } } : { error: `"${text}" is not an ObjectId` };
    case "json":
      try {
        return { value: JSON.parse(text) };
      } catch {
        return { error: `"${text.slice(0, 40)}" is not JSON` };
      }
    case "skip":
      return {};
  }
}

function setPath(doc: Record<string, unknown>, path: string, value: unknown): string | undefined {
  const parts = path.split(".");
  if (parts.some((p) => p === "" || p.startsWith("$")))
    return `field "${path}" is not a valid path (empty part or leading $)`;
  let cur = doc;
  for (const p of parts.slice(0, -1)) {
    const next = cur[p];
    if (next === undefined) cur = cur[p] = {};
    else if (next && typeof next === "object" && !Array.isArray(next)) cur = next as Record<string, unknown>;
    else return `field "${path}" collides with "${p}"`;
  }
  cur[parts[parts.length - 1]] = value;
  return undefined;
}

/** Rows → documents. `firstRow` is the file's row number of rows[0] (a CSV's header is row 1, so data starts at 2). */
export function applyMapping(rows: Record<string, unknown>[], mapping: ColumnMapping[], firstRow = 2): Mapped {
  const documents: Record<string, unknown>[] = [];
  const rowNumbers: number[] = [];
  const errors: RowError[] = [];
  rows.forEach((row, i) => {
    const doc: Record<string, unknown> = {};
    const reasons: string[] = [];
    for (const m of mapping) {
      if (m.type === "skip" || !m.field) continue;
      const { value, error } = coerce(row[m.column], m.type, m.nullIfEmpty);
      if (error) reasons.push(`${m.field}: ${error}`);
      else {
        const clash = setPath(doc, m.field, value);
        if (clash) reasons.push(clash);
      }
    }
    if (reasons.length) errors.push({ row: firstRow + i, reason: reasons.join("; ") });
    else {
      documents.push(doc);
      rowNumbers.push(firstRow + i);
    }
  });
  return { documents, rowNumbers, errors };
}

/** Failed rows as a CSV the user downloads (row number and reason first, then the row's own columns). */
export function errorReport(errors: (RowError & { data?: Record<string, unknown> })[]): string {
  const columns = [...new Set(errors.flatMap((e) => Object.keys(e.data ?? {})))];
  const cell = (v: unknown) => {
    const s = v === null || v === undefined ? "" : String(v);
    const safe = /^[=+\-@\t\r]/.test(s) ? `'${s}` : s;
    return /[",\n\r]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
  };
  const lines = [["row", "reason", ...columns].map(cell).join(",")];
  for (const e of errors) lines.push([e.row, e.reason, ...columns.map((c) => e.data?.[c])].map(cell).join(","));
  return lines.join("\n") + "\n";
}
