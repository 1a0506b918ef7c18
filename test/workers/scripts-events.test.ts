import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { call, uniqueName } from "../helpers/api";
import { createWebhook, eventually, received, receiverUrl } from "../helpers/webhooks";
import { createScript, executions, waitForRuns } from "../helpers/scripts";
import { settled } from "../helpers/pipeline";
import { runScriptMessage } from "../../worker/queues/script-runs";
import type { ScriptRunMessage } from "../../worker/queues/script-messages";

const tenantName = () => uniqueName("se").replaceAll("_", "-");

async function docs(tenant: string, collection: string) {
  const res = await call("GET", `/api/db/${collection}?limit=100`, { tenant });
  return res.json.documents as Array<Record<string, any>>;
}

describe("event scripts", () => {
  it("run once per matching event, and their writes reach webhooks", async () => {
    const tenant = tenantName();
    const path = `/${uniqueName("audit")}`;
    await createWebhook(tenant, { url: `${receiverUrl()}${path}`, collection: "audit", events: ["insert"] });
    const script = await createScript(tenant, {
      name: "audit big orders",
      code: "export default async (event, ctx) => {\n  await ctx.api.insert('audit', { _id: 'audit-' + event.fullDocument._id, order: event.fullDocument._id, total: event.fullDocument.total });\n  return 'ok';\n};",
      trigger: { type: "event", collection: "orders", events: ["insert"], filter: { total: { $gte: 100 } } },
    });
    await call("POST", "/api/db/orders", {
      tenant,
      body: [
        { _id: "small", total: 5 },
        { _id: "big1", total: 150 },
        { _id: "big2", total: 300 },
      ],
    });
    await call("PATCH", "/api/db/orders/big1", { tenant, body: { total: 151 } });
    const runs = await waitForRuns(tenant, script.id, "succeeded", 2);
    expect(runs.every((r) => r.trigger === "event" && r.attempts === 1 && r.eventId.startsWith("evt_"))).toBe(true);
    expect((await docs(tenant, "audit")).map((d) => d.order).sort()).toEqual(["big1", "big2"]);
    const events = await eventually(async () => {
      const list = await received(path);
      expect(list.length).toBe(2);
      return list.map((r) => JSON.parse(r.body));
    });
    expect(events.map((e) => e.chainDepth)).toEqual([1, 1]);
    await settled(tenant);
    expect((await executions(tenant, script.id)).executions).toHaveLength(2);
  });

  it("a redelivered run message does not run the script twice", async () => {
    const tenant = tenantName();
    const script = await createScript(tenant, {
      name: "counter",
      code: "export default async (e, ctx) => { await ctx.api.update('counts', { _id: 'c' }, { $inc: { n: 1 } }, { upsert: true }); }",
      trigger: { type: "event", collection: "things" },
    });
    const msg: ScriptRunMessage = {
      kind: "script-run",
      tenant,
      scriptId: script.id,
      runKey: `${script.id}:evt_fixed`,
      trigger: "event",
      chainDepth: 0,
      attempt: 0,
      event: JSON.stringify({
        id: "evt_fixed",
        operationType: "insert",
        tenant,
        database: "main",
        collection: "things",
        documentKey: { _id: 1 },
        fullDocument: { _id: 1 },
        clusterTime: new Date().toISOString(),
        chainDepth: 0,
      }),
    };
    await Promise.all([runScriptMessage(env, msg), runScriptMessage(env, msg)]);
    await runScriptMessage(env, msg);
    expect((await docs(tenant, "counts"))[0].n).toBe(1);
    const history = await executions(tenant, script.id);
    expect(history.executions).toHaveLength(1);
    expect(history.executions[0]).toMatchObject({ runKey: `${script.id}:evt_fixed`, status: "succeeded" });
  });

  it("retries a failing run with backoff up to maxAttempts, then records it failed", async () => {
    const tenant = tenantName();
    const script = await createScript(tenant, {
      name: "flaky",
      maxAttempts: 3,
      code: "export default async () => { throw new Error('boom'); }",
      trigger: { type: "event", collection: "jobs" },
    });
    await call("POST", "/api/db/jobs", { tenant, body: { _id: "j1" } });
    const [failed] = await waitForRuns(tenant, script.id, "failed", 1, 25_000);
    expect(failed).toMatchObject({ attempts: 3, error: { message: "boom", code: "SCRIPT_ERROR" } });
  });

  it("stops a script that triggers itself at the chain-depth bound", async () => {
    const tenant = tenantName();
    const script = await createScript(tenant, {
      name: "echo chamber",
      code: "export default async (event, ctx) => { await ctx.api.insert('loop', { from: event.documentKey._id }); }",
      trigger: { type: "event", collection: "loop", events: ["insert"] },
    });
    await call("POST", "/api/db/loop", { tenant, body: { _id: "seed" } });
    const [skipped] = await waitForRuns(tenant, script.id, "skipped", 1, 30_000);
    expect(skipped.error).toMatchObject({ code: "SCRIPT_CHAIN_DEPTH" });
    await settled(tenant);
    const depth = Number(env.SCRIPT_MAX_CHAIN_DEPTH);
    expect((await docs(tenant, "loop")).length).toBe(depth + 1);
    expect((await executions(tenant, script.id, "?status=succeeded")).executions).toHaveLength(depth);
  });

  it("paused scripts do not run; resumed ones do", async () => {
    const tenant = tenantName();
    const script = await createScript(tenant, {
      name: "p",
      code: "export default async (e, ctx) => { await ctx.api.insert('out', { at: 1 }); }",
      trigger: { type: "event", collection: "in" },
    });
    expect((await call("POST", `/api/scripts/${script.id}/pause`, { tenant })).json.enabled).toBe(false);
    await call("POST", "/api/db/in", { tenant, body: { _id: 1 } });
    await settled(tenant);
    expect(await docs(tenant, "out")).toHaveLength(0);
    expect((await call("POST", `/api/scripts/${script.id}/resume`, { tenant })).json.enabled).toBe(true);
    await call("POST", "/api/db/in", { tenant, body: { _id: 2 } });
    await waitForRuns(tenant, script.id, "succeeded", 1);
    expect(await docs(tenant, "out")).toHaveLength(1);
  });
});
