import { Decimal128, Double, Int32, Long, ObjectId, type Document } from "bson";

/**
 * The part of MongoDB's `$jsonSchema` the test wire server checks: bsonType/type, required, properties, enum,
 * numeric and length bounds, items and additionalProperties. Failures come back in the shape MongoDB 5+ puts in a
 * validation error's `errInfo.details.schemaRulesNotSatisfied`, nested by property, so the code that reads them is
 * exercised on the real structure.
 */
export function validateSchema(schema: Document, value: unknown): Document[] {
  const out: Document[] = [];
  const types = [schema.bsonType ?? schema.type].flat().filter(Boolean) as string[];
  if (types.length && !types.some((t) => isType(t, value)))
    return [
      {
        operatorName: schema.bsonType ? "bsonType" : "type",
        specifiedAs: { bsonType: types },
        reason: "type did not match",
        consideredValue: value,
      },
    ];
  if (schema.enum && !(schema.enum as unknown[]).some((e) => JSON.stringify(e) === JSON.stringify(value)))
    out.push({ operatorName: "enum", reason: "value was not found in enum" });
  const n = toNumber(value);
  if (n !== undefined) {
    if (schema.minimum !== undefined && n < schema.minimum)
      out.push({
        operatorName: "minimum",
        specifiedAs: { minimum: schema.minimum },
        reason: "comparison failed",
        consideredValue: value,
      });
    if (schema.maximum !== undefined && n > schema.maximum)
      out.push({
        operatorName: "maximum",
        specifiedAs: { maximum: schema.maximum },
        reason: "comparison failed",
        consideredValue: value,
      });
  }
  if (typeof value === "string") {
    if (schema.minLength !== undefined && value.length < schema.minLength)
      out.push({ operatorName: "minLength", reason: "specified string length was not satisfied" });
    if (schema.maxLength !== undefined && value.length > schema.maxLength)
      out.push({ operatorName: "maxLength", reason: "specified string length was not satisfied" });
  }
  if (Array.isArray(value) && schema.items) {
    const failing = value
      .map((v, i) => ({ itemIndex: i, details: validateSchema(schema.items, v) }))
      .filter((f) => f.details.length);
    if (failing.length)
      out.push({
        operatorName: "items",
        reason: "At least one item did not match the sub-schema",
        itemIndex: failing[0].itemIndex,
        details: failing[0].details,
      });
  }
  if (isObject(value)) {
    const missing = ((schema.required as string[] | undefined) ?? []).filter((k) => !(k in value));
    if (missing.length)
      out.push({ operatorName: "required", specifiedAs: { required: schema.required }, missingProperties: missing });
    const props = (schema.properties ?? {}) as Document;
    const failing = Object.entries(value)
      .filter(([k]) => props[k])
      .map(([k, v]) => ({ propertyName: k, details: validateSchema(props[k], v) }))
      .filter((f) => f.details.length);
    if (failing.length) out.push({ operatorName: "properties", propertiesNotSatisfied: failing });
    const extra = Object.keys(value).filter((k) => !props[k] && k !== "_id");
    if (schema.additionalProperties === false && extra.length)
      out.push({
        operatorName: "additionalProperties",
        specifiedAs: { additionalProperties: false },
        additionalProperties: extra,
      });
  }
  return out;
}

const isObject = (v: unknown): v is Document =>
  typeof v === "object" && v !== null && !Array.isArray(v) && Object.getPrototypeOf(v) === Object.prototype;

function toNumber(v: unknown): number | undefined {
  if (typeof v === "number") return v;
  if (v instanceof Int32 || v instanceof Double || v instanceof Long) return Number(v.valueOf());
  return undefined;
}

function isType(t: string, v: unknown): boolean {
  switch (t) {
    case "object":
      return isObject(v);
    case "array":
      return Array.isArray(v);
    case "string":
      return typeof v === "string";
    case "bool":
    case "boolean":
      return typeof v === "boolean";
    case "null":
      return v === null;
    case "objectId":
      return v instanceof ObjectId;
    case "date":
      return v instanceof Date;
    case "decimal":
      return v instanceof Decimal128;
    case "int":
      return (typeof v === "number" && Number.isInteger(v) && Math.abs(v) < 2 ** 31) || v instanceof Int32;
    case "long":
      return v instanceof Long || (typeof v === "number" && Number.isInteger(v));
    case "double":
      return typeof v === "number" || v instanceof Double;
    case "number":
      return toNumber(v) !== undefined || v instanceof Decimal128;
    case "integer":
      return typeof v === "number" && Number.isInteger(v);
    default:
      return false;
  }
}
