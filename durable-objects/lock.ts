import { DurableObject } from "cloudflare:workers";
import { capture, type Result } from "../worker/lib/errors";
import { decideAcquire, decideHolderOp, view, type LeaseState, type LockStatus } from "../worker/lib/lease";

/**
 * A lease lock for one name: holder, expiry, and a fencing token that grows with every grant (never reused, also
 * across restarts). Decisions are pure functions in worker/lib/lease.ts; this class stores and waits.
 */
export class LockDO extends DurableObject<Env> {
  /** Acquirers waiting for the lease; woken by a release, or by their own timer at the lease's expiry. */
  private waiters = new Set<() => void>();
  /**
   * The latest time any decision used. Decisions take max(Date.now(), clock): a timer callback may read a clock
   * stamped earlier than a decision already made, and a grant must never be dated before the release it follows.
   */
  private clock = 0;

  private now(): number {
    this.clock = Math.max(this.clock, Date.now());
    return this.clock;
  }

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    ctx.storage.sql.exec(`CREATE TABLE IF NOT EXISTS lease (
      id INTEGER PRIMARY KEY CHECK (id = 1), holder TEXT, token INTEGER NOT NULL, expires_at INTEGER NOT NULL, last_token INTEGER NOT NULL)`);
    ctx.storage.sql.exec(
      "INSERT OR IGNORE INTO lease (id, holder, token, expires_at, last_token) VALUES (1, NULL, 0, 0, 0)",
    );
  }

  private state(): LeaseState {
    const r = this.ctx.storage.sql
      .exec<{ holder: string | null; token: number; expires_at: number; last_token: number }>("SELECT * FROM lease")
      .one();
    return { holder: r.holder, token: r.token, expiresAt: r.expires_at, lastToken: r.last_token };
  }

  private save(s: LeaseState): void {
    this.ctx.storage.sql.exec(
      "UPDATE lease SET holder = ?, token = ?, expires_at = ?, last_token = ? WHERE id = 1",
      s.holder,
      s.token,
      s.expiresAt,
      s.lastToken,
    );
  }

  /**
   * Grants the lease when free or expired; otherwise waits up to `waitMs` and reports the holder. Waiters wake on a
   * release (in the release's own turn) or at the lease's expiry, never by polling.
   */
  async acquire(holder: string, ttlMs: number, waitMs: number): Promise<Result<LockStatus>> {
    const deadline = this.now() + waitMs;
    for (;;) {
      const outcome = capture(() => {
        const decision = decideAcquire(this.state(), holder, ttlMs, this.now());
        if (decision.next) this.save(decision.next);
        return decision.status;
      });
      const now = this.now();
      if (!outcome.ok || outcome.value.acquired || now >= deadline) return outcome;
      const expiresAt = this.state().expiresAt;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(wake, Math.max(1, Math.min(deadline, expiresAt) - now));
        const waiters = this.waiters;
        function wake() {
          clearTimeout(timer);
          waiters.delete(wake);
          resolve();
        }
        waiters.add(wake);
      });
    }
  }

  renew(token: number, ttlMs: number): Result<LockStatus> {
    return capture(() => {
      const decision = decideHolderOp(this.state(), token, "renew", ttlMs, this.now());
      this.save(decision.next);
      return decision.status;
    });
  }

  release(token: number): Result<LockStatus> {
    return capture(() => {
      const decision = decideHolderOp(this.state(), token, "release", 0, this.now());
      this.save(decision.next);
      for (const wake of [...this.waiters]) wake();
      return decision.status;
    });
  }

  status(): LockStatus {
    return view(this.state(), this.now(), false);
  }
}
