import { SCHEDULER_LOCK, lockOf } from "../../worker/stubs";
import type { LockStatus } from "../../worker/lib/lease";
import { unwrap } from "../../worker/lib/errors";

const LEASE_TTL_MS = 120_000;

type Meta = {
  tenant: string | null;
  token: number | null;
  expires_at: number | null;
  since: number | null;
  last_tick: number | null;
  last_source: string | null;
};

/**
 * Cron leadership of a SchedulerDO as a lease on a LockDO. A Durable Object is unique by design, but a lease with a
 * fencing token makes hand-over explicit (resign) and lets run consumers refuse work dispatched by a deposed leader.
 * The lease is renewed only when half of it is used up, so most ticks need no call to the lock.
 */
export class Leadership {
  constructor(
    private ctx: DurableObjectState,
    private env: Env,
  ) {
    ctx.storage.sql.exec(`CREATE TABLE IF NOT EXISTS leadership (
      id INTEGER PRIMARY KEY CHECK (id = 1), tenant TEXT, token INTEGER, expires_at INTEGER, since INTEGER, last_tick INTEGER, last_source TEXT)`);
    ctx.storage.sql.exec("INSERT OR IGNORE INTO leadership (id) VALUES (1)");
  }

  private meta(): Meta {
    return this.ctx.storage.sql.exec<Meta>("SELECT * FROM leadership WHERE id = 1").one();
  }

  private set(fields: Partial<Meta>): void {
    for (const [k, v] of Object.entries(fields))
      this.ctx.storage.sql.exec(`UPDATE leadership SET ${k} = ? WHERE id = 1`, v);
  }

  remember(tenant: string): void {
    if (this.meta().tenant !== tenant) this.set({ tenant });
  }

  tenant(): string | null {
    return this.meta().tenant;
  }

  noteTick(at: number, source: string): void {
    this.set({ last_tick: at, last_source: source });
  }

  private holder(tenant: string): string {
    return `SchedulerDO/${tenant}/${this.ctx.id.toString().slice(0, 16)}`;
  }

  private lock(tenant: string) {
    return lockOf(this.env, tenant, SCHEDULER_LOCK);
  }

  /** The current fencing token, renewing or taking the lease as needed; null when another holder has it. */
  async ensure(): Promise<number | null> {
    const m = this.meta();
    if (!m.tenant) return null;
    const now = Date.now();
    if (m.token !== null && m.expires_at !== null && m.expires_at - now > LEASE_TTL_MS / 2) return m.token;
    const lock = this.lock(m.tenant);
    if (m.token !== null) {
      const renewed = await lock.renew(m.token, LEASE_TTL_MS);
      if (renewed.ok) {
        this.set({ expires_at: now + LEASE_TTL_MS });
        return m.token;
      }
      this.set({ token: null, expires_at: null, since: null });
    }
    const status = unwrap(await lock.acquire(this.holder(m.tenant), LEASE_TTL_MS, 0));
    if (!status.acquired || status.token === null) return null;
    this.set({ token: status.token, expires_at: now + LEASE_TTL_MS, since: now });
    return status.token;
  }

  async view() {
    const m = this.meta();
    const lock: LockStatus | null = m.tenant ? await this.lock(m.tenant).status() : null;
    return {
      coordinator: m.tenant ? `SchedulerDO(${m.tenant})` : null,
      lock: m.tenant ? SCHEDULER_LOCK : null,
      holder: lock?.holder ?? null,
      fencingToken: m.token,
      leaderSince: m.since === null ? null : new Date(m.since).toISOString(),
      leaseExpiresAt: lock?.expiresAt ?? null,
      lastTick: m.last_tick === null ? null : new Date(m.last_tick).toISOString(),
      lastTickSource: m.last_source,
    };
  }

  async resign(): Promise<{ resigned: boolean; previousToken: number | null }> {
    const m = this.meta();
    if (!m.tenant || m.token === null) return { resigned: false, previousToken: null };
    await this.lock(m.tenant).release(m.token);
    this.set({ token: null, expires_at: null, since: null });
    return { resigned: true, previousToken: m.token };
  }
}
