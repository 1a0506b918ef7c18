import { stringify } from "../../worker/lib/ejson";
import type { ChangeEvent } from "../../worker/lib/change-events";

/** Queue messages are capped at 128 KB; bigger events leave without their documents (said so in the docs). */
export const MAX_EVENT_BYTES = 120_000;

/**
 * Change events waiting to be published. Rows are appended in the same SQLite transaction as the document write,
 * so a crash between the write and the send loses nothing; rows leave only after the queue has accepted them.
 */
export class Outbox {
  constructor(private sql: SqlStorage) {
    sql.exec(`CREATE TABLE IF NOT EXISTS _outbox (
      seq INTEGER PRIMARY KEY AUTOINCREMENT, event_id TEXT NOT NULL, body TEXT NOT NULL, created_at INTEGER NOT NULL)`);
  }

  append(events: ChangeEvent[]): void {
    const now = Date.now();
    for (const event of events) {
      let body = stringify(event, true);
      if (body.length > MAX_EVENT_BYTES) {
        const { fullDocument: _f, updateDescription: _u, fullDocumentBeforeChange: _b, ...rest } = event;
        body = stringify({ ...rest, truncated: true }, true);
      }
      this.sql.exec("INSERT INTO _outbox (event_id, body, created_at) VALUES (?, ?, ?)", event.id, body, now);
    }
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
