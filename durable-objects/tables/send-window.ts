import { waitForSlot } from "../../worker/lib/rate-window";

/** What a limited object answers a request to send or run: go with a slot, wait, or skip (already settled). */
export type SlotAnswer = { go: true; slot: number } | { go: false; waitMs: number } | { skip: string };

/**
 * The sliding-window limiter's state for one webhook or script: when each send took its slot and when it finished.
 * Kept in SQLite so a restart cannot reopen a full window. Call `take` inside the caller's transaction.
 */
export class SendWindow {
  constructor(private sql: SqlStorage) {
    sql.exec("CREATE TABLE IF NOT EXISTS sends (id INTEGER PRIMARY KEY, at INTEGER NOT NULL, done_at INTEGER)");
  }

  /** A slot id, or how long until one frees up (see `waitForSlot` for the accounting). */
  take(now: number, limit: number, windowMs: number, maxInFlightMs: number): { slot: number } | { waitMs: number } {
    this.sql.exec("DELETE FROM sends WHERE coalesce(done_at, at + ?) <= ?", maxInFlightMs, now - windowMs);
    const spans = this.sql
      .exec<{ at: number; done_at: number | null }>("SELECT at, done_at FROM sends")
      .toArray()
      .map((r) => ({ at: r.at, doneAt: r.done_at }));
    const waitMs = waitForSlot(spans, now, limit, windowMs, maxInFlightMs);
    if (waitMs > 0) return { waitMs };
    return { slot: this.sql.exec<{ id: number }>("INSERT INTO sends (at) VALUES (?) RETURNING id", now).one().id };
  }

  /** The send finished: from now on it occupies the window for one window length. */
  done(slot: number, now: number): void {
    this.sql.exec("UPDATE sends SET done_at = ? WHERE id = ?", now, slot);
  }
}
