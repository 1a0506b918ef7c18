import { unwrap, unwrapText, type Result } from "../lib/errors";
import { decodePage } from "../lib/text-page";
import { parseEjson, stringify, type Doc } from "../lib/ejson";
import type { WriteOrigin } from "../lib/change-events";
import { exactIdKeys } from "../lib/planner";
import type { ChunkOutcome, ImportChunk } from "../lib/import-job";
import { importJobsOf } from "./import-ledger";
import type {
  AggregateOptions,
  CollectionInfo,
  DocumentStore,
  ImportJobs,
  IndexKeys,
  IndexOptions,
  FindQuery,
  FindResult,
  StoredDoc,
  UpdateResult,
  WriteOptions,
} from "./types";

/** idFromName hashes the name on every call; a tenant's id never changes, so remember a bounded number of them. */
const ids = new Map<string, DurableObjectId>();

function databaseId(namespace: Env["DATABASE"], name: string): DurableObjectId {
  let id = ids.get(name);
  if (!id) {
    if (ids.size >= 1024) ids.delete(ids.keys().next().value!);
    ids.set(name, (id = namespace.idFromName(name)));
  }
  return id;
}

/** Frozen queries are shared between requests (a memoized listing), so their text is worth keeping with them. */
const queryTexts = new WeakMap<FindQuery, string>();

function queryText(query: FindQuery): string {
  let text = queryTexts.get(query);
  if (text === undefined) {
    text = stringify(query);
    if (Object.isFrozen(query)) queryTexts.set(query, text);
  }
  return text;
}

export type DatabaseStub = DurableObjectStub<import("../../durable-objects/database").DatabaseDO>;

/** The DatabaseDO of a tenant's database. */
export function databaseStub(namespace: Env["DATABASE"], tenant: string, database: string): DatabaseStub {
  return namespace.get(databaseId(namespace, `${tenant}/${database}`)) as DatabaseStub;
}

/** Talks to the tenant's DatabaseDO; everything crosses as EJSON text so BSON types survive RPC. */
export class EmbeddedStore implements DocumentStore {
  readonly backend = "embedded" as const;
  private stub: DatabaseStub;
  private origin: WriteOrigin;
  readonly importJobs: ImportJobs;

  constructor(namespace: Env["DATABASE"], tenant: string, database: string, chainDepth = 0) {
    this.stub = databaseStub(namespace, tenant, database);
    this.origin = { tenant, database, chainDepth };
    this.importJobs = importJobsOf(this.stub);
  }

  async importChunk(collection: string, chunk: ImportChunk): Promise<ChunkOutcome> {
    return unwrap(await this.stub.importChunk(collection, stringify(chunk), this.origin));
  }

  async find(collection: string, query: FindQuery): Promise<FindResult> {
    const { json, count, nextCursor, total, explain } = decodePage(
      unwrapText(await this.stub.find(collection, queryText(query))),
    );
    let documents: Doc[] | undefined;
    return {
      documentsJson: json,
      count,
      nextCursor,
      total,
      explain,
      get documents() {
        return (documents ??= parseEjson(json) as Doc[]);
      },
    };
  }

  async findOne(collection: string, filter: Doc, projection?: Doc): Promise<StoredDoc | null> {
    const keys = projection ? undefined : exactIdKeys(filter);
    const found = unwrapText(
      keys
        ? await this.stub.findByKeys(collection, JSON.stringify(keys))
        : await this.stub.findOne(collection, stringify(filter), projection ? stringify(projection) : undefined),
    );
    if (found === "") return null;
    const space = found.indexOf(" ");
    const etag = found.slice(0, space);
    const text = found.slice(space + 1);
    let doc: Doc | undefined;
    // Parsed on first use: a plain GET by id sends `text` as it is and never pays for EJSON parsing.
    return {
      etag,
      text,
      get doc() {
        return (doc ??= parseEjson(text) as Doc);
      },
    };
  }

