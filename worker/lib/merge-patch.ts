import { badRequest } from "./errors";
import { isPlainObject, type Doc } from "./ejson";

/**
 * PATCH bodies are either update operators ({"$set": ...}) or a JSON merge patch (RFC 7396): nested objects merge,
 * null removes a field. A merge patch becomes $set/$unset on dotted paths so nested siblings survive.
 */
export function patchToUpdate(body: Doc): Doc {
  const keys = Object.keys(body);
  if (keys.length === 0) throw badRequest("INVALID_UPDATE", "PATCH body is empty");
  const operators = keys.filter((k) => k.startsWith("$"));
  if (operators.length === keys.length) return body;
  if (operators.length > 0) {
    throw badRequest("INVALID_UPDATE", "PATCH body mixes update operators and plain fields; use one or the other", { operators });
  }
  const $set: Doc = {};
  const $unset: Doc = {};
  const walk = (obj: Doc, prefix: string) => {
    for (const [k, v] of Object.entries(obj)) {
      const path = prefix ? `${prefix}.${k}` : k;
      if (v === null) $unset[path] = "";
      else if (isPlainObject(v) && Object.keys(v).length > 0) walk(v, path);
      else $set[path] = v;
    }
  };
  walk(body, "");
  if ("_id" in $set) throw badRequest("IMMUTABLE_FIELD", "_id cannot be changed", { path: "_id" });
  return { ...(Object.keys($set).length ? { $set } : {}), ...(Object.keys($unset).length ? { $unset } : {}) };
}
