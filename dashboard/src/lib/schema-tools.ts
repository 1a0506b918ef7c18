/** The API's inferred schema, turned into table columns, editor completions and a starting JSON Schema validator. */
export type FieldSummary = { path: string; count: number; frequency: number; types: Record<string, number> };
export type InferredSchema = { sampled: number; fields: FieldSummary[] };

/** Top-level scalar paths first (what a table can show), then nested ones, `_id` always first. */
export function tableColumns(schema: InferredSchema | undefined, max = 12): string[] {
  const paths = (schema?.fields ?? []).map((f) => f.path).filter((p) => !p.includes("[]"));
  const top = paths.filter((p) => !p.includes("."));
  const ordered = ["_id", ...top.filter((p) => p !== "_id"), ...paths.filter((p) => p.includes("."))];
  return [...new Set(ordered)].slice(0, max);
}

export function fieldPaths(schema: InferredSchema | undefined): string[] {
  return (schema?.fields ?? []).map((f) => f.path.replace(/\[\]/g, ""));
}

const JSON_TYPES: Record<string, Record<string, unknown>> = {
  string: { type: "string" },
  int: { type: "integer" },
  long: { type: "integer" },
  double: { type: "number" },
  decimal: { type: "object", required: ["$numberDecimal"] },
  bool: { type: "boolean" },
  null: { type: "null" },
  objectId: { type: "object", required: ["$oid"] },
  date: { type: "object", required: ["$date"] },
  array: { type: "array" },
  object: { type: "object" },
};

function typeSchema(types: Record<string, number>): Record<string, unknown> {
  const names = Object.keys(types);
  const schemas = names.map((t) => JSON_TYPES[t] ?? {});
  if (schemas.length === 1) return { ...schemas[0] };
  return { anyOf: schemas };
}

/**
 * A JSON Schema (2020-12) that the sampled documents satisfy: each field's observed types, nested objects as
 * nested properties, and `required` for the fields present in every sampled document.
 */
export function validatorFromSchema(schema: InferredSchema): Record<string, unknown> {
  const root: Record<string, unknown> = { type: "object", properties: {}, required: [] as string[] };
  const byPath = new Map(schema.fields.map((f) => [f.path, f]));
  for (const f of schema.fields) {
    // _id is the server's to assign (ObjectId, string or number alike); a validator inferred from a sample leaves it free.
    if (f.path.includes("[]") || f.path === "_id") continue;
    const parts = f.path.split(".");
    let node = root;
    let ok = true;
    for (let i = 0; i < parts.length - 1; i++) {
      const props = node.properties as Record<string, Record<string, unknown>>;
      const parentPath = parts.slice(0, i + 1).join(".");
      if (!props[parts[i]]) {
        const parent = byPath.get(parentPath);
        if (!parent || !("object" in parent.types)) {
          ok = false;
          break;
        }
        props[parts[i]] = { ...typeSchema(parent.types), properties: {}, required: [] };
      }
      node = props[parts[i]];
      node.properties ??= {};
      node.required ??= [];
    }
    if (!ok) continue;
    const leaf = parts[parts.length - 1];
    const props = node.properties as Record<string, unknown>;
    const existing = props[leaf] as Record<string, unknown> | undefined;
    props[leaf] = {
      ...typeSchema(f.types),
      ...(existing?.properties ? { properties: existing.properties, required: existing.required } : {}),
    };
    const parentCount = parts.length === 1 ? schema.sampled : (byPath.get(parts.slice(0, -1).join("."))?.count ?? 0);
    if (f.count === parentCount && parentCount > 0) (node.required as string[]).push(leaf);
  }
  return root;
}
