import { DurableObject } from "cloudflare:workers";
import { capture, captureText, type Result, type TextResult } from "../worker/lib/errors";
import { parseEjson, stringify, type Doc } from "../worker/lib/ejson";
import type {
  CollectionInfo,
  FindQuery,
  IndexKeys,
  IndexOptions,
  IndexSpec,
  WriteOptions,
} from "../worker/store/types";
import { Catalog } from "./query/catalog";
import { Engine, type Change } from "./query/engine";
import { encodePage } from "../worker/lib/text-page";
import { Outbox } from "./tables/outbox";
import { buildEvent, type WriteOrigin } from "../worker/lib/change-events";
import { backoffDelay } from "../worker/lib/backoff";
import { log } from "../worker/log";
import { ReadCache, cacheableRead } from "../worker/lib/read-cache";
import { envNumber } from "../worker/lib/env-number";
import { sendEventBodies } from "../worker/lib/event-wire";
import { Budget, withBudget } from "../worker/lib/budget";
import { ImportLedger } from "./tables/imports";
import {
  isRowProblem,
  rowFailure,
  upsertFilter,
  type ChunkOutcome,
  type ImportChunk,
  type ImportJob,
  type ImportJobStatus,
  type RowError,
} from "../worker/lib/import-job";

/** Runs engine work under a work budget (maxTimeMS): a runaway query ends with a 400, never a stalled object. */
const budgeted = <T>(fn: () => T, maxTimeMs?: number): T => withBudget(new Budget(maxTimeMs), fn);

/**
 * One budget per isolate, shared by every DatabaseDO in it: objects of one class share an isolate and its memory
 * limit, so a budget per object would grow with the number of tenants. Each object instance reads and writes under
 * its own number, so an instance never sees answers from an earlier life of the same object.
 */
let isolateReads: ReadCache<string> | undefined;
let instances = 0;

const FLUSH_BATCH = 100;
/**
 * Under a stream of writes, flushes start at most this often, so each one carries a batch rather than one event.
 * An idle store still flushes at once: the interval only ever delays a flush that follows another closely.
 */
