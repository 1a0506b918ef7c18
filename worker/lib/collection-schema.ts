import { isPlainObject, type Doc } from "./ejson";
import { inferSchema, type FieldSummary } from "./schema-infer";

/**
 * A collection's documents as JSON Schema, for /openapi.json and the TypeScript SDK: its validator when it has one,
 * else the schema inferred from a sample (fields present in every sampled document required, others optional),
 * with BSON values in their relaxed EJSON form ({"$oid"}, {"$date"}, {"$numberDecimal"}). Pure.
 */
export type JsonSchema = Record<string, unknown>;

const wrapped = (key: string, description: string): JsonSchema => ({
  type: "object",
  properties: { [key]: { type: "string" } },
  required: [key],
  additionalProperties: false,
  description,
});

/** JSON Schema of one BSON type as relaxed EJSON shows it. */
const EJSON_TYPES: Record<string, JsonSchema> = {
  string: { type: "string" },
  int: { type: "integer" },
  long: { type: "integer" },
  double: { type: "number" },
  bool: { type: "boolean" },
  null: { type: "null" },
  objectId: wrapped("$oid", "an ObjectId"),
  date: wrapped("$date", "a date (ISO 8601)"),
  decimal: wrapped("$numberDecimal", "a Decimal128"),
  binData: { type: "object", description: 'binary data ({"$binary"})' },
  regex: { type: "object", description: 'a regular expression ({"$regularExpression"})' },
  timestamp: { type: "object", description: 'a timestamp ({"$timestamp"})' },
};

function anyOf(schemas: JsonSchema[]): JsonSchema {
  const unique = [...new Map(schemas.map((s) => [JSON.stringify(s), s])).values()];
  return unique.length === 1 ? unique[0] : { anyOf: unique };
}

interface Node {
  summary?: FieldSummary;
  children: Map<string, Node>;
  items?: Node;
}

function schemaOf(node: Node, sampled: number): JsonSchema {
  const types = Object.keys(node.summary?.types ?? {});
  const options: JsonSchema[] = [];
  for (const t of types) {
    if (t === "object") options.push(objectSchema(node, sampled));
    else if (t === "array")
      options.push({ type: "array", items: node.items ? schemaOf(node.items, node.items.summary?.count ?? 0) : {} });
    else options.push(EJSON_TYPES[t] ?? {});
  }
  return options.length ? anyOf(options) : {};
}

function objectSchema(node: Node, parentCount: number): JsonSchema {
  const properties: Record<string, JsonSchema> = {};
  const required: string[] = [];
  for (const [key, child] of node.children) {
    properties[key] = schemaOf(child, parentCount);
    // Present in every document the parent object appeared in: required.
    if ((child.summary?.count ?? 0) >= (node.summary?.count ?? parentCount) && parentCount > 0) required.push(key);
  }
  return { type: "object", properties, ...(required.length ? { required } : {}) };
}

/** The schema a sample of documents implies. */
export function schemaFromSample(docs: Doc[]): JsonSchema {
  const inferred = inferSchema(docs);
  const root: Node = { children: new Map() };
  for (const field of inferred.fields) {
    let node = root;
    // Paths are dotted, with `[]` after an array's name for its elements: a.b[].c
    for (const part of field.path.split(".")) {
      const arrays = (part.match(/\[\]/g) ?? []).length;
      const name = part.replace(/\[\]/g, "");
      let next = node.children.get(name);
      if (!next) node.children.set(name, (next = { children: new Map() }));
      node = next;
      for (let i = 0; i < arrays; i++) node = node.items ??= { children: new Map() };
    }
    node.summary = field;
  }
  root.summary = { path: "", count: inferred.sampled, frequency: 1, types: { object: inferred.sampled } };
  const schema = objectSchema(root, inferred.sampled);
  return { ...schema, description: `inferred from ${inferred.sampled} sampled documents` };
}

/** A validator as the document schema: the JSON Schema itself (or inside `$jsonSchema`), `_id` always allowed. */
export function schemaFromValidator(validator: unknown): JsonSchema {
  const schema =
    isPlainObject(validator) && isPlainObject((validator as Doc).$jsonSchema)
      ? ((validator as Doc).$jsonSchema as JsonSchema)
      : (validator as JsonSchema);
  const properties = isPlainObject(schema.properties) ? (schema.properties as Record<string, JsonSchema>) : {};
  return { ...schema, properties: { _id: {}, ...properties } };
}

/** A collection name as a TypeScript and OpenAPI identifier: orders → Orders, line_items → LineItems. */
export function typeName(collection: string): string {
  const name = collection
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean)
    .map((p) => p[0].toUpperCase() + p.slice(1))
    .join("");
  return /^[A-Za-z]/.test(name) ? name : `C${name}`;
}
