import { Binary, BSONRegExp, Decimal128, Long, ObjectId, Timestamp } from "bson";
import { isPlainObject, type Doc } from "./ejson";

export interface FieldSummary {
  path: string;
  /** Documents (out of `sampled`) in which the path is present. */
  count: number;
  frequency: number;
  types: Record<string, number>;
}

export interface InferredSchema {
  sampled: number;
  fields: FieldSummary[];
}

/** MongoDB `$type` names, so the inferred schema reads like the server's own vocabulary. */
export function bsonTypeName(v: unknown): string {
  if (v === null || v === undefined) return "null";
  if (typeof v === "string") return "string";
  if (typeof v === "boolean") return "bool";
  if (typeof v === "number") return Number.isInteger(v) ? "int" : "double";
  if (Array.isArray(v)) return "array";
  if (v instanceof Date) return "date";
  if (v instanceof ObjectId) return "objectId";
  if (v instanceof Decimal128) return "decimal";
  if (v instanceof Long) return "long";
  if (v instanceof Binary) return "binData";
  if (v instanceof Timestamp) return "timestamp";
  if (v instanceof RegExp || v instanceof BSONRegExp) return "regex";
  if (isPlainObject(v)) return "object";
  return "unknown";
}

/** Walks sampled documents and counts, per dotted path (array elements as `path[]`), presence and types. */
export function inferSchema(docs: Doc[]): InferredSchema {
  const fields = new Map<string, { docs: Set<number>; types: Record<string, number> }>();
  const visit = (value: unknown, path: string, docIndex: number, depth: number) => {
    let entry = fields.get(path);
    if (!entry) fields.set(path, (entry = { docs: new Set(), types: {} }));
    entry.docs.add(docIndex);
    const type = bsonTypeName(value);
    entry.types[type] = (entry.types[type] ?? 0) + 1;
    if (depth > 20) return;
    if (type === "object") {
      for (const [k, v] of Object.entries(value as Doc)) visit(v, `${path}.${k}`, docIndex, depth + 1);
    } else if (type === "array") {
      for (const item of value as unknown[]) visit(item, `${path}[]`, docIndex, depth + 1);
    }
  };
  docs.forEach((doc, i) => {
    for (const [k, v] of Object.entries(doc)) visit(v, k, i, 0);
  });
  const sampled = docs.length;
  return {
    sampled,
    fields: [...fields.entries()]
      .map(([path, e]) => ({
        path,
        count: e.docs.size,
        frequency: sampled ? e.docs.size / sampled : 0,
        types: e.types,
      }))
      .sort((a, b) => a.path.localeCompare(b.path)),
  };
}
