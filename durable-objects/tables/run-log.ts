import type { RunStatus, RunTrigger } from "../../worker/lib/records";
import { RUN_RETENTION } from "../../worker/lib/records";
import { isoTime, percentile } from "../../worker/lib/stats";
import type { LogLine, ScriptError } from "../../worker/scripts/runner";

export interface RunInfo {
  trigger: RunTrigger;
  eventId: string | null;
  scheduledAt: number | null;
  attempt: number;
}

export interface RunFinish {
  status: Exclude<RunStatus, "running">;
  durationMs: number | null;
  logs: LogLine[];
  result?: unknown;
  error: ScriptError | { code: string; message: string } | null;
  nextAttemptAt?: number | null;
}

type Row = {
  run_key: string;
  trigger: string;
  event_id: string | null;
  scheduled_at: number | null;
  status: string;
  attempts: number;
  lease_until: number | null;
  started_at: number;
  finished_at: number | null;
  duration_ms: number | null;
  logs: string | null;
  logs_truncated: number;
  result: string | null;
  error: string | null;
  next_attempt_at: number | null;
};

/** One run as the executions list shows it. Result and error are JSON texts, parsed by the route. */
export interface Execution {
  runKey: string;
  trigger: string;
  eventId: string | null;
  scheduledAt: string | null;
  status: string;
  attempts: number;
  startedAt: string | null;
  finishedAt: string | null;
  durationMs: number | null;
  logs: LogLine[];
  logsTruncated: boolean;
  result: string | null;
  error: string | null;
  nextAttemptAt: string | null;
}

/** Keeps the first lines up to the byte budget, and says so when it cut. */
export function truncateLogs(logs: LogLine[]): { kept: LogLine[]; truncated: boolean } {
  const kept: LogLine[] = [];
  let bytes = 0;
  for (const line of logs) {
    const message = line.message.length > 2000 ? `${line.message.slice(0, 2000)}…` : line.message;
    bytes += message.length + 32;
    if (bytes > RUN_RETENTION.logBytes || kept.length >= RUN_RETENTION.logLines) return { kept, truncated: true };
    kept.push({ ...line, message });
  }
  return { kept, truncated: logs.some((l) => l.message.length > 2000) };
}

/** The execution history of one script (inside its ScriptDO): one row per run key. */
export class RunLog {
  constructor(private sql: SqlStorage) {
    sql.exec(`CREATE TABLE IF NOT EXISTS runs (
      run_key TEXT PRIMARY KEY, trigger TEXT NOT NULL, event_id TEXT, scheduled_at INTEGER, status TEXT NOT NULL,
      attempts INTEGER NOT NULL, lease_until INTEGER, started_at INTEGER NOT NULL, finished_at INTEGER, duration_ms REAL,
      logs TEXT, logs_truncated INTEGER NOT NULL DEFAULT 0, result TEXT, error TEXT, next_attempt_at INTEGER)`);
    sql.exec("CREATE INDEX IF NOT EXISTS runs_started ON runs (started_at)");
  }

  get(runKey: string): Row | undefined {
    return this.sql.exec<Row>("SELECT * FROM runs WHERE run_key = ?", runKey).toArray()[0];
  }

  start(runKey: string, info: RunInfo, leaseUntil: number, now: number): void {
    this.sql.exec(
      `INSERT INTO runs (run_key, trigger, event_id, scheduled_at, status, attempts, lease_until, started_at) VALUES (?, ?, ?, ?, 'running', ?, ?, ?)
       ON CONFLICT (run_key) DO UPDATE SET status = 'running', attempts = excluded.attempts, lease_until = excluded.lease_until, started_at = excluded.started_at`,
      runKey,
      info.trigger,
      info.eventId,
      info.scheduledAt,
      info.attempt,
      leaseUntil,
      now,
    );
  }

