import { DurableObject } from "cloudflare:workers";
import { waitForSlot } from "../worker/lib/rate-window";
import { DeliveryLog, type AttemptRecord, type DeliveryStatus } from "./sql/delivery-log";

export type SlotAnswer = { go: true } | { go: false; waitMs: number } | { skip: string };

/**
 * One per webhook: the sliding-window rate limiter and the delivery log with its statistics.
 * The window's send times live in SQLite so a restart cannot reopen a full window.
 */
export class WebhookDO extends DurableObject<Env> {
  private log: DeliveryLog;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    ctx.storage.sql.exec("CREATE TABLE IF NOT EXISTS sends (at INTEGER NOT NULL)");
    this.log = new DeliveryLog(ctx.storage.sql);
  }

  /**
   * Takes a send slot for a delivery, or says how long until one frees up. A delivery already settled in this
   * generation is skipped, so a redelivered queue message never posts twice after success.
   */
  acquire(deliveryId: string, generation: number, limit: number, windowMs: number): SlotAnswer {
    const settled = this.log.settled(deliveryId, generation);
    if (settled) return { skip: settled };
    const now = Date.now();
    return this.ctx.storage.transactionSync(() => {
      this.ctx.storage.sql.exec("DELETE FROM sends WHERE at <= ?", now - windowMs);
      const sends = this.ctx.storage.sql.exec<{ at: number }>("SELECT at FROM sends").toArray().map((r) => r.at);
      const waitMs = waitForSlot(sends, now, limit, windowMs);
      if (waitMs > 0) return { go: false as const, waitMs };
      this.ctx.storage.sql.exec("INSERT INTO sends (at) VALUES (?)", now);
      return { go: true as const };
    });
  }

  record(attempt: AttemptRecord): void {
    this.ctx.storage.transactionSync(() => this.log.record(attempt));
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
