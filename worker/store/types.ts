import type { Doc } from "../lib/ejson";
import type { SortSpec } from "../lib/doc-ops";
import type { ChunkOutcome, ImportChunk, ImportJob, ImportJobStatus, JobOptions, RowError } from "../lib/import-job";

export interface FindQuery {
  filter?: Doc;
  projection?: Doc;
  sort?: SortSpec;
  limit?: number;
  skip?: number;
  cursor?: string;
  /** Also count every match (costs a full pass over the matches). */
  count?: boolean;
  explain?: boolean;
  /** The query's work budget in milliseconds, bounded by LIMITS.maxMaxTimeMs (default LIMITS.defaultMaxTimeMs). */
  maxTimeMS?: number;
}

export interface AggregateOptions {
  maxTimeMS?: number;
}

export interface ExplainInfo {
  strategy: "id" | "index" | "text" | "scan" | "upstream";
  index?: string;
  docsExamined: number;
  nReturned: number;
}

export interface FindResult {
  documents: Doc[];
  /** The same documents as one relaxed-EJSON array text, when the backend holds them that way (sent as is). */
  documentsJson?: string;
  count?: number;
  nextCursor?: string;
  total?: number;
  explain?: ExplainInfo;
}

export interface WriteOptions {
  upsert?: boolean;
  arrayFilters?: Doc[];
  /** Refuse the write with 412 unless the current document's ETag matches. */
  ifMatch?: string;
  /** Return the document as written (single-document writes). */
  returnDocument?: boolean;
  /** Allow update/delete of every document when the filter is empty. */
  allowEmptyFilter?: boolean;
}

export interface UpdateResult {
  matchedCount: number;
  modifiedCount: number;
  upsertedId?: unknown;
  document?: Doc;
  etag?: string;
}

export interface DeleteResult {
  deletedCount: number;
}

export interface StoredDoc {
  doc: Doc;
  etag: string;
  /** The stored relaxed-EJSON text, when the backend has it: lets a read skip re-serializing. */
  text?: string;
}

/** Index keys: 1 or -1 per field, or "text" per field for a text index ("$**" indexes every string). */
export type IndexKeys = Record<string, 1 | -1 | "text">;

export interface IndexOptions {
  unique?: boolean;
  name?: string;
  /** Text indexes: a weight per field (default 1) and the language that sets stemming (english or none). */
  weights?: Record<string, number>;
  default_language?: string;
}

export interface IndexSpec {
  name: string;
  keys: IndexKeys;
  unique: boolean;
  weights?: Record<string, number>;
  default_language?: string;
}

export interface CollectionInfo {
  name: string;
  count: number;
  sizeBytes: number;
  indexes: IndexSpec[];
  validator?: unknown;
}

/** The import jobs of one tenant database (kept by its DatabaseDO on every backend). */
export interface ImportJobs {
  start(id: string, collection: string, format: string, options: JobOptions): Promise<ImportJob>;
  get(id: string): Promise<ImportJob | null>;
  list(collection: string | null, limit: number): Promise<ImportJob[]>;
  cancel(id: string): Promise<ImportJob | null>;
  finish(
    id: string,
    status: ImportJobStatus,
    error?: { code: string; message: string; row?: number },
  ): Promise<ImportJob | null>;
  failures(id: string, afterRow: number, limit: number): Promise<RowError[]>;
}

/** Every route talks to this interface; `embedded`, `data-api` and `mongodb` implement it with MongoDB semantics. */
export interface DocumentStore {
  readonly backend: "embedded" | "data-api" | "mongodb";
  find(collection: string, query: FindQuery): Promise<FindResult>;
  findOne(collection: string, filter: Doc, projection?: Doc): Promise<StoredDoc | null>;
  insertOne(collection: string, doc: Doc): Promise<{ insertedId: unknown; etag: string }>;
  insertMany(collection: string, docs: Doc[]): Promise<{ insertedIds: unknown[] }>;
  updateOne(collection: string, filter: Doc, update: Doc | Doc[], options?: WriteOptions): Promise<UpdateResult>;
  updateMany(collection: string, filter: Doc, update: Doc | Doc[], options?: WriteOptions): Promise<UpdateResult>;
  replaceOne(collection: string, filter: Doc, replacement: Doc, options?: WriteOptions): Promise<UpdateResult>;
  deleteOne(collection: string, filter: Doc, options?: WriteOptions): Promise<DeleteResult>;
  deleteMany(collection: string, filter: Doc, options?: WriteOptions): Promise<DeleteResult>;
  aggregate(collection: string, pipeline: Doc[], options?: AggregateOptions): Promise<Doc[]>;
  countDocuments(collection: string, filter: Doc): Promise<number>;
  distinct(collection: string, field: string, filter: Doc): Promise<unknown[]>;
  listCollections(): Promise<CollectionInfo[]>;
  createCollection(name: string, options: { validator?: unknown }): Promise<CollectionInfo & { created: boolean }>;
  /** Sets (or with null removes) the validator; null when the collection does not exist. */
  setValidator(name: string, validator: unknown | null): Promise<CollectionInfo | null>;
  dropCollection(name: string): Promise<boolean>;
  collectionStats(name: string): Promise<CollectionInfo | null>;
  createIndex(collection: string, keys: IndexKeys, options: IndexOptions): Promise<IndexSpec>;
  listIndexes(collection: string): Promise<IndexSpec[]>;
  dropIndex(collection: string, name: string): Promise<boolean>;
  sample(collection: string, size: number): Promise<Doc[]>;
  /** One import chunk, applied at most once per (job, seq); see worker/lib/import-job.ts. */
  importChunk(collection: string, chunk: ImportChunk): Promise<ChunkOutcome>;
  readonly importJobs: ImportJobs;
  ping(): Promise<void>;
}
