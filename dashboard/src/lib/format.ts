/** How values read on screen. Relaxed EJSON wrappers are shown as their types, never as raw `{"$oid": ...}`. */

export type EjsonKind =
  | "ObjectId"
  | "Date"
  | "Decimal128"
  | "Long"
  | "Binary"
  | "RegExp"
  | "Timestamp"
  | "array"
  | "object"
  | "string"
  | "number"
  | "boolean"
  | "null";

export function ejsonKind(value: unknown): EjsonKind {
  if (value === null || value === undefined) return "null";
  if (Array.isArray(value)) return "array";
  if (typeof value === "object") {
    const keys = Object.keys(value);
    if (keys.length === 1) {
      const k = keys[0];
      if (k === "$oid") return "ObjectId";
      if (k === "$date") return "Date";
      if (k === "$numberDecimal") return "Decimal128";
      if (k === "$numberLong") return "Long";
      if (k === "$binary") return "Binary";
      if (k === "$regularExpression") return "RegExp";
      if (k === "$timestamp") return "Timestamp";
    }
    return "object";
  }
  if (typeof value === "string") return "string";
  if (typeof value === "number") return "number";
  if (typeof value === "boolean") return "boolean";
  return "string";
}

/** One cell's text: typed wrappers unwrapped (dates as ISO text), containers summarised. */
export function displayValue(value: unknown): string {
  const v = value as Record<string, unknown>;
  switch (ejsonKind(value)) {
    case "null":
      return value === null ? "null" : "";
    case "ObjectId":
      return String(v.$oid);
    case "Date": {
      const d = v.$date as unknown;
      if (typeof d === "string") return d;
      if (d && typeof d === "object" && "$numberLong" in d)
        return new Date(Number((d as { $numberLong: string }).$numberLong)).toISOString();
      return new Date(Number(d)).toISOString();
    }
    case "Decimal128":
      return String(v.$numberDecimal);
    case "Long":
      return String(v.$numberLong);
    case "Binary":
      return "<binary>";
    case "RegExp": {
      const r = v.$regularExpression as { pattern: string; options: string };
      return `/${r.pattern}/${r.options}`;
    }
    case "Timestamp":
      return JSON.stringify(v.$timestamp);
    case "array":
      return `[${(value as unknown[]).length} items]`;
    case "object":
      return `{${Object.keys(value as object).length} fields}`;
    default:
      return String(value);
  }
}

/** Reads a dotted path out of a document (no array traversal: a table column shows what one path holds). */
export function getPath(doc: unknown, path: string): unknown {
  let cur: unknown = doc;
  for (const part of path.split(".")) {
    if (cur === null || typeof cur !== "object" || Array.isArray(cur)) return undefined;
    cur = (cur as Record<string, unknown>)[part];
  }
  return cur;
}

export function formatBytes(n: number | undefined): string {
  if (n === undefined || !Number.isFinite(n)) return "—";
  const units = ["B", "KB", "MB", "GB", "TB"];
  let i = 0;
  let v = n;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${i === 0 ? v : v.toFixed(v >= 10 ? 0 : 1)} ${units[i]}`;
}

export function formatPercent(ratio: number | null | undefined): string {
  if (ratio === null || ratio === undefined || !Number.isFinite(ratio)) return "—";
  return `${(ratio * 100).toFixed(ratio === 1 || ratio === 0 ? 0 : 1)}%`;
}

export function formatDuration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return "—";
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  return `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s`;
}

export function formatTime(at: number | string | null | undefined): string {
  if (at === null || at === undefined) return "—";
  const d = new Date(at);
  return Number.isNaN(d.getTime()) ? "—" : d.toLocaleString();
}

/** A document's _id as the API's path segment: ObjectIds as hex, strings and numbers as themselves. */
export function idToPath(id: unknown): string {
  if (id && typeof id === "object" && "$oid" in id) return String((id as { $oid: string }).$oid);
  if (typeof id === "string" || typeof id === "number") return encodeURIComponent(String(id));
  return encodeURIComponent(JSON.stringify(id));
}