  finish(runKey: string, info: RunInfo, f: RunFinish, now: number): void {
    const { kept, truncated } = truncateLogs(f.logs);
    let result = f.result === undefined ? null : JSON.stringify(f.result);
    if (result !== null && result.length > RUN_RETENTION.resultBytes)
      result = JSON.stringify({ truncated: true, preview: result.slice(0, RUN_RETENTION.resultBytes) });
    this.sql.exec(
      `INSERT INTO runs (run_key, trigger, event_id, scheduled_at, status, attempts, started_at, finished_at, duration_ms, logs, logs_truncated, result, error, next_attempt_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (run_key) DO UPDATE SET status = excluded.status, attempts = excluded.attempts, lease_until = NULL, finished_at = excluded.finished_at,
         duration_ms = excluded.duration_ms, logs = excluded.logs, logs_truncated = excluded.logs_truncated, result = excluded.result,
         error = excluded.error, next_attempt_at = excluded.next_attempt_at`,
      runKey,
      info.trigger,
      info.eventId,
      info.scheduledAt,
      f.status,
      info.attempt,
      now,
      now,
      f.durationMs,
      JSON.stringify(kept),
      truncated ? 1 : 0,
      result,
      f.error ? JSON.stringify(f.error) : null,
      f.nextAttemptAt ?? null,
    );
    this.prune(now);
  }

  private prune(now: number): void {
    this.sql.exec("DELETE FROM runs WHERE started_at < ? AND status != 'running'", now - RUN_RETENTION.maxAgeMs);
    this.sql.exec(
      "DELETE FROM runs WHERE status != 'running' AND run_key IN (SELECT run_key FROM runs ORDER BY started_at DESC LIMIT -1 OFFSET ?)",
      RUN_RETENTION.runs,
    );
  }

  list(
    status: RunStatus | undefined,
    limit: number,
    before?: number,
  ): { executions: Execution[]; nextBefore: number | null } {
    const rows = this.sql
      .exec<Row>(
        `SELECT * FROM runs WHERE (? IS NULL OR status = ?) AND (? IS NULL OR started_at < ?) ORDER BY started_at DESC LIMIT ?`,
        status ?? null,
        status ?? null,
        before ?? null,
        before ?? null,
        limit + 1,
      )
      .toArray();
    const page = rows.slice(0, limit);
    return {
      executions: page.map((r) => ({
        runKey: r.run_key,
        trigger: r.trigger,
        eventId: r.event_id,
        scheduledAt: isoTime(r.scheduled_at),
        status: r.status,
        attempts: r.attempts,
        startedAt: isoTime(r.started_at),
        finishedAt: isoTime(r.finished_at),
        durationMs: r.duration_ms,
        logs: r.logs ? (JSON.parse(r.logs) as LogLine[]) : [],
        logsTruncated: r.logs_truncated === 1,
        result: r.result,
        error: r.error,
        nextAttemptAt: isoTime(r.next_attempt_at),
      })),
      nextBefore: rows.length > limit ? page[page.length - 1].started_at : null,
    };
  }

  stats() {
    const counts = Object.fromEntries(
      this.sql
        .exec<{ status: string; n: number }>("SELECT status, count(*) AS n FROM runs GROUP BY status")
        .toArray()
        .map((r) => [r.status, r.n]),
    ) as Record<string, number>;
    const durations = this.sql
      .exec<{ d: number }>("SELECT duration_ms AS d FROM runs WHERE duration_ms IS NOT NULL ORDER BY d")
      .toArray()
      .map((r) => r.d);
    const settled = (counts.succeeded ?? 0) + (counts.failed ?? 0);
    const last = this.sql.exec<{ at: number }>("SELECT max(started_at) AS at FROM runs").one().at;
    return {
      total: Object.values(counts).reduce((a, b) => a + b, 0),
      byStatus: { succeeded: 0, failed: 0, retrying: 0, running: 0, skipped: 0, ...counts },
      successRate: settled ? (counts.succeeded ?? 0) / settled : null,
      durationMs: { p50: percentile(durations, 50), p95: percentile(durations, 95), max: durations.at(-1) ?? null },
      lastRunAt: isoTime(last),
    };
  }
}
