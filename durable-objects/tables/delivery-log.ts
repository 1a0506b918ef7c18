import type { AttemptRecord, DeliveryStatus } from "../../worker/lib/records";
import { isoTime, percentile } from "../../worker/lib/stats";

/** Retention: the newest 1,000 deliveries and nothing older than 7 days; attempts go with their delivery. */
export const RETENTION = { deliveries: 1000, maxAgeMs: 7 * 24 * 3600_000 };

type DeliveryRow = {
  rowid: number;
  id: string;
  event_id: string;
  status: string;
  attempts: number;
  generation: number;
  created_at: number;
  updated_at: number;
  last_status: number | null;
  last_error: string | null;
  next_attempt_at: number | null;
  test: number;
};

/** The delivery log of one webhook (inside its WebhookDO). */
export class DeliveryLog {
  constructor(private sql: SqlStorage) {
    sql.exec(`CREATE TABLE IF NOT EXISTS deliveries (
      id TEXT PRIMARY KEY, event_id TEXT NOT NULL, event TEXT NOT NULL, status TEXT NOT NULL, attempts INTEGER NOT NULL,
      generation INTEGER NOT NULL, created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL, last_status INTEGER,
      last_error TEXT, next_attempt_at INTEGER, test INTEGER NOT NULL DEFAULT 0)`);
    sql.exec("CREATE INDEX IF NOT EXISTS deliveries_status ON deliveries (status, created_at)");
    sql.exec(`CREATE TABLE IF NOT EXISTS attempts (
      delivery_id TEXT NOT NULL, attempt INTEGER NOT NULL, at INTEGER NOT NULL, outcome TEXT NOT NULL,
      status_code INTEGER, error TEXT, latency_ms INTEGER)`);
    sql.exec("CREATE INDEX IF NOT EXISTS attempts_delivery ON attempts (delivery_id)");
  }

  /** "delivered" or "failed" when this delivery is already settled at this generation or a later one. */
  settled(deliveryId: string, generation: number): string | null {
    const row = this.sql
      .exec<{ status: string; generation: number }>(
        "SELECT status, generation FROM deliveries WHERE id = ?",
        deliveryId,
      )
      .toArray()[0];
    if (!row || row.generation < generation) return null;
    return row.status === "delivered" || row.status === "failed" ? `already ${row.status}` : null;
  }

  record(a: AttemptRecord): void {
    const now = Date.now();
    const existing = this.sql
      .exec<{ generation: number; status: string }>(
        "SELECT generation, status FROM deliveries WHERE id = ?",
        a.deliveryId,
      )
      .toArray()[0];
    if (existing && existing.generation > a.generation) return;
    if (
      existing &&
      existing.generation === a.generation &&
      existing.status === "delivered" &&
      a.outcome !== "delivered"
    )
      return;
    this.sql.exec(
      `INSERT INTO deliveries (id, event_id, event, status, attempts, generation, created_at, updated_at, last_status, last_error, next_attempt_at, test)
       VALUES (?, ?, ?, ?, 1, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT(id) DO UPDATE SET status = excluded.status, attempts = attempts + 1, generation = excluded.generation,
         updated_at = excluded.updated_at, last_status = excluded.last_status, last_error = excluded.last_error,
         next_attempt_at = excluded.next_attempt_at`,
      a.deliveryId,
      a.eventId,
      a.event,
      a.outcome,
      a.generation,
      now,
      now,
      a.statusCode,
      a.error,
      a.nextAttemptAt ?? null,
      a.test ? 1 : 0,
    );
    if (a.outcome !== "skipped") {
      this.sql.exec(
        "INSERT INTO attempts (delivery_id, attempt, at, outcome, status_code, error, latency_ms) VALUES (?, ?, ?, ?, ?, ?, ?)",
        a.deliveryId,
        a.attempt,
        now,
        a.outcome,
        a.statusCode,
        a.error,
        a.latencyMs,
      );
    }
    this.prune(now);
  }

  markFailed(deliveryId: string, generation: number, reason: string): void {
    this.sql.exec(
      "UPDATE deliveries SET status = 'failed', last_error = coalesce(last_error, ?), next_attempt_at = NULL, updated_at = ? WHERE id = ? AND generation <= ? AND status != 'delivered'",
      reason,
      Date.now(),
      deliveryId,
      generation,
    );
  }

  reopen(deliveryId: string): { event: string; generation: number; eventId: string } | null {
    const row = this.sql
      .exec<{ event: string; generation: number; event_id: string }>(
        "UPDATE deliveries SET generation = generation + 1, status = 'pending', updated_at = ? WHERE id = ? RETURNING event, generation, event_id",
        Date.now(),
        deliveryId,
      )
      .toArray()[0];
    return row ? { event: row.event, generation: row.generation, eventId: row.event_id } : null;
  }

