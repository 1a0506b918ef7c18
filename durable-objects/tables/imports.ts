import { AppError } from "../../worker/lib/errors";
import type { ChunkOutcome, ImportJob, ImportJobStatus, JobOptions, RowError } from "../../worker/lib/import-job";

/** Failed rows kept per job for its report; the counters cover every row. */
export const MAX_REPORTED_FAILURES = 100_000;
/** A running job that has taken no chunk for this long lost its request: it shows as interrupted (and can resume). */
export const STALE_AFTER_MS = 5 * 60_000;
/** Finished jobs (and their chunk keys and reports) are kept this long. */
export const JOB_RETENTION_MS = 7 * 86_400_000;

type JobRow = {
  id: string;
  collection: string;
  status: string;
  format: string;
  created_at: number;
  updated_at: number;
  rows_read: number;
  inserted: number;
  updated: number;
  skipped: number;
  failed: number;
  error: string | null;
  options: string;
};

/**
 * Import jobs of one tenant database: progress counters, the chunk keys already applied (so a retried chunk answers
 * its recorded outcome instead of writing again) and the failed rows for the report. On the embedded store a chunk's
 * record is written in the same transaction as its documents.
 */
export class ImportLedger {
  constructor(private sql: SqlStorage) {
    sql.exec(`CREATE TABLE IF NOT EXISTS _import_jobs (
      id TEXT PRIMARY KEY, collection TEXT NOT NULL, status TEXT NOT NULL, format TEXT NOT NULL, options TEXT NOT NULL,
      created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL, rows_read INTEGER NOT NULL DEFAULT 0,
      inserted INTEGER NOT NULL DEFAULT 0, updated INTEGER NOT NULL DEFAULT 0, skipped INTEGER NOT NULL DEFAULT 0,
      failed INTEGER NOT NULL DEFAULT 0, error TEXT)`);
    sql.exec(
      `CREATE TABLE IF NOT EXISTS _import_chunks (job TEXT NOT NULL, seq INTEGER NOT NULL, outcome TEXT NOT NULL, PRIMARY KEY (job, seq))`,
    );
    sql.exec(`CREATE TABLE IF NOT EXISTS _import_failures (
      job TEXT NOT NULL, row INTEGER NOT NULL, code TEXT NOT NULL, reason TEXT NOT NULL, path TEXT, PRIMARY KEY (job, row))`);
  }

  private static job(r: JobRow): ImportJob {
    return {
      id: r.id,
      collection: r.collection,
      format: r.format,
      status:
        r.status === "running" && r.updated_at < Date.now() - STALE_AFTER_MS
          ? "interrupted"
          : (r.status as ImportJobStatus),
      createdAt: new Date(r.created_at).toISOString(),
      updatedAt: new Date(r.updated_at).toISOString(),
      rows: { read: r.rows_read, inserted: r.inserted, updated: r.updated, skipped: r.skipped, failed: r.failed },
      options: JSON.parse(r.options),
      ...(r.error ? { error: JSON.parse(r.error) } : {}),
    };
  }

  get(id: string): ImportJob | null {
    const [row] = this.sql.exec<JobRow>("SELECT * FROM _import_jobs WHERE id = ?", id).toArray();
    return row ? ImportLedger.job(row) : null;
  }

  list(collection: string | null, limit: number): ImportJob[] {
    const rows = collection
      ? this.sql.exec<JobRow>(
          "SELECT * FROM _import_jobs WHERE collection = ? ORDER BY created_at DESC LIMIT ?",
          collection,
          limit,
        )
      : this.sql.exec<JobRow>("SELECT * FROM _import_jobs ORDER BY created_at DESC LIMIT ?", limit);
    return rows.toArray().map(ImportLedger.job);
  }

  /** Starts a job, or resumes one of the same id for the same collection (its applied chunks are not applied again). */
  start(id: string, collection: string, format: string, options: JobOptions): ImportJob {
    this.prune();
    const existing = this.get(id);
    if (existing) {
      if (existing.collection !== collection)
        throw new AppError(
          409,
          "IMPORT_JOB_CONFLICT",
          `import job ${id} belongs to collection "${existing.collection}"`,
        );
      if (existing.status === "completed")
        throw new AppError(409, "IMPORT_JOB_FINISHED", `import job ${id} has already completed`, { job: existing });
      this.sql.exec(
        "UPDATE _import_jobs SET status = 'running', error = NULL, updated_at = ? WHERE id = ?",
        Date.now(),
        id,
      );
      return this.get(id)!;
    }
    const now = Date.now();
    this.sql.exec(
      "INSERT INTO _import_jobs (id, collection, status, format, options, created_at, updated_at) VALUES (?, ?, 'running', ?, ?, ?, ?)",
      id,
      collection,
      format,
      JSON.stringify(options),
      now,
      now,
    );
    return this.get(id)!;
  }

