import { DurableObject } from "cloudflare:workers";
import { waitForSlot } from "../worker/lib/rate-window";
import { DeliveryLog, type AttemptRecord, type DeliveryStatus } from "./sql/delivery-log";

export type SlotAnswer = { go: true; slot: number } | { go: false; waitMs: number } | { skip: string };

/**
 * One per webhook: the sliding-window rate limiter and the delivery log with its statistics.
 * The window's send times live in SQLite so a restart cannot reopen a full window.
 */
export class WebhookDO extends DurableObject<Env> {
  private log: DeliveryLog;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    ctx.storage.sql.exec("CREATE TABLE IF NOT EXISTS sends (id INTEGER PRIMARY KEY, at INTEGER NOT NULL, done_at INTEGER)");
    this.log = new DeliveryLog(ctx.storage.sql);
  }

  /**
   * Takes a send slot for a delivery, or says how long until one frees up. A delivery already settled in this
   * generation is skipped, so a redelivered queue message never posts twice after success.
   */
  acquire(deliveryId: string, generation: number, limit: number, windowMs: number, timeoutMs: number): SlotAnswer {
    const settled = this.log.settled(deliveryId, generation);
    if (settled) return { skip: settled };
    const now = Date.now();
    const sql = this.ctx.storage.sql;
    return this.ctx.storage.transactionSync(() => {
      sql.exec("DELETE FROM sends WHERE coalesce(done_at, at + ?) <= ?", timeoutMs, now - windowMs);
      const spans = sql.exec<{ at: number; done_at: number | null }>("SELECT at, done_at FROM sends").toArray().map((r) => ({ at: r.at, doneAt: r.done_at }));
      const waitMs = waitForSlot(spans, now, limit, windowMs, timeoutMs);
      if (waitMs > 0) return { go: false as const, waitMs };
      const slot = sql.exec<{ id: number }>("INSERT INTO sends (at) VALUES (?) RETURNING id", now).one().id;
      return { go: true as const, slot };
    });
  }

  /** Logs an attempt and, when it used a slot, marks the request finished so the window counts from its end. */
  record(attempt: AttemptRecord, slot?: number): void {
    this.ctx.storage.transactionSync(() => {
      if (slot !== undefined) this.ctx.storage.sql.exec("UPDATE sends SET done_at = ? WHERE id = ?", Date.now(), slot);
      this.log.record(attempt);
    });
  }

  markFailed(deliveryId: string, generation: number, reason: string): void {
    this.log.markFailed(deliveryId, generation, reason);
  }

  deliveries(status: DeliveryStatus | undefined, limit: number, before?: number) {
    return this.log.list(status, limit, before);
  }

  stats() {
    return this.log.stats();
  }

  /** Reopens a delivery for one more send with the same id; returns its event, or null when unknown. */
  prepareReplay(deliveryId: string): { event: string; generation: number; eventId: string } | null {
    return this.log.reopen(deliveryId);
  }
}
