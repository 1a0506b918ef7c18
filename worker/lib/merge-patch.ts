import { badRequest } from "./errors";
import { isPlainObject, type Doc } from "./ejson";

/**
 * PATCH bodies are either update operators ({"$set": ...}) or a JSON merge patch (RFC 7396). A merge patch that only
 * sets or removes top-level fields is exactly `$set`/`$unset`; any other (a nested object, a dotted name) becomes the
 * `$mergePatch` update, applied by `applyMergePatch` so its meaning is the RFC's to the letter: `{"a": {}}` changes
 * nothing when `a` is an object and makes `a` an empty object when it is not.
 */
export function patchToUpdate(body: Doc): Doc {
  const keys = Object.keys(body);
  if (keys.length === 0) throw badRequest("INVALID_UPDATE", "PATCH body is empty");
  const operators = keys.filter((k) => k.startsWith("$"));
  if (operators.length === keys.length) return body;
  if (operators.length > 0) {
    throw badRequest("INVALID_UPDATE", "PATCH body mixes update operators and plain fields; use one or the other", {
      operators,
    });
  }
  if ("_id" in body) throw badRequest("IMMUTABLE_FIELD", "_id cannot be changed", { path: "_id" });
  const flat = keys.every((k) => !k.includes(".") && !isPlainObject(body[k]));
  if (!flat) return { $mergePatch: body };
  const $set: Doc = {};
  const $unset: Doc = {};
  for (const k of keys) {
    if (body[k] === null) $unset[k] = "";
    else $set[k] = body[k];
  }
  return { ...(Object.keys($set).length ? { $set } : {}), ...(Object.keys($unset).length ? { $unset } : {}) };
}

/** RFC 7396 section 2, MergePatch(Target, Patch). Returns a new value; neither argument is changed. */
export function applyMergePatch(target: unknown, patch: unknown): unknown {
  if (!isPlainObject(patch)) return patch;
  const out: Doc = isPlainObject(target) ? { ...target } : {};
  for (const [name, value] of Object.entries(patch)) {
    if (value === null) delete out[name];
    else out[name] = applyMergePatch(out[name], value);
  }
  return out;
}

/**
 * The same patch as an update pipeline, for upstream servers (MongoDB 5.0+, another Docflare) that know no
 * `$mergePatch`: `$setField`/`$unsetField` take any field name literally, and each level binds its object once.
 */
export function mergePatchPipeline(patch: Doc): Doc[] {
  const merge = (target: unknown, p: Doc, depth: number): unknown => {
    const v = `t${depth}`;
    let acc: unknown = `$$${v}`;
    for (const [name, value] of Object.entries(p)) {
      const field = { $literal: name };
      if (value === null) acc = { $unsetField: { field, input: acc } };
      else if (isPlainObject(value))
        acc = {
          $setField: { field, input: acc, value: merge({ $getField: { field, input: `$$${v}` } }, value, depth + 1) },
        };
      else acc = { $setField: { field, input: acc, value: { $literal: value } } };
    }
    return {
      $let: { vars: { [v]: { $cond: [{ $eq: [{ $type: target }, "object"] }, target, { $literal: {} }] } }, in: acc },
    };
  };
  return [{ $replaceWith: merge("$$ROOT", patch, 0) }];
}
