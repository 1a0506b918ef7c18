import type { ErrorCode } from "./error-codes";
import { BSONRegExp, Code } from "bson";
import { badRequest } from "./errors";
import { LIMITS } from "./limits";
import { compileSafe } from "./safe-regex";

/** Operators that run server-side JavaScript or write elsewhere: refused wherever they appear. */
const FORBIDDEN = new Set(["$where", "$function", "$accumulator", "$out", "$merge"]);
const FORBIDDEN_KEYS = new Set(["__proto__", "constructor", "prototype"]);

const QUERY_OPS = [
  "$eq",
  "$ne",
  "$gt",
  "$gte",
  "$lt",
  "$lte",
  "$in",
  "$nin",
  "$and",
  "$or",
  "$nor",
  "$not",
  "$exists",
  "$type",
  "$expr",
  "$regex",
  "$options",
  "$mod",
  "$all",
  "$elemMatch",
  "$size",
  "$comment",
  "$bitsAllSet",
  "$bitsAnySet",
  "$bitsAllClear",
  "$bitsAnyClear",
  "$text",
  "$search",
  "$language",
  "$caseSensitive",
  "$diacriticSensitive",
];
const EXPRESSION_OPS = [
  "$abs",
  "$add",
  "$ceil",
  "$divide",
  "$exp",
  "$floor",
  "$ln",
  "$log",
  "$log10",
  "$mod",
  "$multiply",
  "$pow",
  "$round",
  "$sqrt",
  "$subtract",
  "$trunc",
  "$cmp",
  "$and",
  "$or",
  "$not",
  "$cond",
  "$ifNull",
  "$switch",
  "$concat",
  "$indexOfBytes",
  "$indexOfCP",
  "$ltrim",
  "$rtrim",
  "$trim",
  "$split",
  "$strLenBytes",
  "$strLenCP",
  "$strcasecmp",
  "$substr",
  "$substrBytes",
  "$substrCP",
  "$toLower",
  "$toUpper",
  "$regexMatch",
  "$regexFind",
  "$regexFindAll",
  "$replaceOne",
  "$replaceAll",
  "$arrayElemAt",
  "$arrayToObject",
  "$concatArrays",
  "$filter",
  "$first",
  "$last",
  "$in",
  "$indexOfArray",
  "$isArray",
  "$map",
  "$objectToArray",
  "$range",
  "$reduce",
  "$reverseArray",
  "$size",
  "$slice",
  "$zip",
  "$sortArray",
  "$dateAdd",
  "$dateDiff",
  "$dateFromParts",
  "$dateFromString",
  "$dateToParts",
  "$dateToString",
  "$dateTrunc",
  "$dayOfMonth",
  "$dayOfWeek",
  "$dayOfYear",
  "$hour",
  "$isoDayOfWeek",
  "$isoWeek",
  "$isoWeekYear",
  "$millisecond",
  "$minute",
  "$month",
  "$second",
  "$week",
  "$year",
  "$convert",
  "$toBool",
  "$toDate",
  "$toDecimal",
  "$toDouble",
  "$toInt",
  "$toLong",
  "$toString",
  "$toObjectId",
  "$type",
  "$isNumber",
  "$allElementsTrue",
  "$anyElementTrue",
  "$setDifference",
  "$setEquals",
  "$setIntersection",
  "$setIsSubset",
  "$setUnion",
  "$mergeObjects",
  "$getField",
  "$setField",
  "$let",
  "$literal",
  "$sum",
  "$avg",
  "$min",
  "$max",
  "$push",
  "$addToSet",
  "$count",
  "$stdDevPop",
  "$stdDevSamp",
  "$top",
  "$bottom",
  "$topN",
  "$bottomN",
  "$firstN",
  "$lastN",
  "$maxN",
  "$minN",
  "$rank",
  "$denseRank",
  "$documentNumber",
  "$shift",
  "$rand",
  "$meta",
];
const STAGES = new Set([
  "$match",
  "$project",
  "$addFields",
  "$set",
  "$unset",
  "$group",
  "$sort",
  "$limit",
  "$skip",
  "$count",
  "$unwind",
  "$lookup",
  "$facet",
  "$bucket",
  "$bucketAuto",
  "$sortByCount",
  "$replaceRoot",
  "$replaceWith",
  "$sample",
  "$unionWith",
  "$redact",
  "$setWindowFields",
  "$densify",
  "$fill",
]);
const UPDATE_OPS = new Set([
  "$set",
  "$unset",
  "$inc",
  "$mul",
  "$min",
  "$max",
  "$rename",
  "$push",
  "$pull",
  "$pullAll",
  "$addToSet",
  "$pop",
  "$currentDate",
  "$setOnInsert",
  "$bit",
]);
const MODIFIERS = ["$each", "$position", "$slice", "$sort", "$type"];
/** Stage options that are field names or values rather than operators. */
const VARIABLES = ["$$ROOT", "$$CURRENT", "$$KEEP", "$$PRUNE", "$$DESCEND", "$$REMOVE"];

