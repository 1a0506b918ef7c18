import type { ChangeEvent } from "../../worker/lib/change-events";
import { encodeEvent } from "../../worker/lib/event-wire";

/** How long the subject of a truncated event is kept for the EVENTS consumer's filters. */
export const SPILL_RETENTION_MS = 7 * 86_400_000;

/**
 * Change events waiting to be published. Rows are appended in the same SQLite transaction as the document write,
 * so a crash between the write and the send loses nothing; rows leave only after the queue has accepted them.
 * Events too large for a queue message leave truncated, and their subject document waits in `_spill`.
 */
export class Outbox {
  constructor(private sql: SqlStorage) {
    sql.exec(`CREATE TABLE IF NOT EXISTS _outbox (
      seq INTEGER PRIMARY KEY AUTOINCREMENT, event_id TEXT NOT NULL, body TEXT NOT NULL, created_at INTEGER NOT NULL)`);
    sql.exec(`CREATE TABLE IF NOT EXISTS _spill (event_id TEXT PRIMARY KEY, subject TEXT NOT NULL, created_at INTEGER NOT NULL)`);
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
    this.sql.exec("INSERT OR REPLACE INTO _spill (event_id, subject, created_at) VALUES (?, ?, ?)", eventId, subject, now);
  }

  spilled(eventId: string): string | null {
    return this.sql.exec<{ subject: string }>("SELECT subject FROM _spill WHERE event_id = ?", eventId).toArray()[0]?.subject ?? null;
  }

  pruneSpill(now = Date.now()): void {
    this.sql.exec("DELETE FROM _spill WHERE created_at < ?", now - SPILL_RETENTION_MS);
  }

  /** The oldest pending events, fully read before the caller awaits anything. */
  take(limit: number): Array<{ seq: number; body: string }> {
    return this.sql.exec<{ seq: number; body: string }>("SELECT seq, body FROM _outbox ORDER BY seq LIMIT ?", limit).toArray();
  }

  remove(upToSeq: number): void {
    this.sql.exec("DELETE FROM _outbox WHERE seq <= ?", upToSeq);
  }

  backlog(): { pending: number; oldestAt: number | null } {
    const row = this.sql.exec<{ n: number; oldest: number | null }>("SELECT count(*) AS n, min(created_at) AS oldest FROM _outbox").one();
    return { pending: row.n, oldestAt: row.oldest };
  }
}
