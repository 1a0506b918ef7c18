import { isPlainObject, type Doc } from "./ejson";
import type { RowError } from "./import-stream";

export type { RowError };

/**
 * An import is a job: its rows go to the store in chunks, each chunk keyed by (job, seq) so a retried chunk (a
 * dropped connection, a resumed upload) answers its recorded outcome instead of being applied twice.
 */
export type ImportJobStatus = "running" | "completed" | "failed" | "cancelled" | "interrupted";

export interface ImportCounts {
  read: number;
  inserted: number;
  updated: number;
  skipped: number;
  failed: number;
}

/** The options a job ran with, as its record shows them. */
export interface JobOptions {
  mapping: Record<string, string>;
  types: Record<string, string>;
  nullIfEmpty: boolean;
  upsertKeys: string[];
  onError: string;
  events: boolean;
  formulas: string;
  sheet?: string;
}

export interface ImportJob {
  id: string;
  collection: string;
  status: ImportJobStatus;
  format: string;
  createdAt: string;
  updatedAt: string;
  rows: ImportCounts;
  options: JobOptions;
  error?: { code: string; message: string; row?: number };
}

export interface ChunkRow {
  row: number;
  doc: Doc;
  /** The importer chose this _id, so a duplicate of it can only be this row written by an earlier attempt. */
  generatedId?: boolean;
}

export interface ImportChunk {
  job: string;
  seq: number;
  /** Rows of the file this chunk covers, written or not. */
  read: number;
  docs: ChunkRow[];
  /** Rows refused before writing (types, policy): recorded with the chunk so a replay does not count them twice. */
  rejected: RowError[];
  upsertKeys: string[];
  events: boolean;
  stopOnError: boolean;
}

export interface ChunkOutcome {
  read: number;
  inserted: number;
  updated: number;
  rejected: RowError[];
  failures: RowError[];
  /** With onError=stop: the first failed row; nothing after it in the chunk was written. */
  stoppedAt?: number;
  /** The chunk had been applied before; this is its recorded outcome. */
  replayed?: boolean;
  /** The job was cancelled; the chunk was not applied. */
  cancelled?: boolean;
}

/** The upsert filter for a document: its values at the upsert keys (all must be present). */
export function upsertFilter(doc: Doc, keys: string[]): Doc | { error: string } {
  const filter: Doc = {};
  for (const k of keys) {
    let cur: unknown = doc;
    for (const part of k.split(".")) cur = isPlainObject(cur) ? (cur as Doc)[part] : undefined;
    if (cur === undefined || cur === null) return { error: `upsert key "${k}" is missing` };
    filter[k] = cur;
  }
  return filter;
}

/** A refusal of the row itself (invalid, a duplicate, too large); anything else (403, 5xx) ends the import. */
export function isRowProblem(
  err: unknown,
): err is { status: number; code: string; message: string; details?: unknown } {
  const status = (err as { status?: number } | null)?.status;
  return status === 400 || status === 409 || status === 413;
}

/** A row's failure as the report lists it: the reason, the stable code and the path the refusal names. */
export function rowFailure(row: number, err: { code: string; message: string; details?: unknown }): RowError {
  const details = err.details as { path?: string; errors?: { path: string }[] } | undefined;
  const path = details?.errors?.[0]?.path ?? details?.path;
  return { row, reason: err.message, code: err.code, ...(path ? { path } : {}) };
}