const ALLOWED = new Set([...QUERY_OPS, ...EXPRESSION_OPS, ...STAGES, ...MODIFIERS, ...UPDATE_OPS, ...VARIABLES]);

type Ctx = { keys: number };
type Doc = Record<string, unknown>;

function refuse(code: ErrorCode, message: string, path: string, operator?: string): never {
  throw badRequest(code, message, operator ? { path, operator } : { path });
}

function join(path: string, key: string | number): string {
  return path ? `${path}.${key}` : String(key);
}

function checkRegex(source: string, flags: string, path: string) {
  if (source.length > LIMITS.maxRegexLength) {
    refuse("REGEX_TOO_LONG", `$regex at ${path} is longer than ${LIMITS.maxRegexLength} characters`, path, "$regex");
  }
  if (!/^[imsx]*$/.test(flags)) {
    refuse("REGEX_INVALID_OPTIONS", `$regex options at ${path} may only use i, m, s, x`, path, "$options");
  }
  try {
    new RegExp(source, flags.replace("x", ""));
  } catch (err) {
    refuse("REGEX_INVALID", `$regex at ${path} is not a valid pattern: ${(err as Error).message}`, path, "$regex");
  }
  compileSafe(source, flags.replace(/[^ims]/g, ""));
}

function walk(value: unknown, path: string, depth: number, ctx: Ctx, allowed: Set<string>) {
  if (depth > LIMITS.maxFilterDepth) {
    refuse("QUERY_TOO_DEEP", `nesting deeper than ${LIMITS.maxFilterDepth} levels at ${path}`, path);
  }
  if (value === null || typeof value !== "object") return;
  if (value instanceof Code)
    refuse("JAVASCRIPT_FORBIDDEN", `server-side JavaScript ($code) at ${path} is not allowed`, path, "$code");
  if (value instanceof BSONRegExp) return checkRegex(value.pattern, value.options, path);
  if (value instanceof RegExp) return checkRegex(value.source, value.flags.replace(/[gyud]/g, ""), path);
  if (Array.isArray(value)) {
    value.forEach((item, i) => walk(item, join(path, i), depth + 1, ctx, allowed));
    return;
  }
  if (Object.getPrototypeOf(value) !== Object.prototype && Object.getPrototypeOf(value) !== null) return;
  for (const key of Object.keys(value)) {
    const here = join(path, key);
    if (++ctx.keys > LIMITS.maxFilterKeys) refuse("QUERY_TOO_LARGE", `more than ${LIMITS.maxFilterKeys} keys`, here);
    if (FORBIDDEN_KEYS.has(key)) refuse("FORBIDDEN_KEY", `key "${key}" is not allowed (at ${here})`, here);
    const child = (value as Record<string, unknown>)[key];
    if (key.startsWith("$")) {
      if (FORBIDDEN.has(key)) refuse("OPERATOR_FORBIDDEN", `operator ${key} is not allowed (at ${here})`, here, key);
      if (!allowed.has(key)) refuse("OPERATOR_NOT_ALLOWED", `operator ${key} is not supported (at ${here})`, here, key);
      if (
        (key === "$in" || key === "$nin" || key === "$all") &&
        Array.isArray(child) &&
        child.length > LIMITS.maxInItems
      ) {
        refuse("IN_TOO_LARGE", `${key} at ${here} has more than ${LIMITS.maxInItems} items`, here, key);
      }
      if (key === "$regex" && typeof child === "string") {
        const options = (value as Record<string, unknown>).$options;
        checkRegex(child, typeof options === "string" ? options : "", here);
      }
      if (key === "$regexMatch" || key === "$regexFind" || key === "$regexFindAll") {
        const spec = child as Record<string, unknown> | null;
        if (spec && typeof spec.regex === "string")
          checkRegex(spec.regex, typeof spec.options === "string" ? spec.options : "", here);
      }
      if (key === "$literal") continue;
    }
    walk(child, here, depth + 1, ctx, allowed);
  }
}

const QUERY_ALLOWED = new Set([...QUERY_OPS, ...EXPRESSION_OPS, ...VARIABLES]);

