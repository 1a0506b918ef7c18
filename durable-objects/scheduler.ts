import { isoTime } from "../worker/lib/stats";
import { DurableObject } from "cloudflare:workers";
import { log } from "../worker/log";
import { dueRuns, nextAfter, nextWake, runKey, upcoming, type Job } from "../worker/lib/schedule";
import { type ScriptRunMessage, scriptRunMessage } from "../worker/queues/script-messages";
import { Leadership } from "./tables/leadership";

type JobRow = {
  script_id: string;
  schedule: string;
  timezone: string;
  paused: number;
  next_at: number | null;
  last_scheduled_at: number | null;
  last_finished_at: number | null;
  last_outcome: string | null;
  last_error: string | null;
  last_duration_ms: number | null;
};

/** A job row's schedule, as the coordinator and its listing both show it. */
const jobOf = (r: JobRow) => ({
  scriptId: r.script_id,
  schedule: r.schedule,
  timezone: r.timezone,
  paused: r.paused === 1,
});

export interface ScheduledJob {
  scriptId: string;
  schedule: string;
  timezone: string;
  paused: boolean;
  nextRuns: string[];
  lastRun: {
    scheduledAt: string | null;
    finishedAt: string | null;
    outcome: string | null;
    error: string | null;
    durationMs: number | null;
  } | null;
}

const RETRY_FLUSH_MS = 5_000;

/**
 * The tenant's single cron coordinator: the only place that decides which cron script is due. The per-minute Cron
 * Trigger and this object's own alarm (for sub-minute schedules) both call `tick`; the due set and the advanced next
 * times are written in one transaction, so concurrent or repeated ticks for the same time dispatch each run once.
 * Dispatches go through a small outbox so a failed queue send is retried, and runs carry the leader's fencing token.
 */
