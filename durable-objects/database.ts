import { DurableObject } from "cloudflare:workers";
import { capture, type Result } from "../worker/lib/errors";
import { parseEjson, stringify, type Doc } from "../worker/lib/ejson";
import type { CollectionInfo, FindQuery, IndexSpec, WriteOptions } from "../worker/store/types";
import { Catalog } from "./sql/catalog";
import { Engine, type Change, type TextPage } from "./sql/engine";
import { Outbox } from "./sql/outbox";
import { buildEvent, type WriteOrigin } from "../worker/lib/change-events";
import { backoffDelay } from "../worker/lib/backoff";
import { log } from "../worker/log";

const FLUSH_BATCH = 100;
const QUEUE_BATCH_BYTES = 200_000;

/** EJSON text: documents cross the RPC boundary as text so ObjectIds, Dates and Decimals keep their types. */
export type Ejson = string;

/**
 * The embedded store: one object per tenant + database, one SQLite table per collection.
 * Methods are thin: parse arguments, run the engine synchronously (no await between read and write), return plain data.
 */
export class DatabaseDO extends DurableObject<Env> {
  private catalog: Catalog;
  private engine: Engine;
  private outbox: Outbox;
  /** Whether an alarm is known to be pending; saves a storage call per write. Reset whenever the alarm runs. */
  private armed = false;
  private flushFailures = 0;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.catalog = new Catalog(ctx.storage.sql);
    this.engine = new Engine(ctx.storage.sql, this.catalog);
    this.outbox = new Outbox(ctx.storage.sql);
  }

  /** Runs a write and appends its change events to the outbox in the same transaction, then arms the flush alarm. */
  private write<T>(fn: (changes: Change[]) => T, origin?: WriteOrigin, collection?: string): Result<T> {
    return capture(() => {
      let produced = false;
      try {
        const result = this.ctx.storage.transactionSync(() => {
          const changes: Change[] = [];
          const value = fn(changes);
          if (origin && collection && changes.length > 0) {
            const at = new Date();
            this.outbox.append(changes.map((ch) => buildEvent(origin, collection, ch.op, ch.id, ch.before, ch.after, at)));
            produced = true;
          }
          return value;
        });
        if (produced) this.arm(0);
        return result;
      } catch (err) {
        this.catalog.invalidate();
        throw err;
      }
    });
  }

  private arm(delayMs: number): void {
    if (this.armed) return;
    this.armed = true;
    void this.ctx.storage.setAlarm(Date.now() + delayMs);
  }

  /** Sends a batch of outbox rows to the EVENTS queue; an instance method so tests can make the queue fail. */
  async publish(bodies: string[]): Promise<void> {
    for (let i = 0; i < bodies.length; ) {
      const batch: MessageSendRequest<string>[] = [];
      let bytes = 0;
      while (i < bodies.length && batch.length < FLUSH_BATCH && (batch.length === 0 || bytes + bodies[i].length <= QUEUE_BATCH_BYTES)) {
        bytes += bodies[i].length;
        batch.push({ body: bodies[i++], contentType: "text" });
      }
      await this.env.EVENTS.sendBatch(batch);
    }
  }

  /** Drains the outbox: at least once, in order; a failed send keeps the rows and retries with backoff, forever. */
  override async alarm(): Promise<void> {
    this.armed = false;
    const rows = this.outbox.take(FLUSH_BATCH);
    if (rows.length === 0) return;
    try {
      await this.publish(rows.map((r) => r.body));
    } catch (err) {
      this.flushFailures++;
      const delay = 1000 + backoffDelay(this.flushFailures, 1000, 60_000);
      log("warn", "outbox flush failed", { error: String(err), pending: rows.length, retryInMs: delay });
      this.arm(delay);
      return;
    }
    this.flushFailures = 0;
    this.outbox.remove(rows[rows.length - 1].seq);
    if (rows.length === FLUSH_BATCH) this.arm(0);
  }

  /** Pending events, for cluster status and for tests that wait for the outbox to drain. */
  outboxBacklog(): { pending: number; oldestAt: number | null } {
    return this.outbox.backlog();
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

  insert(collection: string, docs: Ejson, origin: WriteOrigin): Result<Ejson> {
    return this.write((changes) => stringify({ inserted: this.engine.insert(collection, parseEjson(docs) as Doc[], changes) }), origin, collection);
  }

  update(collection: string, filter: Ejson, update: Ejson, many: boolean, options: Ejson, origin: WriteOrigin): Result<Ejson> {
    return this.write(
      (changes) =>
        stringify(
          this.engine.update(collection, parseEjson(filter) as Doc, parseEjson(update) as Doc, many, parseEjson(options) as WriteOptions, changes),
        ),
      origin,
      collection,
    );
  }

  replace(collection: string, filter: Ejson, replacement: Ejson, options: Ejson, origin: WriteOrigin): Result<Ejson> {
    return this.write(
      (changes) =>
        stringify(
          this.engine.replace(collection, parseEjson(filter) as Doc, parseEjson(replacement) as Doc, parseEjson(options) as WriteOptions, changes),
        ),
      origin,
      collection,
    );
  }

  delete(collection: string, filter: Ejson, many: boolean, options: Ejson, origin: WriteOrigin): Result<number> {
    return this.write(
      (changes) => this.engine.delete(collection, parseEjson(filter) as Doc, many, parseEjson(options) as WriteOptions, changes),
      origin,
      collection,
    );
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
