import { badRequest } from "../lib/errors";
import type { Doc } from "../lib/ejson";
import { LIMITS } from "../lib/limits";
import { checkCollectionName } from "../lib/names";
import { checkDocument, checkFilter, checkPipeline, checkUpdate } from "../lib/query-policy";
import type { DocumentStore, FindQuery, WriteOptions } from "./types";

function checkFind(q: FindQuery) {
  checkFilter(q.filter);
  if (q.projection) checkFilter(q.projection, "projection");
  if (q.sort) checkFilter(q.sort, "sort");
}

function checkWriteOptions(o: WriteOptions | undefined) {
  o?.arrayFilters?.forEach((f, i) => checkFilter(f, `arrayFilters.${i}`));
}

/** Multi-document writes with `{}` touch every document, so they need an explicit opt-in on every backend. */
function checkBroadFilter(filter: Doc, o: WriteOptions | undefined) {
  if (!o?.allowEmptyFilter && Object.keys(filter).length === 0) {
    throw badRequest("EMPTY_FILTER", "an empty filter would affect every document; pass allowEmptyFilter=true to confirm");
  }
}

/**
 * The one gate between callers (REST, Data API, later scripts) and any backend: names, operator policy and sizes
 * are checked here so every route and backend refuses the same things with the same codes.
 * Every method is async so a refusal is a rejected promise, like any backend error.
 */
export function policed(store: DocumentStore): DocumentStore {
  const coll = (name: string) => checkCollectionName(name);
  return {
    backend: store.backend,
    find: async (c, q) => (coll(c), checkFind(q), store.find(c, q)),
    findOne: async (c, f, p) => (coll(c), checkFilter(f), p && checkFilter(p, "projection"), store.findOne(c, f, p)),
    insertOne: async (c, d) => (coll(c), checkDocument(d), store.insertOne(c, d)),
    insertMany: async (c, docs) => {
      coll(c);
      if (!Array.isArray(docs) || docs.length === 0) throw badRequest("INVALID_DOCUMENT", "documents must be a non-empty array");
      if (docs.length > LIMITS.maxInsertMany) throw badRequest("TOO_MANY_DOCUMENTS", `at most ${LIMITS.maxInsertMany} documents per request`);
      docs.forEach((d, i) => checkDocument(d, `documents.${i}`));
      return store.insertMany(c, docs);
    },
    updateOne: async (c, f, u, o) => (coll(c), checkFilter(f), checkUpdate(u), checkWriteOptions(o), store.updateOne(c, f, u, o)),
    updateMany: async (c, f, u, o) => (coll(c), checkFilter(f), checkBroadFilter(f, o), checkUpdate(u), checkWriteOptions(o), store.updateMany(c, f, u, o)),
    replaceOne: async (c, f, r, o) => {
      coll(c);
      checkFilter(f);
      checkDocument(r, "replacement");
      return store.replaceOne(c, f, r, o);
    },
    deleteOne: async (c, f, o) => (coll(c), checkFilter(f), store.deleteOne(c, f, o)),
    deleteMany: async (c, f, o) => (coll(c), checkFilter(f), checkBroadFilter(f, o), store.deleteMany(c, f, o)),
    aggregate: async (c, p) => {
      coll(c);
      checkPipeline(p);
      for (const stage of p as Doc[]) {
        const from = (stage.$lookup as Doc | undefined)?.from ?? (stage.$unionWith as Doc | undefined)?.coll ?? stage.$unionWith;
        if (typeof from === "string") coll(from);
      }
      return store.aggregate(c, p);
    },
    countDocuments: async (c, f) => (coll(c), checkFilter(f), store.countDocuments(c, f)),
    distinct: async (c, field, f) => {
      coll(c);
      checkFilter(f);
      if (!field || field.startsWith("$")) throw badRequest("INVALID_FIELD", "distinct needs a field name");
      return store.distinct(c, field, f);
    },
    listCollections: async () => store.listCollections(),
    createCollection: async (n, o) => (coll(n), store.createCollection(n, o)),
    dropCollection: async (n) => (coll(n), store.dropCollection(n)),
    collectionStats: async (n) => (coll(n), store.collectionStats(n)),
    createIndex: async (c, k, o) => (coll(c), store.createIndex(c, k, o)),
    listIndexes: async (c) => (coll(c), store.listIndexes(c)),
    dropIndex: async (c, n) => (coll(c), store.dropIndex(c, n)),
    sample: async (c, n) => (coll(c), store.sample(c, n)),
    ping: async () => store.ping(),
  };
}
