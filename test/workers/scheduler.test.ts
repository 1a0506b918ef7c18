import { env, exports } from "cloudflare:workers";
import { createScheduledController, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { call, uniqueName } from "../helpers/api";
import { eventually } from "../helpers/webhooks";
import { createScript, executions, waitForRuns } from "../helpers/scripts";
import { settled } from "../helpers/pipeline";
import { dueRuns, type Job } from "../../worker/lib/schedule";
import { runScriptMessage } from "../../worker/queues/script-runs";
import type { ScriptRunMessage } from "../../worker/queues/script-messages";
import { scheduled } from "../../worker/cron";
import type { SchedulerDO } from "../../durable-objects/scheduler";

const tenantName = () => uniqueName("cr").replaceAll("_", "-");
const MINUTE = 60_000;

/** Pretends the coordinator's next time for every job is `ago` ms in the past (as after an outage). */
async function makeDue(tenant: string, ago: number) {
  const stub = env.SCHEDULER.get(env.SCHEDULER.idFromName(tenant)) as DurableObjectStub<SchedulerDO>;
  await runInDurableObject(stub, (_instance, state) => {
    state.storage.sql.exec("UPDATE jobs SET next_at = ?", Date.now() - ago);
  });
}

const tick = () => scheduled(createScheduledController({ scheduledTime: Date.now(), cron: "* * * * *" }), env);

describe("schedule math (worker/lib/schedule.ts)", () => {
  const job = (schedule: string, nextAt: number): Job => ({
    scriptId: "s",
    schedule,
    timezone: "UTC",
    paused: false,
    nextAt,
  });

  it("a 10-second schedule is due 6 times in a minute of 1-second ticks", () => {
    const start = Date.UTC(2026, 0, 1, 12, 0, 0);
    let j = job("*/10 * * * * *", start);
    const fired: number[] = [];
    for (let t = start; t < start + MINUTE; t += 1000) {
      const { runs, next } = dueRuns([j], t);
      fired.push(...runs.map((r) => r.scheduledAt));
      if (next.has("s")) j = { ...j, nextAt: next.get("s")! };
    }
    expect(fired.map((t) => (t - start) / 1000)).toEqual([0, 10, 20, 30, 40, 50]);
  });

  it("folds missed times into one run for the latest of them", () => {
    const start = Date.UTC(2026, 0, 1, 12, 0, 0);
    const { runs, next } = dueRuns([job("* * * * *", start)], start + 10 * MINUTE + 5000);
    expect(runs).toEqual([{ scriptId: "s", scheduledAt: start + 10 * MINUTE, missed: 10 }]);
    expect(next.get("s")).toBe(start + 11 * MINUTE);
    expect(dueRuns([{ ...job("* * * * *", start), paused: true }], start + MINUTE).runs).toEqual([]);
  });

  it("honours time zones", () => {
    const { runs } = dueRuns(
      [{ ...job("0 9 * * *", Date.UTC(2026, 6, 1, 7, 0, 0)), timezone: "Europe/Berlin" }],
      Date.UTC(2026, 6, 1, 7, 0, 1),
    );
    expect(new Date(runs[0].scheduledAt).toISOString()).toBe("2026-07-01T07:00:00.000Z");
  });
});

describe("cron scripts and the coordinator", () => {
  it("runs each due script once when the cron handler is invoked twice and concurrently for the same minute", async () => {
    const tenant = tenantName();
    const a = await createScript(tenant, {
      name: "a",
      code: "export default async (tick, ctx) => { await ctx.api.insert('ticks', { script: 'a', at: tick.scheduledTime }); }",
      trigger: { type: "cron", schedule: "0 0 1 1 *" },
    });
    const b = await createScript(tenant, {
      name: "b",
      code: "export default async (tick, ctx) => { await ctx.api.insert('ticks', { script: 'b', at: tick.scheduledTime }); }",
      trigger: { type: "cron", schedule: "0 0 1 1 *" },
    });
    await makeDue(tenant, 1000);
    await Promise.all([tick(), tick()]);
    await tick();
    await waitForRuns(tenant, a.id, "succeeded", 1);
    await waitForRuns(tenant, b.id, "succeeded", 1);
    await settled(tenant);
    const docs = (await call("GET", "/api/db/ticks", { tenant })).json.documents;
    expect(docs.map((d: { script: string }) => d.script).sort()).toEqual(["a", "b"]);
    expect((await executions(tenant, a.id)).executions).toHaveLength(1);
  });

  it("after an outage runs a missed schedule once, not once per missed tick", async () => {
    const tenant = tenantName();
    const s = await createScript(tenant, {
      name: "minutely",
      code: "export default async (tick) => tick",
      trigger: { type: "cron", schedule: "* * * * *" },
    });
    await makeDue(tenant, 30 * MINUTE);
    await tick();
    const [run] = await waitForRuns(tenant, s.id, "succeeded", 1);
    expect(run.result.missed).toBeGreaterThanOrEqual(29);
    await tick();
    await settled(tenant);
    expect((await executions(tenant, s.id)).executions).toHaveLength(1);
    const list = (await call("GET", "/api/scripts/scheduled/list", { tenant })).json.scheduled;
    expect(list).toHaveLength(1);
    expect(list[0]).toMatchObject({
      scriptId: s.id,
      name: "minutely",
      schedule: "* * * * *",
      timezone: "UTC",
      paused: false,
      lastRun: { outcome: "succeeded" },
    });
    expect(list[0].nextRuns).toHaveLength(5);
    expect(Date.parse(list[0].nextRuns[0])).toBeGreaterThan(Date.now());
  });

  it("pausing clears the upcoming runs; resuming continues from the next time without catching up", async () => {
    const tenant = tenantName();
    const s = await createScript(tenant, {
      name: "p",
      code: "export default async () => 1",
      trigger: { type: "cron", schedule: "0 * * * *", timezone: "America/New_York" },
    });
    await call("POST", `/api/scripts/${s.id}/pause`, { tenant });
    let [job] = (await call("GET", "/api/scripts/scheduled/list", { tenant })).json.scheduled;
    expect(job).toMatchObject({ paused: true, nextRuns: [], enabled: false });
    await call("POST", `/api/scripts/${s.id}/resume`, { tenant });
    [job] = (await call("GET", "/api/scripts/scheduled/list", { tenant })).json.scheduled;
    expect(job.paused).toBe(false);
    expect(new Date(job.nextRuns[0]).getUTCMinutes()).toBe(0);
    await call("DELETE", `/api/scripts/${s.id}`, { tenant });
    expect((await call("GET", "/api/scripts/scheduled/list", { tenant })).json.scheduled).toEqual([]);
  });

  it("leadership: a fencing token, a resign that hands over to a larger token, and stale dispatches refused", async () => {
    const tenant = tenantName();
    const s = await createScript(tenant, {
      name: "l",
      code: "export default async () => 1",
      trigger: { type: "cron", schedule: "0 0 1 1 *" },
    });
    await tick();
    const before = (await call("GET", "/api/cluster/leadership", { tenant })).json;
    expect(before).toMatchObject({ coordinator: `SchedulerDO(${tenant})`, lock: "docflare:scheduler", jobs: 1 });
    expect(before.fencingToken).toBeGreaterThan(0);
    expect(before.holder).toMatch(/^SchedulerDO\//);
    expect(Date.parse(before.nextAlarm)).toBeGreaterThan(Date.now());
    const resigned = await call("POST", "/api/cluster/leadership/resign", { tenant });
    expect(resigned.json).toMatchObject({ resigned: true, previousToken: before.fencingToken });
    const after = await eventually(async () => {
      const now = (await call("GET", "/api/cluster/leadership", { tenant })).json;
      expect(now.fencingToken).toBeGreaterThan(before.fencingToken);
      return now;
    });
    const base: ScriptRunMessage = {
      kind: "script-run",
      tenant,
      scriptId: s.id,
      runKey: "",
      trigger: "cron",
      event: "{}",
      chainDepth: 0,
      attempt: 0,
      scheduledAt: Date.now(),
    };
    await runScriptMessage(env, { ...base, runKey: `${s.id}:new`, fencingToken: after.fencingToken });
    await runScriptMessage(env, { ...base, runKey: `${s.id}:old`, fencingToken: before.fencingToken });
    const runs = (await executions(tenant, s.id)).executions.map((e) => e.runKey);
    expect(runs).toEqual([`${s.id}:new`]);
  });
});

describe("the Worker's scheduled handler", () => {
  it("is exported and ticks coordinators", async () => {
    const tenant = tenantName();
    const s = await createScript(tenant, {
      name: "x",
      code: "export default async () => 'ran'",
      trigger: { type: "cron", schedule: "0 0 1 1 *" },
    });
    await makeDue(tenant, 1000);
    // The runtime's Fetcher has scheduled() for a Worker's own entrypoint; the generated types leave it out.
    const worker = exports.default as unknown as {
      scheduled(o: { scheduledTime: Date; cron: string }): Promise<unknown>;
    };
    await worker.scheduled({ scheduledTime: new Date(), cron: "* * * * *" });
    await waitForRuns(tenant, s.id, "succeeded", 1);
  });
});

describe("dispatch outbox", () => {
  it("a dispatch left mid-send by an object that died is sent by the next tick, once", async () => {
    const tenant = tenantName();
    const s = await createScript(tenant, {
      name: "lost",
      code: "export default async (tick, ctx) => { await ctx.api.insert('ticks', { at: tick.scheduledTime }); }",
      trigger: { type: "cron", schedule: "0 0 1 1 *" },
    });
    const stub = env.SCHEDULER.get(env.SCHEDULER.idFromName(tenant)) as DurableObjectStub<SchedulerDO>;
    const { token } = await stub.tick(tenant);
    const scheduledAt = Date.now() - 5000;
    // What a flush that died between claiming its rows and the queue's answer left behind: a row claimed, never sent.
    await runInDurableObject(stub, (_instance, state) => {
      state.storage.sql.exec(
        "INSERT INTO dispatch (run_key, script_id, scheduled_at, missed, token, state, created_at) VALUES (?, ?, ?, 0, ?, 'sending', ?)",
        `${s.id}:${new Date(scheduledAt).toISOString()}`,
        s.id,
        scheduledAt,
        token,
        Date.now(),
      );
    });
    await tick();
    await tick();
    const runs = await waitForRuns(tenant, s.id, "succeeded", 1);
    expect(runs).toHaveLength(1);
    const left = await runInDurableObject(
      stub,
      (_instance, state) =>
        state.storage.sql.exec<{ n: number }>("SELECT count(*) AS n FROM dispatch WHERE state != 'sent'").one().n,
    );
    expect(left).toBe(0);
  });
});
