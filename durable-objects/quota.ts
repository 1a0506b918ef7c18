import { DurableObject } from "cloudflare:workers";
import { windowOf, type QuotaAnswer } from "../worker/lib/quota";

/**
 * One counted subject (a key, a user or a client address of one tenant): exact fixed-window counts, decided in one
 * synchronous transaction, so concurrent requests can never take more than the figure.
 */
export class QuotaDO extends DurableObject<Env> {
  private sql: SqlStorage;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    this.sql.exec(
      "CREATE TABLE IF NOT EXISTS windows (start INTEGER PRIMARY KEY, requests INTEGER NOT NULL, writes INTEGER NOT NULL)",
    );
  }

  /** Counts one request (and one write when `write`) unless that would pass a figure; refused requests are not counted. */
  hit(
    rule: { requests: number; writes?: number; windowSeconds: number },
    write: boolean,
  ): { requests: QuotaAnswer; writes?: QuotaAnswer } {
    return this.ctx.storage.transactionSync(() => {
      const { start, resetSeconds } = windowOf(Date.now(), rule.windowSeconds);
      this.sql.exec("DELETE FROM windows WHERE start < ?", start);
      const row = this.sql
        .exec<{ requests: number; writes: number }>("SELECT requests, writes FROM windows WHERE start = ?", start)
        .toArray()[0] ?? { requests: 0, writes: 0 };
      const requestsOk = row.requests < rule.requests;
      const writesOk = !write || rule.writes === undefined || row.writes < rule.writes;
      const ok = requestsOk && writesOk;
      const requests = ok ? row.requests + 1 : row.requests;
      const writes = ok && write ? row.writes + 1 : row.writes;
      if (ok)
        this.sql.exec(
          "INSERT OR REPLACE INTO windows (start, requests, writes) VALUES (?, ?, ?)",
          start,
          requests,
          writes,
        );
      return {
        requests: { ok: requestsOk, remaining: rule.requests - requests, limit: rule.requests, resetSeconds },
        ...(write && rule.writes !== undefined
          ? { writes: { ok: writesOk, remaining: rule.writes - writes, limit: rule.writes, resetSeconds } }
          : {}),
      };
    });
  }
}