  private prune(now: number): void {
    const stale = `SELECT id FROM deliveries WHERE created_at < ? OR rowid <= (SELECT rowid FROM deliveries ORDER BY rowid DESC LIMIT 1 OFFSET ?)`;
    this.sql.exec(
      `DELETE FROM attempts WHERE delivery_id IN (${stale})`,
      now - RETENTION.maxAgeMs,
      RETENTION.deliveries,
    );
    this.sql.exec(`DELETE FROM deliveries WHERE id IN (${stale})`, now - RETENTION.maxAgeMs, RETENTION.deliveries);
  }

  list(status: DeliveryStatus | undefined, limit: number, before?: number) {
    const rows = this.sql
      .exec<DeliveryRow>(
        `SELECT rowid, id, event_id, status, attempts, generation, created_at, updated_at, last_status, last_error, next_attempt_at, test
       FROM deliveries WHERE (? IS NULL OR status = ?) AND rowid < ? ORDER BY rowid DESC LIMIT ?`,
        status ?? null,
        status ?? null,
        before ?? Number.MAX_SAFE_INTEGER,
        limit + 1,
      )
      .toArray();
    const page = rows.slice(0, limit);
    const ids = page.map((r) => r.id);
    const attempts = ids.length
      ? this.sql
          .exec<{
            delivery_id: string;
            attempt: number;
            at: number;
            outcome: string;
            status_code: number | null;
            error: string | null;
            latency_ms: number | null;
          }>(
            "SELECT * FROM attempts WHERE delivery_id IN (SELECT value FROM json_each(?)) ORDER BY at",
            JSON.stringify(ids),
          )
          .toArray()
      : [];
    return {
      deliveries: page.map((r) => ({
        id: r.id,
        eventId: r.event_id,
        status: r.status,
        attempts: r.attempts,
        generation: r.generation,
        test: !!r.test,
        createdAt: isoTime(r.created_at),
        updatedAt: isoTime(r.updated_at),
        lastStatusCode: r.last_status,
        lastError: r.last_error,
        nextAttemptAt: isoTime(r.next_attempt_at),
        log: attempts
          .filter((a) => a.delivery_id === r.id)
          .map((a) => ({
            attempt: a.attempt,
            at: isoTime(a.at),
            outcome: a.outcome,
            statusCode: a.status_code,
            error: a.error,
            latencyMs: a.latency_ms,
          })),
      })),
      nextCursor: rows.length > limit ? String(page[page.length - 1].rowid) : null,
    };
  }

  stats() {
    const counts = Object.fromEntries(
      this.sql
        .exec<{ status: string; n: number }>(
          "SELECT status, count(*) AS n FROM deliveries WHERE test = 0 GROUP BY status",
        )
        .toArray()
        .map((r) => [r.status, r.n]),
    ) as Record<string, number>;
    const latencies = this.sql
      .exec<{ latency_ms: number }>(
        "SELECT latency_ms FROM attempts WHERE latency_ms IS NOT NULL ORDER BY at DESC LIMIT 1000",
      )
      .toArray()
      .map((r) => r.latency_ms)
      .sort((a, b) => a - b);
    const last = (outcome: string) =>
      isoTime(
        this.sql.exec<{ at: number | null }>("SELECT max(at) AS at FROM attempts WHERE outcome = ?", outcome).one().at,
      );
    const attempts = this.sql.exec<{ n: number }>("SELECT count(*) AS n FROM attempts").one().n;
    const delivered = counts.delivered ?? 0;
    const failed = counts.failed ?? 0;
    return {
      deliveries: {
        delivered,
        failed,
        retrying: counts.retrying ?? 0,
        pending: counts.pending ?? 0,
        skipped: counts.skipped ?? 0,
      },
      attempts,
      successRate: delivered + failed > 0 ? delivered / (delivered + failed) : null,
      latencyMs: { p50: percentile(latencies, 50), p95: percentile(latencies, 95), samples: latencies.length },
      lastSuccessAt: last("delivered"),
      lastFailureAt: isoTime(
        this.sql
          .exec<{ at: number | null }>("SELECT max(at) AS at FROM attempts WHERE outcome IN ('retrying', 'failed')")
          .one().at,
      ),
      retention: { deliveries: RETENTION.deliveries, maxAgeDays: RETENTION.maxAgeMs / 86_400_000 },
    };
  }
}
