import { badRequest } from "../lib/errors";
import type { Doc } from "../lib/ejson";
import { LIMITS } from "../lib/limits";
import { checkCollectionName } from "../lib/names";
import { checkDocument, checkFilter, checkPipeline, checkUpdate } from "../lib/query-policy";
import { authorize, mayAccessCollection, pipelineCollections, type DataAction } from "../lib/access";
import type { Principal } from "../lib/roles";
import type { AggregateOptions, DocumentStore, FindQuery, WriteOptions } from "./types";

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
 * The one gate between callers (REST, Data API, scripts) and any backend: who may do what on which collection
 * (asked of worker/lib/access.ts, including every collection an aggregation reads at any depth), then names,
 * operator policy and sizes, so every route and backend refuses the same things with the same codes.
 * Every method is async so a refusal is a rejected promise, like any backend error. A class rather than an object of
 * closures because one is made per request, and the methods then live once on the prototype.
 */
class PolicedStore implements DocumentStore {
  readonly backend: DocumentStore["backend"];
  constructor(
    private store: DocumentStore,
    private principal: Principal,
  ) {
    this.backend = store.backend;
  }
  async find(c: string, q: FindQuery) {
    this.gate("find", c);
    checkFind(q);
    return this.store.find(c, q);
  }
  async findOne(c: string, f: Doc, p?: Doc) {
    this.gate("find", c);
    checkFilter(f);
    if (p) checkFilter(p, "projection");
    return this.store.findOne(c, f, p);
  }
  async insertOne(c: string, d: Doc) {
    this.gate("insert", c);
    checkDocument(d);
    return this.store.insertOne(c, d);
  }
  async insertMany(c: string, docs: Doc[]) {
    this.gate("insert", c);
    if (!Array.isArray(docs) || docs.length === 0) throw badRequest("INVALID_DOCUMENT", "documents must be a non-empty array");
    if (docs.length > LIMITS.maxInsertMany) throw badRequest("TOO_MANY_DOCUMENTS", `at most ${LIMITS.maxInsertMany} documents per request`);
    docs.forEach((d, i) => checkDocument(d, `documents.${i}`));
    return this.store.insertMany(c, docs);
  }
  async updateOne(c: string, f: Doc, u: Doc | Doc[], o?: WriteOptions) {
    this.gate("update", c);
    checkFilter(f);
    checkUpdate(u);
    checkWriteOptions(o);
    return this.store.updateOne(c, f, u, o);
  }
  async updateMany(c: string, f: Doc, u: Doc | Doc[], o?: WriteOptions) {
    this.gate("update", c);
    checkFilter(f);
    checkBroadFilter(f, o);
    checkUpdate(u);
    checkWriteOptions(o);
    return this.store.updateMany(c, f, u, o);
  }
  async replaceOne(c: string, f: Doc, r: Doc, o?: WriteOptions) {
    this.gate("update", c);
    checkFilter(f);
    checkDocument(r, "replacement");
    return this.store.replaceOne(c, f, r, o);
  }
  async deleteOne(c: string, f: Doc, o?: WriteOptions) {
    this.gate("delete", c);
    checkFilter(f);
    return this.store.deleteOne(c, f, o);
  }
  async deleteMany(c: string, f: Doc, o?: WriteOptions) {
    this.gate("delete", c);
    checkFilter(f);
    checkBroadFilter(f, o);
    return this.store.deleteMany(c, f, o);
  }
  async aggregate(c: string, p: Doc[], o?: AggregateOptions) {
    this.gate("aggregate", c);
    checkPipeline(p);
    for (const other of pipelineCollections(p)) this.gate("aggregate", other);
    return this.store.aggregate(c, p, o);
  }
  async countDocuments(c: string, f: Doc) {
    this.gate("find", c);
    checkFilter(f);
    return this.store.countDocuments(c, f);
  }
  async distinct(c: string, field: string, f: Doc) {
    this.gate("find", c);
    checkFilter(f);
    if (!field || field.startsWith("$")) throw badRequest("INVALID_FIELD", "distinct needs a field name");
    return this.store.distinct(c, field, f);
  }
  async listCollections() {
    authorize(this.principal, "find");
    const all = await this.store.listCollections();
    return all.filter((info) => mayAccessCollection(this.principal, info.name));
  }
  private gate(action: DataAction, collection: string) {
    checkCollectionName(collection);
    authorize(this.principal, action, collection);
  }
  async createCollection(n: string, o: { validator?: unknown }) {
    this.gate("manage", n);
    return this.store.createCollection(n, o);
  }
  async setValidator(n: string, v: unknown | null) {
    this.gate("manage", n);
    return this.store.setValidator(n, v);
  }
  async dropCollection(n: string) {
    this.gate("manage", n);
    return this.store.dropCollection(n);
  }
  async collectionStats(n: string) {
    this.gate("find", n);
    return this.store.collectionStats(n);
  }
  async createIndex(c: string, k: Record<string, 1 | -1>, o: { unique?: boolean; name?: string }) {
    this.gate("manage", c);
    return this.store.createIndex(c, k, o);
  }
  async listIndexes(c: string) {
    this.gate("find", c);
    return this.store.listIndexes(c);
  }
  async dropIndex(c: string, n: string) {
    this.gate("manage", c);
    return this.store.dropIndex(c, n);
  }
  async sample(c: string, n: number) {
    this.gate("find", c);
    return this.store.sample(c, n);
  }
  async ping() {
    return this.store.ping();
  }
}

export function policed(store: DocumentStore, principal: Principal): DocumentStore {
  return new PolicedStore(store, principal);
}