/** A filter kept in the control plane (webhooks, script triggers): the read policy plus a size cap. */
export function checkStoredFilter(filter: Record<string, unknown>, path: string): void {
  checkFilter(filter, path);
  const bytes = new TextEncoder().encode(JSON.stringify(filter)).length;
  if (bytes > LIMITS.maxFilterBytes)
    refuse("FILTER_TOO_LARGE", `${path} is ${bytes} bytes; the limit is ${LIMITS.maxFilterBytes}`, path);
}

/** Refuses anything in a filter outside the allow-list: forbidden operators at any depth, oversized inputs, prototype keys. */
export function checkFilter(filter: unknown, path = "filter"): void {
  if (filter === undefined || filter === null) return;
  if (typeof filter !== "object" || Array.isArray(filter)) refuse("INVALID_FILTER", `${path} must be an object`, path);
  walk(filter, path, 0, { keys: 0 }, QUERY_ALLOWED);
}

export function checkPipeline(pipeline: unknown, path = "pipeline", depth = 0): void {
  if (depth > LIMITS.maxPipelineDepth) {
    refuse(
      "PIPELINE_TOO_DEEP",
      `pipelines are nested more than ${LIMITS.maxPipelineDepth} levels deep at ${path}`,
      path,
    );
  }
  if (!Array.isArray(pipeline)) refuse("INVALID_PIPELINE", `${path} must be an array of stages`, path);
  if (pipeline.length > LIMITS.maxPipelineStages) {
    refuse("PIPELINE_TOO_LONG", `${path} has more than ${LIMITS.maxPipelineStages} stages`, path);
  }
  const ctx = { keys: 0 };
  pipeline.forEach((stage, i) => {
    const here = join(path, i);
    if (!stage || typeof stage !== "object" || Array.isArray(stage) || Object.keys(stage).length !== 1) {
      refuse("INVALID_PIPELINE", `${here} must be an object with exactly one stage operator`, here);
    }
    const [name] = Object.keys(stage);
    const body = (stage as Record<string, unknown>)[name];
    if (FORBIDDEN.has(name)) refuse("OPERATOR_FORBIDDEN", `stage ${name} is not allowed (at ${here})`, here, name);
    if (!STAGES.has(name)) refuse("OPERATOR_NOT_ALLOWED", `stage ${name} is not supported (at ${here})`, here, name);
    const nested = body as Record<string, unknown>;
    if (name === "$facet" && nested && typeof nested === "object") {
      for (const [facet, sub] of Object.entries(nested)) checkPipeline(sub, join(join(here, name), facet), depth + 1);
      return;
    }
    if ((name === "$lookup" || name === "$unionWith") && nested && typeof nested === "object" && "pipeline" in nested) {
      checkPipeline(nested.pipeline, join(join(here, name), "pipeline"), depth + 1);
      walk({ ...nested, pipeline: undefined }, join(here, name), depth + 1, ctx, ALLOWED);
      return;
    }
    walk(body, join(here, name), depth + 1, ctx, ALLOWED);
  });
}

/**
 * An update is a document of update operators, an aggregation pipeline of $set/$unset-like stages, or Docflare's
 * `{"$mergePatch": {...}}` (RFC 7396, what PATCH with a plain body becomes), whose body is a document.
 */
export function checkUpdate(update: unknown, path = "update"): "operators" | "pipeline" | "merge-patch" {
  if (Array.isArray(update)) {
    checkPipeline(update, path);
    return "pipeline";
  }
  if (!update || typeof update !== "object")
    refuse("INVALID_UPDATE", `${path} must be an object of update operators`, path);
  const keys = Object.keys(update);
  if (keys.length === 0) refuse("INVALID_UPDATE", `${path} is empty`, path);
  if ("$mergePatch" in update) {
    if (keys.length !== 1)
      refuse("INVALID_UPDATE", `${path}: $mergePatch cannot be combined with other operators`, path);
    const patch = (update as Doc).$mergePatch;
    if (!patch || typeof patch !== "object" || Array.isArray(patch))
      refuse("INVALID_UPDATE", `${path}.$mergePatch must be an object`, path);
    walkDocument(patch, join(path, "$mergePatch"), 0);
    return "merge-patch";
  }
  for (const key of keys) {
    if (!key.startsWith("$")) {
      refuse(
        "INVALID_UPDATE",
        `${path} must only contain update operators such as $set (found "${key}"); use PUT to replace`,
        join(path, key),
      );
    }
    if (!UPDATE_OPS.has(key))
      refuse("OPERATOR_NOT_ALLOWED", `update operator ${key} is not supported`, join(path, key), key);
    const fields = (update as Doc)[key];
    if (fields && typeof fields === "object")
      for (const field of Object.keys(fields)) checkFieldPath(field, join(path, key));
  }
  const { $set, $setOnInsert, ...rest } = update as Doc;
  // What $set and $setOnInsert write are document values: the document rules apply, counting the path's own depth.
  for (const [op, fields] of [
    ["$set", $set],
    ["$setOnInsert", $setOnInsert],
  ] as const) {
    if (!fields || typeof fields !== "object" || Array.isArray(fields)) {
      if (fields !== undefined) refuse("INVALID_UPDATE", `${path}.${op} must be an object`, join(path, op));
      continue;
    }
    for (const [field, value] of Object.entries(fields)) {
      const here = join(join(path, op), field);
      if (FORBIDDEN_KEYS.has(field)) refuse("FORBIDDEN_KEY", `key "${field}" is not allowed (at ${here})`, here);
      walkDocument(value, here, field.split(".").length);
    }
  }
  walk(rest, path, 0, { keys: 0 }, ALLOWED);
  return "operators";
}