const FLUSH_INTERVAL_MS = 20;

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
  private imports: ImportLedger;
  /** When the pending alarm is due, if one is known; saves a storage call per write. Reset whenever the alarm runs. */
  private armed: number | null = null;
  private flushFailures = 0;
  private lastFlushAt = 0;
  /** This object is the only writer of its SQLite, so a read's answer holds until the next write to its collection. */
  private reads: ReadCache<string>;
  private readonly instance = `${++instances}`;
  /** Writes waiting for the group commit (see grouped), and whether the group's transaction is running. */
  private group: Array<{ run: () => Result<unknown>; resolve: (r: Result<unknown>) => void }> = [];
  private grouping = false;
  private groupProduced = false;
  /** Commits and the writes they carried, for cluster status and the tests that check writes are grouped. */
  private commits = { commits: 0, writes: 0 };

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.reads = isolateReads ??= new ReadCache(envNumber(env.READ_CACHE_BYTES, 16 * 1024 * 1024));
    this.catalog = new Catalog(ctx.storage.sql);
    this.engine = new Engine(ctx.storage.sql, this.catalog);
    this.outbox = new Outbox(ctx.storage.sql);
    this.imports = new ImportLedger(ctx.storage.sql);
  }

  /**
   * Runs a write and appends its change events to the outbox in the same transaction, then arms the flush alarm.
   * Cached reads of the collection are dropped first, whatever the outcome.
   */
  private write<T>(collection: string, fn: (changes: Change[]) => T, origin?: WriteOrigin): Result<T> {
    this.reads.invalidate(this.scope(collection));
    return capture(() => {
      let produced = false;
      try {
        const result = this.ctx.storage.transactionSync(() => {
          const changes: Change[] = [];
          const value = budgeted(() => fn(changes));
          if (origin && changes.length > 0) {
            const at = new Date();
            this.outbox.append(
              changes.map((ch) => buildEvent(origin, collection, ch.op, ch.id, ch.before, ch.after, at)),
            );
            produced = true;
          }
          return value;
        });
        if (produced) {
          // Inside a group commit the alarm is armed once the group's transaction is done.
          if (this.grouping) this.groupProduced = true;
          else this.arm(Math.max(0, this.lastFlushAt + FLUSH_INTERVAL_MS - Date.now()));
        }
        return result;
      } catch (err) {
        this.catalog.invalidate();
        throw err;
      }
    });
  }

  /**
   * Group commit: document writes that arrive together (while earlier ones wait for the next turn of the event loop)
   * run in one transaction, each under its own savepoint, so they share one durable commit while each keeps its own
   * outcome (a duplicate key fails that write alone) and its change events. A write that arrives alone commits alone.
   */
  private grouped<T>(collection: string, fn: (changes: Change[]) => T, origin: WriteOrigin): Promise<Result<T>> {
    return new Promise((resolve) => {
      this.group.push({
        run: () => this.write(collection, fn, origin),
        resolve: resolve as (r: Result<unknown>) => void,
      });
      if (this.group.length === 1) setTimeout(() => this.commitGroup(), 0);
    });
  }

  private commitGroup(): void {
    const ops = this.group;
    this.group = [];
    this.commits.commits++;
    this.commits.writes += ops.length;
    if (ops.length === 1) return ops[0].resolve(ops[0].run());
    const results: Result<unknown>[] = [];
    this.grouping = true;
    this.groupProduced = false;
    try {
      this.ctx.storage.transactionSync(() => {
        for (const op of ops) results.push(op.run());
      });
    } catch (err) {
      // The shared commit failed: no write of the group happened, and every caller hears so.
      this.catalog.invalidate();
      const error = {
        status: 503 as const,
        code: "COMMIT_FAILED" as const,
        message: `the write could not be committed: ${(err as Error).message}`,
      };
      for (const op of ops) op.resolve({ ok: false, error });
      return;
    } finally {
      this.grouping = false;
    }
    if (this.groupProduced) this.arm(Math.max(0, this.lastFlushAt + FLUSH_INTERVAL_MS - Date.now()));
    ops.forEach((op, i) => op.resolve(results[i]));
  }

  /** Arms the alarm unless one is already due no later (a resend check armed far ahead must not delay a flush). */
  private arm(delayMs: number): void {
    const at = Date.now() + delayMs;
    if (this.armed !== null && this.armed <= at) return;
    this.armed = at;
    void this.ctx.storage.setAlarm(at);
  }

  /** Sends a batch of outbox rows to the EVENTS queue; an instance method so tests can make the queue fail. */
  async publish(bodies: string[]): Promise<void> {
    await sendEventBodies(this.env.EVENTS, bodies);
  }

  /** Keeps the subject of a truncated event published by a backend without an outbox (the data-api upstream). */
  spill(eventId: string, subject: string): void {
    this.outbox.spill(eventId, subject);
  }

  /** The subject document of a truncated event, for the EVENTS consumer's filters; null once past retention. */
  spilled(eventId: string): string | null {
    return this.outbox.spilled(eventId);
  }

  /**
   * Drains the outbox: at least once, in order; a failed send keeps the rows and retries with backoff, forever. Sent
   * rows stay until the EVENTS consumer confirms them, and are sent again if it never does (see RESEND_AFTER_MS).
   */
  override async alarm(): Promise<void> {
    this.armed = null;
    this.lastFlushAt = Date.now();
    const rows = this.outbox.take(FLUSH_BATCH);
    if (rows.length === 0) {
      this.outbox.pruneSpill();
      this.armForResend();
      return;
    }
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
    this.outbox.markSent(rows.map((r) => r.seq));
    if (rows.length === FLUSH_BATCH) this.arm(0);
    else this.armForResend();
  }

  private armForResend(): void {
    const at = this.outbox.nextResendAt();
    if (at !== null) this.arm(Math.max(0, at - Date.now()));
  }

  /** The EVENTS consumer confirms the events it fanned out; they leave the outbox. */
  confirmEvents(eventIds: string[]): void {
    this.outbox.confirm(eventIds);
  }

  /** Reads this isolate's cache has answered; tests check a repeated read was served from it. */
  readCacheHits(): number {
    return this.reads.hits;
  }

  commitStats(): { commits: number; writes: number } {
    return { ...this.commits };
  }

  /** Pending events, for cluster status and for tests that wait for the outbox to drain. */
  outboxBacklog(): ReturnType<Outbox["backlog"]> {
    return this.outbox.backlog();
  }

  /** The read cache's name for one of this instance's collections. */
  private scope(collection: string): string {
    return `${this.instance}/${collection}`;
  }

  /** Answers a read from the cache when an identical one has run since the collection last changed. */
  private cached(collection: string, read: string, run: () => string): TextResult {
    const cacheable = this.reads.enabled && cacheableRead(read);
    const key = `${this.instance}\0${read}`;
    if (cacheable) {
      const hit = this.reads.get(this.scope(collection), key);
      if (hit !== undefined) return hit;
    }
    const result = captureText(run);
    if (cacheable && typeof result === "string")
      this.reads.set(this.scope(collection), key, result, 64 + key.length + result.length);
    return result;
  }

  /** A page, encoded by encodePage. */
  find(collection: string, query: Ejson): TextResult {
    return this.cached(collection, `find\0${collection}\0${query}`, () => {
      const q = parseEjson(query) as FindQuery;
      return encodePage(budgeted(() => this.engine.find(collection, q), q.maxTimeMS));
    });
  }

  /**
   * The hottest reads answer "<etag> <stored text>" in one string (an ETag holds no space), or "" when nothing
   * matches. With a projection the text after the ETag is the projected document.
   */
  findOne(collection: string, filter: Ejson, projection?: Ejson): TextResult {
    return this.cached(collection, `one\0${collection}\0${filter}\0${projection ?? ""}`, () => {
      const found = budgeted(() =>
        this.engine.findOne(
          collection,
          parseEjson(filter) as Doc,
          projection ? (parseEjson(projection) as Doc) : undefined,
        ),
      );
      return found ? `${found.etag} ${projection && found.doc ? stringify(found.doc) : found.text}` : "";
    });
  }

  /** findOne for a filter that is only an `_id` lookup, reduced by the caller to index keys (a JSON array text). */
  findByKeys(collection: string, keys: string): TextResult {
    return this.cached(collection, `id\0${collection}\0${keys}`, () => {
      const found = this.engine.findByKeys(collection, JSON.parse(keys) as string[]);
      return found ? `${found.etag} ${found.text}` : "";
    });
  }

  count(collection: string, filter: Ejson): Result<number> {
    return capture(() => budgeted(() => this.engine.count(collection, parseEjson(filter) as Doc)));
  }

  insert(collection: string, docs: Ejson, origin: WriteOrigin): Promise<Result<Ejson>> {
    return this.grouped(
      collection,
      (changes) => stringify({ inserted: this.engine.insert(collection, parseEjson(docs) as Doc[], changes) }),
      origin,
    );
  }

  update(
    collection: string,
    filter: Ejson,
    update: Ejson,
    many: boolean,
    options: Ejson,
    origin: WriteOrigin,
  ): Promise<Result<Ejson>> {
    return this.grouped(
      collection,
      (changes) =>
        stringify(
          this.engine.update(
            collection,
            parseEjson(filter) as Doc,
            parseEjson(update) as Doc,
            many,
            parseEjson(options) as WriteOptions,
            changes,
          ),
        ),
      origin,
    );
  }

  replace(
    collection: string,
    filter: Ejson,
    replacement: Ejson,
    options: Ejson,
    origin: WriteOrigin,
  ): Promise<Result<Ejson>> {
    return this.grouped(
      collection,
      (changes) =>
        stringify(
          this.engine.replace(
            collection,
            parseEjson(filter) as Doc,
            parseEjson(replacement) as Doc,
            parseEjson(options) as WriteOptions,
            changes,
          ),
        ),
      origin,
    );
  }

  delete(
    collection: string,
    filter: Ejson,
    many: boolean,
    options: Ejson,
    origin: WriteOrigin,
  ): Promise<Result<number>> {
    return this.grouped(
      collection,
      (changes) =>
        this.engine.delete(collection, parseEjson(filter) as Doc, many, parseEjson(options) as WriteOptions, changes),
      origin,
    );
  }

  /**
   * One import chunk in one transaction with its record in the job: each row written under its own savepoint, so a
   * refused row (validator, duplicate key) is reported and rolled back alone. A chunk already recorded answers its
   * outcome again; a cancelled job takes no more chunks.
   */
  importChunk(collection: string, chunkText: Ejson, origin: WriteOrigin): Result<ChunkOutcome> {
    const chunk = parseEjson(chunkText) as ImportChunk;
    const status = this.imports.status(chunk.job);
    const empty: ChunkOutcome = { read: 0, inserted: 0, updated: 0, rejected: [], failures: [] };
    if (status !== "running") return { ok: true, value: { ...empty, cancelled: true } };
    const replay = this.imports.applied(chunk.job, chunk.seq);
    if (replay) return { ok: true, value: replay };
    return this.write(
      collection,
      (changes) => {
        const outcome: ChunkOutcome = { ...empty, read: chunk.read, rejected: chunk.rejected };
        // Inserts try the whole chunk at once first; only a chunk with a refused row is written row by row.
        if (
          chunk.upsertKeys.length === 0 &&
          chunk.docs.length > 1 &&
          this.insertAll(
            collection,
            chunk.docs.map((r) => r.doc),
            changes,
          )
        ) {
          outcome.inserted = chunk.docs.length;
          this.imports.record(chunk.job, chunk.seq, outcome);
          return outcome;
        }
        for (const { row, doc } of chunk.docs) {
          const rowChanges: Change[] = [];
          try {
            const written = this.ctx.storage.transactionSync((): "inserted" | "updated" => {
              if (chunk.upsertKeys.length === 0) {
                this.engine.insert(collection, [doc], rowChanges);
                return "inserted";
              }
              const filter = upsertFilter(doc, chunk.upsertKeys) as Doc;
              return this.engine.update(collection, filter, { $set: doc }, false, { upsert: true }, rowChanges)
                .upsertedId !== undefined
                ? "inserted"
                : "updated";
            });
            outcome[written]++;
            changes.push(...rowChanges);
          } catch (err) {
            this.catalog.invalidate();
            if (!isRowProblem(err)) throw err;
            outcome.failures.push(rowFailure(row, err));
            if (chunk.stopOnError) {
              outcome.stoppedAt = row;
              break;
            }
          }
        }
        this.imports.record(chunk.job, chunk.seq, outcome);
        return outcome;
      },
      chunk.events ? origin : undefined,
    );
  }

  /** Inserts every document under one savepoint; false (and nothing written) when a row is refused. */
  private insertAll(collection: string, docs: Doc[], changes: Change[]): boolean {
    const inserted: Change[] = [];
    try {
      this.ctx.storage.transactionSync(() => this.engine.insert(collection, docs, inserted));
    } catch (err) {
      // The savepoint may have rolled back a collection created in it: its cached metadata is reread.
      this.catalog.invalidate();
      if (isRowProblem(err)) return false;
      throw err;
    }
    changes.push(...inserted);
    return true;
  }

  /** Records a chunk applied elsewhere (the data-api backend writes upstream, then records here). */
  importRecord(job: string, seq: number, outcome: ChunkOutcome): Result<null> {
    return capture(() => {
      this.ctx.storage.transactionSync(() => {
        if (!this.imports.applied(job, seq)) this.imports.record(job, seq, outcome);
      });
      return null;
    });
  }

  importApplied(job: string, seq: number): ChunkOutcome | null {
    return this.imports.applied(job, seq);
  }

  importStart(id: string, collection: string, format: string, options: string): Result<ImportJob> {
    return capture(() => this.imports.start(id, collection, format, JSON.parse(options)));
  }

  importJob(id: string): ImportJob | null {
    return this.imports.get(id);
  }

  importJobs(collection: string | null, limit: number): ImportJob[] {
    return this.imports.list(collection, limit);
  }

  importFinish(
    id: string,
    status: ImportJobStatus,
    error?: { code: string; message: string; row?: number },
  ): ImportJob | null {
    return this.imports.finish(id, status, error);
  }

  importCancel(id: string): ImportJob | null {
    return this.imports.cancel(id);
  }

  importFailures(id: string, afterRow: number, limit: number): RowError[] {
    return this.imports.failures(id, afterRow, limit);
  }

  aggregate(collection: string, pipeline: Ejson, maxTimeMs?: number): Result<Ejson> {
    return capture(() =>
      stringify({
        documents: budgeted(() => this.engine.aggregate(collection, parseEjson(pipeline) as Doc[]), maxTimeMs),
      }),
    );
  }

  distinct(collection: string, field: string, filter: Ejson): Result<Ejson> {
    return capture(() =>
      stringify({ values: budgeted(() => this.engine.distinct(collection, field, parseEjson(filter) as Doc)) }),
    );
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
      indexes: [
        { name: "_id_", keys: { _id: 1 }, unique: true },
        ...meta.indexes.map(({ name, keys, unique }) => ({ name, keys, unique })),
        ...(meta.text
          ? [
              {
                name: meta.text.name,
                keys: meta.text.keys,
                unique: false,
                weights: Object.fromEntries(meta.text.fields.map((f, i) => [f, meta.text!.weights[i]])),
                default_language: meta.text.language,
              },
            ]
          : []),
      ],
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
    return this.write(name, () => {
      const existed = this.catalog.get(name) !== null;
      this.catalog.ensure(name, validator === null ? undefined : JSON.parse(validator));
      return { created: !existed, info: this.info(name)! };
    });
  }

  setValidator(name: string, validator: string | null): Result<CollectionInfo | null> {
    return this.write(name, () =>
      this.catalog.setValidator(name, validator === null ? null : JSON.parse(validator)) ? this.info(name) : null,
    );
  }

  dropCollection(name: string): Result<boolean> {
    return this.write(name, () => this.catalog.drop(name));
  }

  createIndex(collection: string, keys: IndexKeys, options: IndexOptions): Result<IndexSpec> {
    return this.write(collection, () => this.catalog.createIndex(collection, keys, options));
  }

  listIndexes(collection: string): Result<IndexSpec[]> {
    return capture(() => this.info(collection)?.indexes ?? []);
  }

  dropIndex(collection: string, name: string): Result<boolean> {
    return this.write(collection, () => this.catalog.dropIndex(collection, name));
  }

  ping(): string {
    this.ctx.storage.sql.exec("SELECT 1").toArray();
    return "ok";
  }
}
