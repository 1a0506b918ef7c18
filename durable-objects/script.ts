import type { RunStatus } from "../worker/lib/records";
import { DurableObject } from "cloudflare:workers";
import { SendWindow, type SlotAnswer } from "./tables/send-window";
import { RunLog, type RunFinish, type RunInfo } from "./tables/run-log";

/**
 * One per script: run deduplication by run key, the per-script sliding-window rate limiter, and the execution
 * history with statistics. The sandbox runs in the Worker; this object only decides and records.
 */
export class ScriptDO extends DurableObject<Env> {
  private log: RunLog;
  private window: SendWindow;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.window = new SendWindow(ctx.storage.sql);
    ctx.storage.sql.exec(
      "CREATE TABLE IF NOT EXISTS fencing (id INTEGER PRIMARY KEY CHECK (id = 1), max_token INTEGER NOT NULL)",
    );
    this.log = new RunLog(ctx.storage.sql);
  }

  /**
   * Takes a run for `runKey`: skipped when it already ended (or was dispatched by a deposed cron leader), deferred
   * while another consumer holds its lease or the rate window is full, otherwise started under a lease.
   */
  claim(
    runKey: string,
    info: RunInfo,
    limit: number,
    windowMs: number,
    leaseMs: number,
    fencingToken?: number,
  ): SlotAnswer {
    const sql = this.ctx.storage.sql;
    const now = Date.now();
    return this.ctx.storage.transactionSync(() => {
      const row = this.log.get(runKey);
      if (row && row.status !== "running" && row.status !== "retrying") return { skip: `already ${row.status}` };
      if (row && row.status === "running" && (row.lease_until ?? 0) > now)
        return { go: false as const, waitMs: row.lease_until! - now };
      // A duplicate of an earlier attempt's message arriving while a later retry is scheduled is stale.
      if (row && row.status === "retrying" && info.attempt <= row.attempts)
        return { skip: `attempt ${info.attempt} superseded` };
      if (fencingToken !== undefined) {
        const max = sql.exec<{ max_token: number }>("SELECT max_token FROM fencing").toArray()[0]?.max_token ?? 0;
        if (fencingToken < max) return { skip: `dispatched under fencing token ${fencingToken}, older than ${max}` };
        sql.exec(
          "INSERT INTO fencing (id, max_token) VALUES (1, ?) ON CONFLICT (id) DO UPDATE SET max_token = excluded.max_token",
          fencingToken,
        );
      }
      const taken = this.window.take(now, limit, windowMs, leaseMs);
      if ("waitMs" in taken) return { go: false as const, waitMs: taken.waitMs };
      this.log.start(runKey, info, now + leaseMs, now);
      return { go: true as const, slot: taken.slot };
    });
  }

  finish(runKey: string, info: RunInfo, outcome: RunFinish, slot?: number): void {
    this.ctx.storage.transactionSync(() => {
      if (slot !== undefined) this.window.done(slot, Date.now());
      this.log.finish(runKey, info, outcome, Date.now());
    });
  }

  executions(status: RunStatus | undefined, limit: number, before?: number) {
    return this.log.list(status, limit, before);
  }

  stats() {
    return this.log.stats();
  }
}
