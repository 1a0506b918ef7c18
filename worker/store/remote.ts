import { AppError } from "../lib/errors";
import { stringify, type Doc } from "../lib/ejson";
import { mergePatchPipeline } from "../lib/merge-patch";
import { etagOf, ifMatchSatisfied } from "../lib/etag";
import { decodeCursor, encodeCursor, queryFingerprint } from "../lib/cursor";
import type { ChunkOutcome, ImportChunk } from "../lib/import-job";
import type { DatabaseStub } from "./embedded";
import { importJobsOf, importRowByRow } from "./import-ledger";
import type {
  AggregateOptions,
  CollectionInfo,
  DocumentStore,
  ImportJobs,
  IndexKeys,
  IndexOptions,
  FindQuery,
  FindResult,
  IndexSpec,
  StoredDoc,
  UpdateResult,
  WriteOptions,
} from "./types";
import { LIMITS } from "../lib/limits";

const etag = (doc: Doc) => etagOf(stringify(doc));

function updateResult(body: Doc): UpdateResult {
  return {
    matchedCount: Number(body.matchedCount ?? 0),
    modifiedCount: Number(body.modifiedCount ?? 0),
    ...(body.upsertedId !== undefined ? { upsertedId: body.upsertedId } : {}),
  };
}

/** Sends one Data API action (the ten of Data API v1 plus Docflare's management extensions) and returns its body. */
export interface ActionClient {
  call(action: string, payload: Doc): Promise<Doc>;
}

/**
 * A backend whose documents live in a server Docflare reaches over the network: every operation becomes a Data API
 * action. For `data-api` the client POSTs it to the upstream (Atlas-shaped URL, FerretDB v2, or another Docflare);
 * management calls use Docflare's extension actions and answer 501 when the upstream does not have them. For
 * `mongodb` the client hands it to the MongoDB gateway, which runs it with the official driver.
 */
export class RemoteStore implements DocumentStore {
  readonly importJobs: ImportJobs;

  /** `jobs`: the tenant database's DatabaseDO, which keeps import jobs and chunk keys for every backend. */
  constructor(
    private client: ActionClient,
    private database: string,
    private jobs: DatabaseStub,
    readonly backend: "data-api" | "mongodb" = "data-api",
  ) {
    this.importJobs = importJobsOf(jobs);
  }

  /** Called through the eventing wrapper, `this` is that wrapper, so the rows' change events are published. */
  importChunk(collection: string, chunk: ImportChunk): Promise<ChunkOutcome> {
    return importRowByRow(this, this.jobs, collection, chunk);
  }

  private call(action: string, collection: string | undefined, payload: Doc = {}) {
    return this.client.call(action, { database: this.database, ...(collection ? { collection } : {}), ...payload });
  }

  async find(collection: string, q: FindQuery): Promise<FindResult> {
    const filter = q.filter ?? {};
    const fingerprint = queryFingerprint(collection, filter, q.sort);
    const position = q.cursor ? decodeCursor(q.cursor, fingerprint) : undefined;
    if (position && position.kind !== "offset")
      throw new AppError(400, "INVALID_CURSOR", "cursor does not fit this listing");
    const offset = (position?.offset ?? 0) + (q.skip ?? 0);
    const sort = { ...(q.sort ?? {}), ...(q.sort && "_id" in q.sort ? {} : { _id: 1 }) };
    const limit = q.limit;
    const body = await this.call("find", collection, {
      filter,
      sort,
      skip: offset,
      ...(limit !== undefined ? { limit: limit + 1 } : {}),
      ...(q.projection ? { projection: q.projection } : {}),
      maxTimeMS: q.maxTimeMS ?? LIMITS.defaultMaxTimeMs,
    });
    let documents = (body.documents as Doc[]) ?? [];
    let nextCursor: string | undefined;
    if (limit !== undefined && documents.length > limit) {
      documents = documents.slice(0, limit);
      nextCursor = encodeCursor(fingerprint, { kind: "offset", offset: offset + limit });
    }
    return {
      documents,
      nextCursor,
      total: q.count ? await this.countDocuments(collection, filter) : undefined,
      explain: q.explain ? { strategy: "upstream", docsExamined: -1, nReturned: documents.length } : undefined,
    };
  }

  async findOne(collection: string, filter: Doc, projection?: Doc): Promise<StoredDoc | null> {
    const body = await this.call("findOne", collection, { filter, ...(projection ? { projection } : {}) });
    const doc = body.document as Doc | null | undefined;
    return doc ? { doc, etag: etag(doc) } : null;
  }

  async insertOne(collection: string, doc: Doc) {
    const body = await this.call("insertOne", collection, { document: doc });
    return { insertedId: body.insertedId, etag: etag({ ...doc, _id: body.insertedId }) };
  }

  async insertMany(collection: string, docs: Doc[]) {
    const body = await this.call("insertMany", collection, { documents: docs });
    return { insertedIds: body.insertedIds as unknown[] };
  }

  /** Optimistic concurrency over a protocol without ETags: the write's filter pins every top-level field read. */
  private async guarded(collection: string, filter: Doc, options: WriteOptions): Promise<Doc> {
    if (options.ifMatch === undefined) return filter;
    const current = await this.findOne(collection, filter);
    if (!current) return filter;
    if (!ifMatchSatisfied(options.ifMatch, current.etag)) {
      throw new AppError(412, "PRECONDITION_FAILED", "the document changed since it was read (ETag mismatch)", {
        etag: current.etag,
      });
    }
    return { $and: Object.entries(current.doc).map(([k, v]) => ({ [k]: { $eq: v } })) };
  }