/** A dotted path that an update writes: no NUL, and no deeper than a stored document may be. */
function checkFieldPath(field: string, path: string) {
  if (field.includes("\0")) refuse("INVALID_FIELD_NAME", `field names may not contain NUL (at ${path})`, path);
  if (field.split(".").length > LIMITS.maxDocumentDepth) {
    refuse("DOCUMENT_TOO_DEEP", `field path at ${path} is nested more than ${LIMITS.maxDocumentDepth} levels`, path);
  }
}

/**
 * Documents to store, on every write path (inserts, replacements, and every update's result): no `$`-prefixed field
 * names at the top (MongoDB 5.0 accepts some; Docflare refuses them everywhere, so every route and backend agree), no
 * `$`-prefixed keys inside `_id`, no NUL in field names, nesting within LIMITS.maxDocumentDepth, no prototype keys,
 * no server-side code.
 */
export function checkDocument(doc: unknown, path = "document"): void {
  if (!doc || typeof doc !== "object" || Array.isArray(doc))
    refuse("INVALID_DOCUMENT", `${path} must be an object`, path);
  for (const key of Object.keys(doc)) {
    if (key.startsWith("$"))
      refuse("INVALID_DOCUMENT", `${path} has a field name starting with $ ("${key}")`, join(path, key));
  }
  const id = (doc as Doc)._id;
  if (id && typeof id === "object" && hasOperatorKey(id)) {
    refuse("INVALID_ID", `${path}._id may not contain field names starting with $`, join(path, "_id"));
  }
  walkDocument(doc, path, 0);
}

function hasOperatorKey(value: unknown): boolean {
  if (Array.isArray(value)) return value.some(hasOperatorKey);
  if (
    value === null ||
    typeof value !== "object" ||
    (Object.getPrototypeOf(value) !== Object.prototype && Object.getPrototypeOf(value) !== null)
  )
    return false;
  return Object.entries(value).some(([k, v]) => k.startsWith("$") || hasOperatorKey(v));
}

function walkDocument(value: unknown, path: string, depth: number) {
  if (depth > LIMITS.maxDocumentDepth)
    refuse("DOCUMENT_TOO_DEEP", `${path} is nested more than ${LIMITS.maxDocumentDepth} levels`, path);
  if (value === null || typeof value !== "object") return;
  if (value instanceof Code)
    refuse("JAVASCRIPT_FORBIDDEN", `server-side JavaScript ($code) at ${path} is not allowed`, path, "$code");
  if (Array.isArray(value)) return value.forEach((v, i) => walkDocument(v, join(path, i), depth + 1));
  if (Object.getPrototypeOf(value) !== Object.prototype && Object.getPrototypeOf(value) !== null) return;
  for (const key of Object.keys(value)) {
    const here = join(path, key);
    if (FORBIDDEN_KEYS.has(key)) refuse("FORBIDDEN_KEY", `key "${key}" is not allowed (at ${here})`, here);
    if (key.includes("\0")) refuse("INVALID_FIELD_NAME", `field names may not contain NUL (at ${here})`, here);
    walkDocument((value as Record<string, unknown>)[key], here, depth + 1);
  }
}

/** Scans raw JSON (before EJSON revives it) so that `__proto__` never reaches an object literal assignment. */
export function checkRawKeys(value: unknown, path = "body", depth = 0): void {
  if (depth > 200 || value === null || typeof value !== "object") return;
  if (Array.isArray(value)) return value.forEach((v, i) => checkRawKeys(v, join(path, i), depth + 1));
  for (const key of Object.keys(value)) {
    const here = join(path, key);
    if (FORBIDDEN_KEYS.has(key)) refuse("FORBIDDEN_KEY", `key "${key}" is not allowed (at ${here})`, here);
    checkRawKeys((value as Record<string, unknown>)[key], here, depth + 1);
  }
}
