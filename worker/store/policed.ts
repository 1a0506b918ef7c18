import { badRequest } from "../lib/errors";
import type { Doc } from "../lib/ejson";
import { LIMITS } from "../lib/limits";
import { checkCollectionName } from "../lib/names";
import { checkDocument, checkFilter, checkPipeline, checkUpdate } from "../lib/query-policy";
import { authorize, mayAccessCollection, pipelineCollections, type DataAction } from "../lib/access";
import { AppError } from "../lib/errors";
import { matcher } from "../lib/doc-ops";
import { parseEjson } from "../lib/ejson";
import {
  andFilter,
  documentPaths,
  refuseHiddenReferences,
  refuseProtectedWrites,
  scopeFor,
  withoutHidden,
  writtenPaths,
  type RowScope,
} from "../lib/row-rules";
import type { Principal } from "../lib/roles";
import type { ChunkRow, ImportChunk, ImportJob, RowError } from "../lib/import-job";
import { rowFailure } from "../lib/import-job";
import type {
  AggregateOptions,
  DocumentStore,
  FindQuery,
  ImportJobs,
  IndexKeys,
  IndexOptions,
  WriteOptions,
} from "./types";

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
    throw badRequest(
      "EMPTY_FILTER",
      "an empty filter would affect every document; pass allowEmptyFilter=true to confirm",
    );
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
    const scope = this.scope(c);
    if (!scope) return this.store.find(c, q);
    refuseHiddenReferences(scope, "the filter", q.filter);
    refuseHiddenReferences(scope, "the sort", q.sort);
    const result = await this.store.find(c, { ...q, filter: andFilter(q.filter ?? {}, scope) });
    if (scope.hidden.length === 0) return result;
    const docs = result.documentsJson !== undefined ? (parseEjson(result.documentsJson) as Doc[]) : result.documents;
    return { ...result, documentsJson: undefined, documents: docs.map((d) => withoutHidden(d, scope.hidden)) };
  }
  async findOne(c: string, f: Doc, p?: Doc) {
    this.gate("find", c);
    checkFilter(f);
    if (p) checkFilter(p, "projection");
    const scope = this.scope(c);
    if (!scope) return this.store.findOne(c, f, p);
    refuseHiddenReferences(scope, "the filter", f);
    const found = await this.store.findOne(c, andFilter(f, scope), p);
    if (!found || scope.hidden.length === 0) return found;
    return { ...found, doc: withoutHidden(found.doc, scope.hidden), text: undefined };
  }
  async insertOne(c: string, d: Doc) {
    this.gate("insert", c);
    checkDocument(d);
    this.checkInsert(c, [d]);
    return this.store.insertOne(c, d);
  }
  async insertMany(c: string, docs: Doc[]) {
    this.gate("insert", c);
    if (!Array.isArray(docs) || docs.length === 0)
      throw badRequest("INVALID_DOCUMENT", "documents must be a non-empty array");
    if (docs.length > LIMITS.maxInsertMany)
      throw badRequest("TOO_MANY_DOCUMENTS", `at most ${LIMITS.maxInsertMany} documents per request`);
    docs.forEach((d, i) => checkDocument(d, `documents.${i}`));
    this.checkInsert(c, docs);
    return this.store.insertMany(c, docs);
  }
  async updateOne(c: string, f: Doc, u: Doc | Doc[], o?: WriteOptions) {
    this.gate("update", c);
    checkFilter(f);
    checkUpdate(u);
    checkWriteOptions(o);
    const scope = this.scope(c);
    return this.hideIn(scope, await this.store.updateOne(c, this.scopedUpdate(scope, f, u, o), u, o));
  }
  async updateMany(c: string, f: Doc, u: Doc | Doc[], o?: WriteOptions) {
    this.gate("update", c);
    checkFilter(f);
    checkBroadFilter(f, o);
    checkUpdate(u);
    checkWriteOptions(o);
    return this.store.updateMany(c, this.scopedUpdate(this.scope(c), f, u, o), u, o);
  }
  async replaceOne(c: string, f: Doc, r: Doc, o?: WriteOptions) {
    this.gate("update", c);
    checkFilter(f);
    checkDocument(r, "replacement");
    const scope = this.scope(c);
    if (!scope) return this.store.replaceOne(c, f, r, o);
    refuseHiddenReferences(scope, "the filter", f);
    if (o?.upsert)
      throw new AppError(403, "ROW_RULES_UPSERT", "a role with row rules cannot upsert; insert, then update");
    // A replacement rewrites every field, so a role with read-only fields must use a partial update instead.
    if (scope.readOnly.length > 0)
      throw new AppError(
        403,
        "FIELD_READ_ONLY",
        `this role may not write "${scope.readOnly[0]}"; send a partial update (PATCH) instead`,
        { path: scope.readOnly[0] },
      );
    this.requireInScope(scope, r);
    return this.hideIn(scope, await this.store.replaceOne(c, andFilter(f, scope), r, o));
  }
  async deleteOne(c: string, f: Doc, o?: WriteOptions) {
    this.gate("delete", c);
    checkFilter(f);
    return this.store.deleteOne(c, this.scopedFilter(c, f), o);
  }
  async deleteMany(c: string, f: Doc, o?: WriteOptions) {
    this.gate("delete", c);
    checkFilter(f);
    checkBroadFilter(f, o);
    return this.store.deleteMany(c, this.scopedFilter(c, f), o);
  }
  async aggregate(c: string, p: Doc[], o?: AggregateOptions) {
    this.gate("aggregate", c);
    checkPipeline(p);
    for (const other of pipelineCollections(p)) {
      this.gate("aggregate", other);
      const scope = this.scope(other);
      // A joined collection's rows cannot be filtered reliably inside $lookup/$unionWith stages the caller wrote.
      if (scope && (scope.filter || scope.hidden.length > 0)) {
        throw new AppError(
          403,
          "ROW_RULES_IN_LOOKUP",
          `"${other}" has row rules for this role; it cannot be joined into a pipeline`,
          { collection: other },
        );
      }
    }
    const scope = this.scope(c);
    if (!scope) return this.store.aggregate(c, p, o);
    // The caller's stages see only the role's rows, with hidden fields already gone.
    const prefix: Doc[] = [];
    if (scope.filter) prefix.push({ $match: scope.filter });
    if (scope.hidden.length > 0) prefix.push({ $unset: scope.hidden });
    return this.store.aggregate(c, [...prefix, ...p], o);
  }
  async countDocuments(c: string, f: Doc) {
    this.gate("find", c);
    checkFilter(f);
    return this.store.countDocuments(c, this.scopedFilter(c, f));
  }
  async distinct(c: string, field: string, f: Doc) {
    this.gate("find", c);
    checkFilter(f);
    if (!field || field.startsWith("$")) throw badRequest("INVALID_FIELD", "distinct needs a field name");
    const scope = this.scope(c);
    if (scope) refuseHiddenReferences(scope, "distinct", { [field]: 1 });
    return this.store.distinct(c, field, this.scopedFilter(c, f));
  }
  /** A write's returned document, without the fields the role may not read. */
  private hideIn<T extends { document?: Doc }>(scope: RowScope | null, result: T): T {
    const hidden = scope?.hidden ?? [];
    if (!result.document || hidden.length === 0) return result;
    return { ...result, document: withoutHidden(result.document, hidden) };
  }
  /** The custom role's scope on a collection, or null for built-in roles (nothing to add). */
  private scope(c: string): RowScope | null {
    const role = this.principal.customRole;
    if (!role) return null;
    return scopeFor(role.rules, c, {
      userId: this.principal.userId,
      keyId: this.principal.keyId,
      claims: this.principal.claims,
    });
  }
  private scopedFilter(c: string, f: Doc): Doc {
    return this.withinScope(this.scope(c), f);
  }
  private withinScope(scope: RowScope | null, f: Doc): Doc {
    if (!scope) return f;
    refuseHiddenReferences(scope, "the filter", f);
    return andFilter(f, scope);
  }
  private scopedUpdate(scope: RowScope | null, f: Doc, u: Doc | Doc[], o?: WriteOptions): Doc {
    if (!scope) return f;
    if (Array.isArray(u) && (scope.readOnly.length > 0 || scope.pinned.length > 0)) {
      throw new AppError(
        403,
        "ROW_RULES_PIPELINE_UPDATE",
        "a role with read-only or filtered fields updates with operators, not a pipeline",
      );
    }
    if (o?.upsert && scope.filter)
      throw new AppError(403, "ROW_RULES_UPSERT", "a role with a row filter cannot upsert; insert, then update");
    if (!Array.isArray(u)) refuseProtectedWrites(scope, writtenPaths(u));
    return this.withinScope(scope, f);
  }
  private checkInsert(c: string, docs: Doc[]) {
    const scope = this.scope(c);
    if (!scope) return;
    for (const d of docs) {
      const ro = documentPaths(d).find((p) => scope.readOnly.some((f) => p === f || p.startsWith(`${f}.`)));
      if (ro) throw new AppError(403, "FIELD_READ_ONLY", `this role may not write "${ro}"`, { path: ro });
      this.requireInScope(scope, d);
    }
  }
  /** A document written by a filtered role must be one it could read back. */
  private requireInScope(scope: RowScope, d: Doc) {
    if (scope.filter && !matcher(scope.filter)(d)) {
      throw new AppError(403, "ROW_FILTER_VIOLATION", "the document does not satisfy this role's row filter", {
        filter: scope.filter,
      });
    }
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
  async createIndex(c: string, k: IndexKeys, o: IndexOptions) {
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
    const scope = this.scope(c);
    if (!scope) return this.store.sample(c, n);
    return (await this.find(c, { filter: {}, limit: n })).documents;
  }
  /**
   * An import chunk: the same checks as an insert (or, with upsert keys, an upsert) for each row; a row that fails
   * them is reported with the chunk instead of being sent. Refusals of the whole import (no access, an upsert under a
   * row filter) end it.
   */
  async importChunk(c: string, chunk: ImportChunk) {
    this.gate("insert", c);
    const upsert = chunk.upsertKeys.length > 0;
    if (upsert) this.gate("update", c);
    const scope = this.scope(c);
    if (upsert && scope?.filter)
      throw new AppError(403, "ROW_RULES_UPSERT", "a role with a row filter cannot import with upsert keys");
    const docs: ChunkRow[] = [];
    const rejected: RowError[] = [...chunk.rejected];
    for (const r of chunk.docs) {
      try {
        checkDocument(r.doc);
        if (upsert && scope) refuseProtectedWrites(scope, writtenPaths({ $set: r.doc }));
        else this.checkInsert(c, [r.doc]);
        docs.push(r);
      } catch (err) {
        if (!(err instanceof AppError)) throw err;
        rejected.push(rowFailure(r.row, err));
      }
    }
    return this.store.importChunk(c, { ...chunk, docs, rejected: rejected.sort((a, b) => a.row - b.row) });
  }
  /** Import jobs, each seen by callers who may import into its collection. */
  get importJobs(): ImportJobs {
    const jobs = this.store.importJobs;
    const visible = (job: ImportJob | null) => {
      if (job) this.gate("insert", job.collection);
      return job;
    };
    return {
      start: async (id, collection, format, options) => {
        this.gate("insert", collection);
        return jobs.start(id, collection, format, options);
      },
      get: async (id) => visible(await jobs.get(id)),
      list: async (collection, limit) => {
        if (collection) this.gate("insert", collection);
        return (await jobs.list(collection, limit)).filter((j) => mayAccessCollection(this.principal, j.collection));
      },
      cancel: async (id) => {
        visible(await jobs.get(id));
        return jobs.cancel(id);
      },
      finish: (id, status, error) => jobs.finish(id, status, error),
      failures: async (id, afterRow, limit) => {
        visible(await jobs.get(id));
        return jobs.failures(id, afterRow, limit);
      },
    };
  }
  async ping() {
    return this.store.ping();
  }
}

export function policed(store: DocumentStore, principal: Principal): DocumentStore {
  return new PolicedStore(store, principal);
}