  private async afterWrite(
    collection: string,
    filter: Doc,
    result: UpdateResult,
    options: WriteOptions,
    guardedWrite: boolean,
  ) {
    if (guardedWrite && result.matchedCount === 0 && result.upsertedId === undefined) {
      throw new AppError(412, "PRECONDITION_FAILED", "the document changed since it was read (ETag mismatch)");
    }
    if (!options.returnDocument) return result;
    const found = await this.findOne(collection, result.upsertedId !== undefined ? { _id: result.upsertedId } : filter);
    return found ? { ...result, document: found.doc, etag: found.etag } : result;
  }

  private async update(
    action: string,
    collection: string,
    filter: Doc,
    given: Doc | Doc[],
    options: WriteOptions = {},
  ) {
    // `$mergePatch` is Docflare's; upstreams get the same change as a pipeline of $setField/$unsetField.
    const update =
      !Array.isArray(given) && "$mergePatch" in given ? mergePatchPipeline(given.$mergePatch as Doc) : given;
    const guardedFilter = await this.guarded(collection, filter, options);
    const body = await this.call(action, collection, {
      filter: guardedFilter,
      update,
      upsert: !!options.upsert,
      ...(options.arrayFilters ? { arrayFilters: options.arrayFilters } : {}),
    });
    return this.afterWrite(collection, filter, updateResult(body), options, guardedFilter !== filter);
  }

  updateOne(collection: string, filter: Doc, update: Doc | Doc[], options?: WriteOptions) {
    return this.update("updateOne", collection, filter, update, options);
  }

  updateMany(collection: string, filter: Doc, update: Doc | Doc[], options?: WriteOptions) {
    return this.update("updateMany", collection, filter, update, options);
  }

  async replaceOne(collection: string, filter: Doc, replacement: Doc, options: WriteOptions = {}) {
    const guardedFilter = await this.guarded(collection, filter, options);
    const body = await this.call("replaceOne", collection, {
      filter: guardedFilter,
      replacement,
      upsert: !!options.upsert,
    });
    return this.afterWrite(collection, filter, updateResult(body), options, guardedFilter !== filter);
  }

  private async remove(action: string, collection: string, filter: Doc, options: WriteOptions) {
    const guardedFilter = await this.guarded(collection, filter, options);
    const body = await this.call(action, collection, { filter: guardedFilter });
    const deletedCount = Number(body.deletedCount ?? 0);
    if (guardedFilter !== filter && deletedCount === 0)
      throw new AppError(412, "PRECONDITION_FAILED", "the document changed since it was read (ETag mismatch)");
    return { deletedCount };
  }

  deleteOne(collection: string, filter: Doc, options: WriteOptions = {}) {
    return this.remove("deleteOne", collection, filter, options);
  }

  deleteMany(collection: string, filter: Doc, options: WriteOptions = {}) {
    return this.remove("deleteMany", collection, filter, options);
  }

  async aggregate(collection: string, pipeline: Doc[], options?: AggregateOptions) {
    return (
      ((
        await this.call("aggregate", collection, { pipeline, maxTimeMS: options?.maxTimeMS ?? LIMITS.defaultMaxTimeMs })
      ).documents as Doc[]) ?? []
    );
  }

  async countDocuments(collection: string, filter: Doc) {
    const [row] = await this.aggregate(collection, [{ $match: filter }, { $count: "n" }]);
    return Number(row?.n ?? 0);
  }

  async distinct(collection: string, field: string, filter: Doc) {
    const rows = await this.aggregate(collection, [
      { $match: filter },
      { $unwind: `$${field}` },
      { $group: { _id: `$${field}` } },
    ]);
    return rows.map((r) => r._id);
  }

  async listCollections() {
    return (await this.call("listCollections", undefined)).collections as CollectionInfo[];
  }

  async createCollection(name: string, options: { validator?: unknown }) {
    const body = await this.call(
      "createCollection",
      name,
      options.validator === undefined ? {} : { validator: options.validator },
    );
    return { ...(body.collection as CollectionInfo), created: Boolean(body.created) };
  }

  async setValidator(name: string, validator: unknown | null) {
    return ((await this.call("collMod", name, { validator })).collection as CollectionInfo | null) ?? null;
  }

  async dropCollection(name: string) {
    return Boolean((await this.call("dropCollection", name)).dropped);
  }

  async collectionStats(name: string) {
    return ((await this.call("collStats", name)).collection as CollectionInfo | null) ?? null;
  }

  async createIndex(collection: string, keys: IndexKeys, options: IndexOptions) {
    return (await this.call("createIndex", collection, { keys, ...options })).index as IndexSpec;
  }

  async listIndexes(collection: string) {
    return (await this.call("listIndexes", collection)).indexes as IndexSpec[];
  }

  async dropIndex(collection: string, name: string) {
    return Boolean((await this.call("dropIndex", collection, { name })).dropped);
  }

  async sample(collection: string, size: number) {
    return this.aggregate(collection, [{ $sample: { size } }]);
  }

  async ping() {
    await this.call("find", "_docflare_ping", { filter: {}, limit: 1 });
  }
}
