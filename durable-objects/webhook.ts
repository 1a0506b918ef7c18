import type { AttemptRecord, DeliveryStatus } from "../worker/lib/records";
import { DurableObject } from "cloudflare:workers";
import { SendWindow, type SlotAnswer } from "./tables/send-window";
import { DeliveryLog } from "./tables/delivery-log";

/**
 * One per webhook: the sliding-window rate limiter and the delivery log with its statistics.
 * The window's send times live in SQLite so a restart cannot reopen a full window.
 */
export class WebhookDO extends DurableObject<Env> {
  private log: DeliveryLog;
  private window: SendWindow;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.window = new SendWindow(ctx.storage.sql);
    this.log = new DeliveryLog(ctx.storage.sql);
  }

  /**
   * Takes a send slot for a delivery, or says how long until one frees up. A delivery already settled in this
   * generation is skipped, so a redelivered queue message never posts twice after success.
   */
  acquire(deliveryId: string, generation: number, limit: number, windowMs: number, timeoutMs: number): SlotAnswer {
    const settled = this.log.settled(deliveryId, generation);
    if (settled) return { skip: settled };
    return this.ctx.storage.transactionSync(() => {
      const taken = this.window.take(Date.now(), limit, windowMs, timeoutMs);
      return "slot" in taken ? { go: true as const, slot: taken.slot } : { go: false as const, waitMs: taken.waitMs };
    });
  }

  /** `acquire` for the deliveries of one queue batch, in one transaction. */
  acquireMany(
    requests: Array<{ deliveryId: string; generation: number }>,
    limit: number,
    windowMs: number,
    timeoutMs: number,
  ): SlotAnswer[] {
    return this.ctx.storage.transactionSync(() =>
      requests.map((r) => this.acquire(r.deliveryId, r.generation, limit, windowMs, timeoutMs)),
    );
  }

  /** `record` for the attempts of one queue batch, in one transaction. */
  recordMany(items: Array<{ attempt: AttemptRecord; slot?: number }>): void {
    this.ctx.storage.transactionSync(() => items.forEach((i) => this.record(i.attempt, i.slot)));
  }

  /** Logs an attempt and, when it used a slot, marks the request finished so the window counts from its end. */
  record(attempt: AttemptRecord, slot?: number): void {
    this.ctx.storage.transactionSync(() => {
      if (slot !== undefined) this.window.done(slot, Date.now());
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
