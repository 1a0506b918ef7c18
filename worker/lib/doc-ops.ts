// mingo's own entry points merge their default context over ours (defaults win); the base classes take ours as given.
import { Aggregator } from "mingo/aggregator";
import { Query } from "mingo/query";
import { update as mingoUpdate } from "mingo/updater";
import { compare, resolve } from "mingo/util";
import { BSONRegExp, ObjectId } from "bson";
import { AppError, badRequest } from "./errors";
import { cloneDoc, isPlainObject, type Doc } from "./ejson";
import { MINGO_OPTIONS } from "./mingo-context";
import { applyMergePatch } from "./merge-patch";

/** Mongo semantics come from mingo; its complaints about a query are the caller's mistake, so they become 400s. */
export function userQuery<T>(what: string, fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof AppError) throw err;
    throw badRequest("INVALID_QUERY", `${what}: ${(err as Error).message}`);
  }
}

/**
 * EJSON revives {"$regex"} and {"$regularExpression"} as BSONRegExp; mingo evaluates RegExps, which the safe context
 * (worker/lib/mingo-context.ts) runs on RE2.
 */
export function nativeRegex<T>(value: T): T {
  if (value instanceof BSONRegExp) {
    return new RegExp(value.pattern, value.options.replace(/[^imsu]/g, "")) as T;
  }
  if (Array.isArray(value)) return value.map(nativeRegex) as T;
  if (isPlainObject(value)) {
    const out: Doc = {};
    for (const [k, v] of Object.entries(value)) out[k] = nativeRegex(v);
    return out as T;
  }
  return value;
}

export function matcher(filter: Doc): (doc: Doc) => boolean {
  const query = userQuery("filter", () => new Query(nativeRegex(filter), MINGO_OPTIONS));
  return (doc) => userQuery("filter", () => query.test(doc));
}

export function project(docs: Doc[], projection: Doc | undefined): Doc[] {
  if (!projection || Object.keys(projection).length === 0) return docs;
  return userQuery("projection", () => new Query({}, MINGO_OPTIONS).find(docs, projection).all() as Doc[]);
}

export type SortSpec = Record<string, 1 | -1>;

/** Sort keys always end with _id so that every position in a sorted listing is unique (cursors rely on it). */
export function sortKeys(sort: SortSpec): Array<[string, 1 | -1]> {
  const keys = Object.entries(sort);
  if (!("_id" in sort)) keys.push(["_id", 1]);
  return keys;
}

export function sortValues(doc: Doc, keys: Array<[string, 1 | -1]>): unknown[] {
  return keys.map(([field]) => resolve(doc, field) ?? null);
}

export function compareValues(a: unknown[], b: unknown[], keys: Array<[string, 1 | -1]>): number {
  for (let i = 0; i < keys.length; i++) {
    const c = compare(a[i], b[i]);
    if (c !== 0) return c * keys[i][1];
  }
  return 0;
}

export function runPipeline(docs: Doc[], pipeline: Doc[], collectionResolver?: (name: string) => Doc[]): Doc[] {
  return userQuery(
    "pipeline",
    () =>
      new Aggregator(
        nativeRegex(pipeline),
        collectionResolver ? { ...MINGO_OPTIONS, collectionResolver } : MINGO_OPTIONS,
      ).run(docs) as Doc[],
  );
}

export interface UpdateOutcome {
  doc: Doc;
  changed: boolean;
}

/** Whether any top-level field was added, changed or removed. */
function differs(before: Doc, after: Doc): boolean {
  for (const key of Object.keys(after)) if (!(key in before) || compare(before[key], after[key]) !== 0) return true;
  return Object.keys(before).some((key) => !(key in after));
}

/** Applies update operators or an update pipeline to a copy of `before` and says whether anything changed. */
export function applyUpdate(
  before: Doc,
  update: Doc | Doc[],
  arrayFilters: Doc[] | undefined,
  inserting: boolean,
): UpdateOutcome {
  const doc = cloneDoc(before);
  if (!inserting && !Array.isArray(update)) {
    for (const [op, fields] of Object.entries(update)) {
      if (op === "$setOnInsert" || !isPlainObject(fields)) continue;
      const touchesId = "_id" in fields && !(op === "$set" && compare(fields._id, before._id) === 0);
      if (touchesId || (op === "$rename" && Object.values(fields).includes("_id"))) {
        throw badRequest("IMMUTABLE_FIELD", "the update would change the immutable field '_id'", { path: "_id" });
      }
    }
  }
  let after: Doc;
  if (Array.isArray(update)) {
    after = runPipeline([doc], update)[0] ?? {};
    // As in MongoDB, a pipeline that drops _id ($replaceRoot, $project) keeps the document's own.
    if (after._id === undefined && before._id !== undefined) after = { _id: before._id, ...after };
  } else if ("$mergePatch" in update) {
    after = applyMergePatch(doc, update.$mergePatch) as Doc;
  } else {
    const { $setOnInsert, ...rest } = update as Doc & { $setOnInsert?: Doc };
    const modifier = inserting && $setOnInsert ? { ...rest, $set: { ...(rest.$set as Doc), ...$setOnInsert } } : rest;
    if (Object.keys(modifier).length > 0) {
      userQuery("update", () =>
        mingoUpdate(doc, nativeRegex(modifier) as never, nativeRegex(arrayFilters), undefined, {
          cloneMode: "deep",
          queryOptions: MINGO_OPTIONS,
        }),
      );
    }
    after = doc;
  }
  if (!inserting && compare(before._id, after._id) !== 0) {
    throw badRequest("IMMUTABLE_FIELD", "the update would change the immutable field '_id'", { path: "_id" });
  }
  if (after._id === undefined && before._id !== undefined) after._id = before._id;
  return { doc: after, changed: differs(before, after) };
}

/** The document an upsert starts from: the filter's equality conditions, as MongoDB does. */
export function upsertSeed(filter: Doc): Doc {
  const seed: Doc = {};
  const visit = (f: Doc) => {
    for (const [k, v] of Object.entries(f)) {
      if (k === "$and" && Array.isArray(v)) v.forEach((p) => isPlainObject(p) && visit(p));
      else if (k.startsWith("$")) continue;
      else if (isPlainObject(v) && Object.keys(v).some((o) => o.startsWith("$"))) {
        if ("$eq" in v) setPath(seed, k, v.$eq);
      } else setPath(seed, k, v);
    }
  };
  visit(filter);
  return seed;
}

function setPath(doc: Doc, path: string, value: unknown) {
  const parts = path.split(".");
  let cur = doc;
  for (const p of parts.slice(0, -1)) {
    if (!isPlainObject(cur[p])) cur[p] = {};
    cur = cur[p] as Doc;
  }
  cur[parts[parts.length - 1]] = value;
}

export function ensureId(doc: Doc): Doc {
  const { _id, ...rest } = doc;
  if (Array.isArray(_id)) throw badRequest("INVALID_ID", "_id must not be an array", { path: "_id" });
  if (_id instanceof RegExp) throw badRequest("INVALID_ID", "_id must not be a regular expression", { path: "_id" });
  // MongoDB stores _id first whatever order the client sent.
  // `_id: null` is a valid _id in MongoDB; only a missing one is generated.
  return { _id: _id === undefined ? new ObjectId() : _id, ...rest };
}