export class SchedulerDO extends DurableObject<Env> {
  private sql: SqlStorage;
  private lead: Leadership;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    this.sql.exec(`CREATE TABLE IF NOT EXISTS jobs (
      script_id TEXT PRIMARY KEY, schedule TEXT NOT NULL, timezone TEXT NOT NULL, paused INTEGER NOT NULL, next_at INTEGER,
      last_scheduled_at INTEGER, last_finished_at INTEGER, last_outcome TEXT, last_error TEXT, last_duration_ms INTEGER)`);
    this.sql.exec(`CREATE TABLE IF NOT EXISTS dispatch (
      run_key TEXT PRIMARY KEY, script_id TEXT NOT NULL, scheduled_at INTEGER NOT NULL, missed INTEGER NOT NULL,
      token INTEGER NOT NULL, state TEXT NOT NULL, created_at INTEGER NOT NULL)`);
    this.lead = new Leadership(ctx, env);
  }

  private jobs(): Job[] {
    return this.sql
      .exec<JobRow>("SELECT * FROM jobs")
      .toArray()
      .map((r) => ({ ...jobOf(r), nextAt: r.next_at }));
  }

  private async arm(): Promise<void> {
    const pending = this.sql.exec<{ n: number }>("SELECT count(*) AS n FROM dispatch WHERE state != 'sent'").one().n;
    const wake = nextWake(this.jobs());
    const at = pending > 0 ? Math.min(wake ?? Infinity, Date.now() + RETRY_FLUSH_MS) : wake;
    if (at === null) await this.ctx.storage.deleteAlarm();
    else await this.ctx.storage.setAlarm(at);
  }

  /** Adds or changes a cron script's schedule; the next time is computed from now (no catch-up for the change). */
  async upsertJob(
    tenant: string,
    scriptId: string,
    schedule: string,
    timezone: string,
    enabled: boolean,
  ): Promise<void> {
    this.lead.remember(tenant);
    const next = nextAfter(schedule, timezone, Date.now());
    this.sql.exec(
      `INSERT INTO jobs (script_id, schedule, timezone, paused, next_at) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (script_id) DO UPDATE SET schedule = excluded.schedule, timezone = excluded.timezone, paused = excluded.paused,
         next_at = CASE WHEN jobs.schedule = excluded.schedule AND jobs.timezone = excluded.timezone AND jobs.paused = excluded.paused
                        THEN jobs.next_at ELSE excluded.next_at END`,
      scriptId,
      schedule,
      timezone,
      enabled ? 0 : 1,
      next,
    );
    await this.arm();
  }

  async removeJob(scriptId: string): Promise<void> {
    this.sql.exec("DELETE FROM jobs WHERE script_id = ?", scriptId);
    await this.arm();
  }

  /**
   * Dispatches every due run once. Safe to call any number of times, concurrently, for the same minute: the due set
   * and the new next times are decided and written in one synchronous transaction.
   */
  async tick(
    tenant: string,
    source: "cron" | "alarm" = "cron",
  ): Promise<{ dispatched: number; leader: boolean; token: number | null }> {
    this.lead.remember(tenant);
    const token = await this.lead.ensure();
    if (token === null) return { dispatched: 0, leader: false, token: null };
    const now = Date.now();
    const dispatched = this.ctx.storage.transactionSync(() => {
      const { runs, next } = dueRuns(this.jobs(), now);
      for (const [scriptId, at] of next) this.sql.exec("UPDATE jobs SET next_at = ? WHERE script_id = ?", at, scriptId);
      for (const r of runs) {
        this.sql.exec(
          "INSERT OR IGNORE INTO dispatch (run_key, script_id, scheduled_at, missed, token, state, created_at) VALUES (?, ?, ?, ?, ?, 'pending', ?)",
          runKey(r.scriptId, new Date(r.scheduledAt).toISOString()),
          r.scriptId,
          r.scheduledAt,
          r.missed,
          token,
          now,
        );
      }
      this.sql.exec("DELETE FROM dispatch WHERE state = 'sent' AND created_at < ?", now - 86_400_000);
      this.lead.noteTick(now, source);
      return runs.length;
    });
    await this.flush(tenant);
    await this.arm();
    return { dispatched, leader: true, token };
  }

  /**
   * Sends pending dispatches with DatabaseDO's outbox protocol: rows stay pending until the queue has accepted them,
   * so an object that dies mid-send leaves them to the next tick or alarm (at least once; ScriptDO dedupes by run
   * key). Flushes of one live instance run one after another, so they do not send the same rows twice.
   */
  private flush(tenant: string): Promise<void> {
    const run = this.flushing.then(() => this.flushOnce(tenant));
    this.flushing = run.catch(() => undefined);
    return run;
  }

  private flushing: Promise<void> = Promise.resolve();

  private async flushOnce(tenant: string): Promise<void> {
    // Any row not marked sent is owed, including 'sending' rows an earlier version left when it died mid-send.
    const rows = this.sql
      .exec<{ run_key: string; script_id: string; scheduled_at: number; missed: number; token: number }>(
        "SELECT run_key, script_id, scheduled_at, missed, token FROM dispatch WHERE state != 'sent' LIMIT 100",
      )
      .toArray();
    if (rows.length === 0) return;
    const jobs = new Map(this.jobs().map((j) => [j.scriptId, j]));
    const messages = rows.map((r): { body: ScriptRunMessage } => {
      const job = jobs.get(r.script_id);
      const tick = {
        type: "schedule",
        scriptId: r.script_id,
        scheduledTime: new Date(r.scheduled_at).toISOString(),
        schedule: job?.schedule,
        timezone: job?.timezone,
        missed: r.missed,
      };
      return {
        body: scriptRunMessage({
          tenant,
          scriptId: r.script_id,
          runKey: r.run_key,
          trigger: "cron",
          event: JSON.stringify(tick),
          fencingToken: r.token,
          scheduledAt: r.scheduled_at,
        }),
      };
    });
    try {
      await this.env.SCRIPT_RUNS.sendBatch(messages);
    } catch (err) {
      log("warn", "scheduler dispatch failed; the rows stay pending for the next tick", {
        tenant,
        pending: rows.length,
        error: String(err),
      });
      return;
    }
    for (const r of rows) this.sql.exec("UPDATE dispatch SET state = 'sent' WHERE run_key = ?", r.run_key);
  }

  override async alarm(): Promise<void> {
    const tenant = this.lead.tenant();
    if (tenant) await this.tick(tenant, "alarm");
  }

  /** The consumer reports how a cron run ended, for the scheduled list. */
  recordOutcome(
    scriptId: string,
    scheduledAt: number,
    outcome: { ok: boolean; durationMs: number; error: string | null },
  ): void {
    this.sql.exec(
      `UPDATE jobs SET last_scheduled_at = ?, last_finished_at = ?, last_outcome = ?, last_error = ?, last_duration_ms = ?
       WHERE script_id = ? AND (last_scheduled_at IS NULL OR last_scheduled_at <= ?)`,
      scheduledAt,
      Date.now(),
      outcome.ok ? "succeeded" : "failed",
      outcome.error,
      outcome.durationMs,
      scriptId,
      scheduledAt,
    );
  }

  list(count = 5): ScheduledJob[] {
    const now = Date.now();
    return this.sql
      .exec<JobRow>("SELECT * FROM jobs ORDER BY script_id")
      .toArray()
      .map((r) => ({
        ...jobOf(r),
        nextRuns:
          r.paused === 1
            ? []
            : upcoming(r.schedule, r.timezone, Math.max(now, (r.next_at ?? now) - 1), count).map((t) =>
                new Date(t).toISOString(),
              ),
        lastRun:
          r.last_scheduled_at === null
            ? null
            : {
                scheduledAt: isoTime(r.last_scheduled_at),
                finishedAt: isoTime(r.last_finished_at),
                outcome: r.last_outcome,
                error: r.last_error,
                durationMs: r.last_duration_ms,
              },
      }));
  }

  async leadership() {
    const alarm = await this.ctx.storage.getAlarm();
    const pending = this.sql.exec<{ n: number }>("SELECT count(*) AS n FROM dispatch WHERE state != 'sent'").one().n;
    return {
      ...(await this.lead.view()),
      nextAlarm: isoTime(alarm),
      jobs: this.jobs().length,
      dispatchBacklog: pending,
    };
  }

  /** Gives the lease up; the next tick (armed at once) takes a new lease with a larger fencing token. */
  async resign() {
    const resigned = await this.lead.resign();
    await this.ctx.storage.setAlarm(Date.now() + 50);
    return resigned;
  }
}
