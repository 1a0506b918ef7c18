import type { ChangeEvent } from "../../worker/lib/change-events";
import { encodeEvent } from "../../worker/lib/event-wire";

/** How long the subject of a truncated event is kept for the EVENTS consumer's filters. */
export const SPILL_RETENTION_MS = 7 * 86_400_000;
/**
 * An event the queue accepted but no consumer confirmed within this time is sent again. Cloudflare Queues keep what
 * they accept; the local queue of `npm start` keeps it in memory only, and this is what closes that gap.
 */
export const RESEND_AFTER_MS = 5 * 60_000;

/**
 * Change events waiting to be published. Rows are appended in the same SQLite transaction as the document write,
 * so a crash between the write and the send loses nothing; rows leave only after the queue has accepted them.
 * Events too large for a queue message leave truncated, and their subject document waits in `_spill`.
 */
export class Outbox {
  constructor(private sql: SqlStorage) {
    sql.exec(`CREATE TABLE IF NOT EXISTS _outbox (
      seq INTEGER PRIMARY KEY AUTOINCREMENT, event_id TEXT NOT NULL, body TEXT NOT NULL, created_at INTEGER NOT NULL)`);
    // sent_at: when the queue accepted the row; the row leaves when the EVENTS consumer confirms it.
    if (
      !sql
        .exec<{ name: string }>("SELECT name FROM pragma_table_info('_outbox')")
        .toArray()
        .some((c) => c.name === "sent_at")
    ) {
      sql.exec("ALTER TABLE _outbox ADD COLUMN sent_at INTEGER");
    }
    // Unsent rows in order, and the oldest unconfirmed one, without scanning rows that wait for confirmation.
    sql.exec("CREATE INDEX IF NOT EXISTS _outbox_sent ON _outbox (sent_at, seq)");
    sql.exec(
      `CREATE TABLE IF NOT EXISTS _spill (event_id TEXT PRIMARY KEY, subject TEXT NOT NULL, created_at INTEGER NOT NULL)`,
    );
  }

  append(events: ChangeEvent[]): void {
    const now = Date.now();
    for (const event of events) {
      const wire = encodeEvent(event);
      if (wire.subject !== undefined) this.spill(wire.id, wire.subject, now);
      this.sql.exec("INSERT INTO _outbox (event_id, body, created_at) VALUES (?, ?, ?)", event.id, wire.body, now);
    }
  }

  spill(eventId: string, subject: string, now = Date.now()): void {
    this.sql.exec(
      "INSERT OR REPLACE INTO _spill (event_id, subject, created_at) VALUES (?, ?, ?)",
      eventId,
      subject,
      now,
    );
  }

  spilled(eventId: string): string | null {
    return (
      this.sql.exec<{ subject: string }>("SELECT subject FROM _spill WHERE event_id = ?", eventId).toArray()[0]
        ?.subject ?? null
    );
  }

  pruneSpill(now = Date.now()): void {
    this.sql.exec("DELETE FROM _spill WHERE created_at < ?", now - SPILL_RETENTION_MS);
  }

  /** The oldest events not yet sent, or sent and never confirmed; fully read before the caller awaits anything. */
  take(limit: number, now = Date.now()): Array<{ seq: number; body: string }> {
    const fresh = this.sql
      .exec<{ seq: number; body: string }>(
        "SELECT seq, body FROM _outbox WHERE sent_at IS NULL ORDER BY seq LIMIT ?",
        limit,
      )
      .toArray();
    if (fresh.length === limit) return fresh;
    const stale = this.sql
      .exec<{ seq: number; body: string }>(
        "SELECT seq, body FROM _outbox WHERE sent_at < ? ORDER BY sent_at, seq LIMIT ?",
        now - RESEND_AFTER_MS,
        limit - fresh.length,
      )
      .toArray();
    return [...stale, ...fresh];
  }

  markSent(seqs: number[], now = Date.now()): void {
    this.sql.exec(
      "UPDATE _outbox SET sent_at = ? WHERE seq IN (SELECT value FROM json_each(?))",
      now,
      JSON.stringify(seqs),
    );
  }

  /** The EVENTS consumer has fanned these events out: they are done. */
  confirm(eventIds: string[]): void {
    this.sql.exec("DELETE FROM _outbox WHERE event_id IN (SELECT value FROM json_each(?))", JSON.stringify(eventIds));
  }

  /** When the oldest unconfirmed event falls due for a resend, if any is waiting. */
  nextResendAt(): number | null {
    const row = this.sql
      .exec<{ at: number | null }>("SELECT min(sent_at) AS at FROM _outbox WHERE sent_at IS NOT NULL")
      .one();
    return row.at === null ? null : row.at + RESEND_AFTER_MS;
  }

  /** `pending`: not yet accepted by the queue; `inFlight`: accepted, not yet confirmed by a consumer. */
  backlog(): { pending: number; oldestAt: number | null; inFlight: number; oldestInFlightAt: number | null } {
    const row = this.sql
      .exec<{ n: number; oldest: number | null; f: number; oldestF: number | null }>(
        `SELECT sum(sent_at IS NULL) AS n, min(CASE WHEN sent_at IS NULL THEN created_at END) AS oldest,
                sum(sent_at IS NOT NULL) AS f, min(sent_at) AS oldestF FROM _outbox`,
      )
      .one();
    return { pending: row.n ?? 0, oldestAt: row.oldest, inFlight: row.f ?? 0, oldestInFlightAt: row.oldestF };
  }
}