  /** The outcome recorded for a chunk key, if that chunk was applied. */
  applied(job: string, seq: number): ChunkOutcome | null {
    const [row] = this.sql
      .exec<{ outcome: string }>("SELECT outcome FROM _import_chunks WHERE job = ? AND seq = ?", job, seq)
      .toArray();
    return row ? { ...(JSON.parse(row.outcome) as ChunkOutcome), replayed: true } : null;
  }

  /** Records a chunk's outcome and adds it to the job's counters (the caller checked the job is running). */
  record(job: string, seq: number, outcome: ChunkOutcome): void {
    const failures = [...outcome.rejected, ...outcome.failures];
    this.sql.exec(
      "INSERT INTO _import_chunks (job, seq, outcome) VALUES (?, ?, ?)",
      job,
      seq,
      JSON.stringify({ ...outcome, rejected: [], failures: [] }),
    );
    const [{ kept }] = this.sql
      .exec<{ kept: number }>("SELECT count(*) AS kept FROM _import_failures WHERE job = ?", job)
      .toArray();
    for (const f of failures.slice(0, Math.max(0, MAX_REPORTED_FAILURES - kept))) {
      this.sql.exec(
        "INSERT OR REPLACE INTO _import_failures (job, row, code, reason, path) VALUES (?, ?, ?, ?, ?)",
        job,
        f.row,
        f.code,
        f.reason.slice(0, 500),
        f.path ?? null,
      );
    }
    this.sql.exec(
      `UPDATE _import_jobs SET rows_read = rows_read + ?, inserted = inserted + ?, updated = updated + ?, skipped = skipped + ?,
        failed = failed + ?, updated_at = ? WHERE id = ?`,
      outcome.read,
      outcome.inserted,
      outcome.updated,
      outcome.rejected.length,
      outcome.failures.length,
      Date.now(),
      job,
    );
  }

  status(id: string): ImportJobStatus | null {
    const [row] = this.sql.exec<{ status: string }>("SELECT status FROM _import_jobs WHERE id = ?", id).toArray();
    return (row?.status as ImportJobStatus) ?? null;
  }

  /** Ends a job; a job cancelled meanwhile stays cancelled. */
  finish(
    id: string,
    status: ImportJobStatus,
    error?: { code: string; message: string; row?: number },
  ): ImportJob | null {
    this.sql.exec(
      "UPDATE _import_jobs SET status = CASE WHEN status = 'cancelled' THEN status ELSE ? END, error = ?, updated_at = ? WHERE id = ?",
      status,
      error ? JSON.stringify(error) : null,
      Date.now(),
      id,
    );
    return this.get(id);
  }

  cancel(id: string): ImportJob | null {
    this.sql.exec(
      "UPDATE _import_jobs SET status = 'cancelled', updated_at = ? WHERE id = ? AND status = 'running'",
      Date.now(),
      id,
    );
    return this.get(id);
  }

  failures(id: string, afterRow: number, limit: number): RowError[] {
    return this.sql
      .exec<{ row: number; code: string; reason: string; path: string | null }>(
        "SELECT row, code, reason, path FROM _import_failures WHERE job = ? AND row > ? ORDER BY row LIMIT ?",
        id,
        afterRow,
        limit,
      )
      .toArray()
      .map((f) => ({ row: f.row, code: f.code, reason: f.reason, ...(f.path ? { path: f.path } : {}) }));
  }

  private prune(): void {
    const old = this.sql
      .exec<{ id: string }>(
        "SELECT id FROM _import_jobs WHERE status != 'running' AND updated_at < ?",
        Date.now() - JOB_RETENTION_MS,
      )
      .toArray();
    for (const { id } of old) {
      this.sql.exec("DELETE FROM _import_chunks WHERE job = ?", id);
      this.sql.exec("DELETE FROM _import_failures WHERE job = ?", id);
      this.sql.exec("DELETE FROM _import_jobs WHERE id = ?", id);
    }
  }
}
