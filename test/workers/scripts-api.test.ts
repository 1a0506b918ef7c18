import { describe, expect, it } from "vitest";
import { call, createKey, uniqueName } from "../helpers/api";
import { createScript, executions } from "../helpers/scripts";

const tenantName = () => uniqueName("sa").replaceAll("_", "-");
const ECHO =
  "export default async (event, ctx) => {\n  ctx.log('running', event.operationType);\n  return { seen: event.fullDocument?._id ?? null };\n};";

describe("scripts API", () => {
  it("creates, reads, lists, changes and deletes a script", async () => {
    const tenant = tenantName();
    const created = await createScript(tenant, {
      name: "echo",
      code: ECHO,
      trigger: { type: "event", collection: "orders", events: ["insert"], filter: { total: { $gt: 10 } } },
    });
    expect(created).toMatchObject({
      name: "echo",
      enabled: true,
      timeoutMs: 5000,
      memoryLimitMb: 32,
      rateLimitPerMinute: 60,
      maxAttempts: 3,
      allowedHosts: [],
      trigger: { type: "event", collection: "orders", events: ["insert"], filter: { total: { $gt: 10 } } },
    });
    expect(created.id).toMatch(/^scr_/);
    expect((await call("GET", `/api/scripts/${created.id}`, { tenant })).json.code).toBe(ECHO);
    expect((await call("GET", "/api/scripts", { tenant })).json.scripts.map((s: { id: string }) => s.id)).toEqual([
      created.id,
    ]);
    const patched = await call("PATCH", `/api/scripts/${created.id}`, {
      tenant,
      body: { timeoutMs: 2000, code: "export default async () => 1;" },
    });
    expect(patched.status).toBe(200);
    expect(patched.json).toMatchObject({ timeoutMs: 2000, name: "echo" });
    expect(patched.json.versionId).not.toBe(created.versionId);
    expect((await call("DELETE", `/api/scripts/${created.id}`, { tenant })).json).toEqual({
      deleted: true,
      id: created.id,
    });
    expect((await call("GET", `/api/scripts/${created.id}`, { tenant })).json.error.code).toBe("SCRIPT_NOT_FOUND");
    expect((await call("GET", `/api/scripts/${created.id}`, { tenant: tenantName() })).status).toBe(404);
  });

  it("refuses code that does not parse with a 400 naming the line, and a module without a default function", async () => {
    const tenant = tenantName();
    const bad = await call("POST", "/api/scripts", {
      tenant,
      body: {
        name: "bad",
        code: "export default async () => {\n  const x = 1;\n  return x +;\n};",
        trigger: { type: "event" },
      },
    });
    expect(bad.status).toBe(400);
    expect(bad.json.error).toMatchObject({
      code: "SCRIPT_INVALID",
      details: { field: "code", line: 3, name: "SyntaxError" },
    });
    expect(bad.json.error.message).toMatch(/line 3/);
    const noDefault = await call("POST", "/api/scripts", {
      tenant,
      body: { name: "x", code: "export const y = 2;", trigger: { type: "event" } },
    });
    expect(noDefault.json.error.message).toMatch(/export default/);
  });

  it("validates every field with a 400 that names it", async () => {
    const tenant = tenantName();
    const cases: Array<[Record<string, unknown>, RegExp]> = [
      [{ name: "c", code: ECHO, trigger: { type: "cron", schedule: "61 * * * *" } }, /trigger.schedule/],
      [{ name: "c", code: ECHO, trigger: { type: "cron", schedule: "* * *" } }, /expected 5 fields/],
      [
        { name: "c", code: ECHO, trigger: { type: "cron", schedule: "* * * * *", timezone: "Mars/Olympus" } },
        /trigger.timezone/,
      ],
      [{ name: "c", code: ECHO, trigger: { type: "webhook" } }, /trigger/],
      [{ name: "c", code: ECHO, trigger: { type: "event", filter: { $where: "1" } } }, /\$where/],
      [{ name: "c", code: ECHO, trigger: { type: "event" }, timeoutMs: 60_000 }, /timeoutMs/],
      [{ name: "c", code: ECHO, trigger: { type: "event" }, rateLimitPerMinute: 301 }, /rateLimitPerMinute/],
      [{ name: "c", code: ECHO, trigger: { type: "event" }, allowedHosts: ["http://x.com/path"] }, /allowedHosts/],
      [{ name: "c", code: ECHO, trigger: { type: "event" }, surprise: 1 }, /surprise|Unrecognized/],
      [{ code: ECHO, trigger: { type: "event" } }, /name/],
    ];
    for (const [body, message] of cases) {
      const res = await call("POST", "/api/scripts", { tenant, body });
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.json.error.message, JSON.stringify(body)).toMatch(message);
    }
    expect(
      (
        await call("POST", "/api/scripts", {
          tenant,
          rawBody: "{nope",
          headers: { "content-type": "application/json" },
        })
      ).status,
    ).toBe(400);
  });

  it("is for admins only", async () => {
    const tenant = tenantName();
    const writer = await createKey("write", tenant);
    const res = await call("GET", "/api/scripts", { token: writer });
    expect(res.status).toBe(403);
  });

  it("test-runs a script with a sample event: result, logs, duration, and errors with their line", async () => {
    const tenant = tenantName();
    const script = await createScript(tenant, {
      name: "echo",
      code: ECHO,
      trigger: { type: "event", collection: "orders" },
    });
    const run = await call("POST", `/api/scripts/${script.id}/run`, {
      tenant,
      body: { event: { operationType: "insert", fullDocument: { _id: "o9" } } },
    });
    expect(run.status).toBe(200);
    expect(run.json).toMatchObject({
      ok: true,
      result: { seen: "o9" },
      logs: [{ level: "info", message: "running insert" }],
      error: null,
    });
    expect(run.json.durationMs).toBeGreaterThan(0);
    const defaulted = await call("POST", `/api/scripts/${script.id}/run`, { tenant });
    expect(defaulted.json).toMatchObject({ ok: true, result: { seen: "sample" } });
    await call("PATCH", `/api/scripts/${script.id}`, {
      tenant,
      body: { code: "export default async () => {\n  return missing.value;\n};" },
    });
    const failed = await call("POST", `/api/scripts/${script.id}/run`, { tenant, body: {} });
    expect(failed.json).toMatchObject({ ok: false, error: { name: "ReferenceError", line: 2, code: "SCRIPT_ERROR" } });
    expect(failed.json.error.stack).toMatch(/script\.js:2/);
    expect((await call("POST", `/api/scripts/${script.id}/run`, { tenant, body: { event: 5 } })).status).toBe(400);
    const history = await executions(tenant, script.id);
    expect(history.executions.map((e) => [e.trigger, e.status])).toEqual([
      ["manual", "failed"],
      ["manual", "succeeded"],
      ["manual", "succeeded"],
    ]);
    expect(history.stats).toMatchObject({ total: 3, byStatus: { succeeded: 2, failed: 1 } });
    expect(history.stats.successRate).toBeCloseTo(2 / 3);
  });

  it("truncates long logs to the stated size", async () => {
    const tenant = tenantName();
    const script = await createScript(tenant, {
      name: "chatty",
      code: "export default async (e, ctx) => { for (let i = 0; i < 1000; i++) ctx.log('line ' + i + ' ' + 'x'.repeat(100)); }",
      trigger: { type: "event" },
    });
    await call("POST", `/api/scripts/${script.id}/run`, { tenant });
    const history = await executions(tenant, script.id);
    const [run] = history.executions;
    expect(run.logsTruncated).toBe(true);
    expect(JSON.stringify(run.logs).length).toBeLessThanOrEqual(history.truncation.logBytes + 200 * 64);
    expect(run.logs[0].message).toMatch(/^line 0 /);
  });
});