  async insertOne(collection: string, doc: Doc) {
    const text = unwrap(await this.stub.insert(collection, stringify([doc]), this.origin));
    const [first] = (parseEjson(text) as { inserted: Array<{ id: unknown; etag: string }> }).inserted;
    return { insertedId: first.id, etag: first.etag };
  }

  async insertMany(collection: string, docs: Doc[]) {
    const text = unwrap(await this.stub.insert(collection, stringify(docs), this.origin));
    return { insertedIds: (parseEjson(text) as { inserted: Array<{ id: unknown }> }).inserted.map((i) => i.id) };
  }

  private async update(
    collection: string,
    filter: Doc,
    update: Doc | Doc[],
    many: boolean,
    options: WriteOptions = {},
  ) {
    const text = unwrap(
      await this.stub.update(collection, stringify(filter), stringify(update), many, stringify(options), this.origin),
    );
    return parseEjson(text) as UpdateResult;
  }

  updateOne(collection: string, filter: Doc, update: Doc | Doc[], options?: WriteOptions) {
    return this.update(collection, filter, update, false, options);
  }

  updateMany(collection: string, filter: Doc, update: Doc | Doc[], options?: WriteOptions) {
    return this.update(collection, filter, update, true, options);
  }

  async replaceOne(collection: string, filter: Doc, replacement: Doc, options: WriteOptions = {}) {
    const text = unwrap(
      await this.stub.replace(collection, stringify(filter), stringify(replacement), stringify(options), this.origin),
    );
    return parseEjson(text) as UpdateResult;
  }

  async deleteOne(collection: string, filter: Doc, options: WriteOptions = {}) {
    return {
      deletedCount: unwrap(
        await this.stub.delete(collection, stringify(filter), false, stringify(options), this.origin),
      ),
    };
  }

  async deleteMany(collection: string, filter: Doc, options: WriteOptions = {}) {
    return {
      deletedCount: unwrap(
        await this.stub.delete(collection, stringify(filter), true, stringify(options), this.origin),
      ),
    };
  }

  async aggregate(collection: string, pipeline: Doc[], options?: AggregateOptions) {
    return (
      parseEjson(unwrap(await this.stub.aggregate(collection, stringify(pipeline), options?.maxTimeMS))) as {
        documents: Doc[];
      }
    ).documents;
  }

  async countDocuments(collection: string, filter: Doc) {
    return unwrap(await this.stub.count(collection, stringify(filter)));
  }

  async distinct(collection: string, field: string, filter: Doc) {
    return (parseEjson(unwrap(await this.stub.distinct(collection, field, stringify(filter)))) as { values: unknown[] })
      .values;
  }

  async listCollections(): Promise<CollectionInfo[]> {
    return unwrap((await this.stub.listCollections()) as Result<CollectionInfo[]>);
  }

  async createCollection(name: string, options: { validator?: unknown }) {
    const result = unwrap(
      (await this.stub.createCollection(
        name,
        options.validator === undefined ? null : JSON.stringify(options.validator),
      )) as Result<{ created: boolean; info: CollectionInfo }>,
    );
    return { ...result.info, created: result.created };
  }

  async setValidator(name: string, validator: unknown | null) {
    return unwrap(
      (await this.stub.setValidator(
        name,
        validator === null ? null : JSON.stringify(validator),
      )) as Result<CollectionInfo | null>,
    );
  }

  async dropCollection(name: string) {
    return unwrap(await this.stub.dropCollection(name));
  }

  async collectionStats(name: string) {
    return unwrap((await this.stub.collectionStats(name)) as Result<CollectionInfo | null>);
  }

  async createIndex(collection: string, keys: IndexKeys, options: IndexOptions) {
    return unwrap(await this.stub.createIndex(collection, keys, options));
  }

  async listIndexes(collection: string) {
    return unwrap(await this.stub.listIndexes(collection));
  }

  async dropIndex(collection: string, name: string) {
    return unwrap(await this.stub.dropIndex(collection, name));
  }

  async sample(collection: string, size: number) {
    return (parseEjson(unwrap(await this.stub.sample(collection, size))) as { documents: Doc[] }).documents;
  }

  async ping() {
    await this.stub.ping();
  }
}
