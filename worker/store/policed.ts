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

/**
 * The one gate between callers (REST, Data API, later scripts) and any backend: names, operator policy and sizes
 * are checked here so every route and backend refuses the same things with the same codes.
 */
export function policed(store: DocumentStore): DocumentStore {
  const coll = (name: string) => checkCollectionName(name);
  return {
    backend: store.backend,
    find: (c, q) => (coll(c), checkFind(q), store.find(c, q)),
    findOne: (c, f, p) => (coll(c), checkFilter(f), p && checkFilter(p, "projection"), store.findOne(c, f, p)),
    insertOne: (c, d) => (coll(c), checkDocument(d), store.insertOne(c, d)),
    insertMany: (c, docs) => {
      coll(c);
      if (!Array.isArray(docs) || docs.length === 0) throw badRequest("INVALID_DOCUMENT", "documents must be a non-empty array");
      if (docs.length > LIMITS.maxInsertMany) throw badRequest("TOO_MANY_DOCUMENTS", `at most ${LIMITS.maxInsertMany} documents per request`);
      docs.forEach((d, i) => checkDocument(d, `documents.${i}`));
      return store.insertMany(c, docs);
    },
    updateOne: (c, f, u, o) => (coll(c), checkFilter(f), checkUpdate(u), checkWriteOptions(o), store.updateOne(c, f, u, o)),
    updateMany: (c, f, u, o) => (coll(c), checkFilter(f), checkUpdate(u), checkWriteOptions(o), store.updateMany(c, f, u, o)),
    replaceOne: (c, f, r, o) => {
      coll(c);
      checkFilter(f);
      checkDocument(r, "replacement");
      return store.replaceOne(c, f, r, o);
    },
    deleteOne: (c, f, o) => (coll(c), checkFilter(f), store.deleteOne(c, f, o)),
    deleteMany: (c, f, o) => (coll(c), checkFilter(f), store.deleteMany(c, f, o)),
    aggregate: (c, p) => {
      coll(c);
      checkPipeline(p);
      for (const stage of p as Doc[]) {
        const from = (stage.$lookup as Doc | undefined)?.from ?? (stage.$unionWith as Doc | undefined)?.coll ?? stage.$unionWith;
        if (typeof from === "string") coll(from);
      }
      return store.aggregate(c, p);
    },
    countDocuments: (c, f) => (coll(c), checkFilter(f), store.countDocuments(c, f)),
    distinct: (c, field, f) => {
      coll(c);
      checkFilter(f);
      if (!field || field.startsWith("$")) throw badRequest("INVALID_FIELD", "distinct needs a field name");
      return store.distinct(c, field, f);
    },
    listCollections: () => store.listCollections(),
    createCollection: (n, o) => (coll(n), store.createCollection(n, o)),
    dropCollection: (n) => (coll(n), store.dropCollection(n)),
    collectionStats: (n) => (coll(n), store.collectionStats(n)),
    createIndex: (c, k, o) => (coll(c), store.createIndex(c, k, o)),
    listIndexes: (c) => (coll(c), store.listIndexes(c)),
    dropIndex: (c, n) => (coll(c), store.dropIndex(c, n)),
    sample: (c, n) => (coll(c), store.sample(c, n)),
    ping: () => store.ping(),
  };
}
