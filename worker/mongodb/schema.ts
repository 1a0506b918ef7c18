import type { Doc } from "../lib/ejson";
import { isPlainObject } from "../lib/ejson";

/**
 * Docflare's validators are JSON Schema (2020-12); MongoDB's `$jsonSchema` is a draft-4 dialect without `integer`
 * and without the annotation keywords. The translation keeps everything else as written and is reversed on read, so
 * a validator set through Docflare reads back as it was set.
 */
const DROPPED = new Set(["$schema", "$id", "format", "examples", "default", "$comment"]);
const INTEGER = ["int", "long"];

export function toMongoSchema(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(toMongoSchema);
  if (!isPlainObject(schema)) return schema;
  const out: Doc = {};
  for (const [k, v] of Object.entries(schema)) {
    if (DROPPED.has(k)) continue;
    if (k === "type" && (v === "integer" || (Array.isArray(v) && v.includes("integer")))) {
      const rest = [v].flat().filter((t) => t !== "integer") as string[];
      out.bsonType = [...INTEGER, ...rest.map((t) => (t === "boolean" ? "bool" : t))];
      continue;
    }
    out[k] = toMongoSchema(v);
  }
  return out;
}

export function fromMongoSchema(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(fromMongoSchema);
  if (!isPlainObject(schema)) return schema;
  const out: Doc = {};
  for (const [k, v] of Object.entries(schema)) {
    if (k === "bsonType" && Array.isArray(v) && INTEGER.every((t) => v.includes(t))) {
      const rest = v.filter((t) => !INTEGER.includes(t)).map((t) => (t === "bool" ? "boolean" : t));
      out.type = rest.length ? ["integer", ...rest] : "integer";
      continue;
    }
    out[k] = fromMongoSchema(v);
  }
  return out;
}

/** The validator as Docflare shows it, from a collection's options (a `$jsonSchema` validator; others as stored). */
export function validatorOf(options: Doc | undefined): unknown {
  const validator = options?.validator;
  if (!isPlainObject(validator)) return undefined;
  return "$jsonSchema" in validator ? fromMongoSchema(validator.$jsonSchema) : validator;
}

/**
 * The failing paths of a MongoDB validation error (`errInfo.details`, MongoDB 5+), in the shape Docflare's own
 * validator reports: `[{path, message}]`, with `(document)` for the document itself.
 */
export function validationFailures(details: unknown): Array<{ path: string; message: string }> {
  const out: Array<{ path: string; message: string }> = [];
  const at = (path: string, name: string) => (path ? `${path}.${name}` : name);
  const walk = (rules: unknown, path: string) => {
    for (const rule of Array.isArray(rules) ? rules : []) {
      if (!isPlainObject(rule)) continue;
      if (rule.operatorName === "properties" && Array.isArray(rule.propertiesNotSatisfied)) {
        for (const p of rule.propertiesNotSatisfied as Doc[]) walk(p.details, at(path, String(p.propertyName)));
      } else if (rule.operatorName === "required" && Array.isArray(rule.missingProperties)) {
        for (const name of rule.missingProperties) out.push({ path: at(path, String(name)), message: "is required" });
      } else if (rule.operatorName === "additionalProperties" && Array.isArray(rule.additionalProperties)) {
        for (const name of rule.additionalProperties)
          out.push({ path: at(path, String(name)), message: "is not allowed" });
      } else if (rule.operatorName === "items" && Array.isArray(rule.details)) {
        walk(rule.details, at(path, String(rule.itemIndex ?? 0)));
      } else {
        out.push({
          path: path || "(document)",
          message: `${String(rule.operatorName)}: ${String(rule.reason ?? "not satisfied")}`,
        });
      }
    }
  };
  if (isPlainObject(details)) walk(details.schemaRulesNotSatisfied, "");
  return out.length ? out : [{ path: "(document)", message: "failed the collection's validator" }];
}
