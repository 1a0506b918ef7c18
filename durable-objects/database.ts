import { DurableObject } from "cloudflare:workers";
import { capture, type Result } from "../worker/lib/errors";
import { parseEjson, stringify, type Doc } from "../worker/lib/ejson";
import type { CollectionInfo, FindQuery, IndexSpec, WriteOptions } from "../worker/store/types";
import { Catalog } from "./sql/catalog";
import { Engine, type Change, type TextPage } from "./sql/engine";

/** EJSON text: documents cross the RPC boundary as text so ObjectIds, Dates and Decimals keep their types. */
export type Ejson = string;

/**
 * The embedded store: one object per tenant + database, one SQLite table per collection.
 * Methods are thin: parse arguments, run the engine synchronously (no await between read and write), return plain data.
 */
export class DatabaseDO extends DurableObject<Env> {
  private catalog: Catalog;
  private engine: Engine;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.catalog = new Catalog(ctx.storage.sql);
    this.engine = new Engine(ctx.storage.sql, this.catalog);
  }

  private write<T>(fn: (changes: Change[]) => T): Result<T> {
    return capture(() => {
      try {
        return this.ctx.storage.transactionSync(() => fn([]));
      } catch (err) {
        this.catalog.invalidate();
        throw err;
      }
    });
  }

  find(collection: string, query: Ejson): Result<TextPage> {
    return capture(() => this.engine.find(collection, parseEjson(query) as FindQuery));
  }

  /**
   * The hottest read: answers "<etag> <stored text>" in one string (an ETag holds no space), because a string crosses
   * RPC far cheaper than an object. With a projection the text after the ETag is the projected document.
   */
  findOne(collection: string, filter: Ejson, projection?: Ejson): Result<string | null> {
    return capture(() => {
      const found = this.engine.findOne(collection, parseEjson(filter) as Doc, projection ? (parseEjson(projection) as Doc) : undefined);
      if (!found) return null;
      return `${found.etag} ${projection && found.doc ? stringify(found.doc) : found.text}`;
    });
  }

  count(collection: string, filter: Ejson): Result<number> {
    return capture(() => this.engine.count(collection, parseEjson(filter) as Doc));
  }

  insert(collection: string, docs: Ejson): Result<Ejson> {
    return this.write((changes) => stringify({ inserted: this.engine.insert(collection, parseEjson(docs) as Doc[], changes) }));
  }

  update(collection: string, filter: Ejson, update: Ejson, many: boolean, options: Ejson): Result<Ejson> {
    return this.write((changes) =>
      stringify(
        this.engine.update(collection, parseEjson(filter) as Doc, parseEjson(update) as Doc, many, parseEjson(options) as WriteOptions, changes),
      ),
    );
  }

  replace(collection: string, filter: Ejson, replacement: Ejson, options: Ejson): Result<Ejson> {
    return this.write((changes) =>
      stringify(
        this.engine.replace(collection, parseEjson(filter) as Doc, parseEjson(replacement) as Doc, parseEjson(options) as WriteOptions, changes),
      ),
    );
  }

  delete(collection: string, filter: Ejson, many: boolean, options: Ejson): Result<number> {
    return this.write((changes) => this.engine.delete(collection, parseEjson(filter) as Doc, many, parseEjson(options) as WriteOptions, changes));
  }

  aggregate(collection: string, pipeline: Ejson): Result<Ejson> {
    return capture(() => stringify({ documents: this.engine.aggregate(collection, parseEjson(pipeline) as Doc[]) }));
  }

  distinct(collection: string, field: string, filter: Ejson): Result<Ejson> {
    return capture(() => stringify({ values: this.engine.distinct(collection, field, parseEjson(filter) as Doc) }));
  }

  sample(collection: string, size: number): Result<Ejson> {
    return capture(() => stringify({ documents: this.engine.sample(collection, size) }));
  }

  private info(name: string): CollectionInfo | null {
    const meta = this.catalog.get(name);
    const stats = this.engine.stats(name);
    if (!meta || !stats) return null;
    return {
      name,
      ...stats,
      indexes: [{ name: "_id_", keys: { _id: 1 }, unique: true }, ...meta.indexes.map(({ name, keys, unique }) => ({ name, keys, unique }))],
      ...(meta.validatorJson ? { validator: JSON.parse(meta.validatorJson) } : {}),
    };
  }

  listCollections(): Result<CollectionInfo[]> {
    return capture(() => this.catalog.names().map((n) => this.info(n)!));
  }

  collectionStats(name: string): Result<CollectionInfo | null> {
    return capture(() => this.info(name));
  }

  createCollection(name: string, validator: string | null): Result<{ created: boolean; info: CollectionInfo }> {
    return this.write(() => {
      const existed = this.catalog.get(name) !== null;
      this.catalog.ensure(name, validator === null ? undefined : JSON.parse(validator));
      return { created: !existed, info: this.info(name)! };
    });
  }

  dropCollection(name: string): Result<boolean> {
    return this.write(() => this.catalog.drop(name));
  }

  createIndex(collection: string, keys: Record<string, 1 | -1>, unique: boolean, name?: string): Result<IndexSpec> {
    return this.write(() => this.catalog.createIndex(collection, keys, unique, name));
  }

  listIndexes(collection: string): Result<IndexSpec[]> {
    return capture(() => this.info(collection)?.indexes ?? []);
  }

  dropIndex(collection: string, name: string): Result<boolean> {
    return this.write(() => this.catalog.dropIndex(collection, name));
  }

  ping(): string {
    this.ctx.storage.sql.exec("SELECT 1").toArray();
    return "ok";
  }
}
