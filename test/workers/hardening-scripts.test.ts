import { describe, expect, it } from "vitest";
import { call, uniqueName } from "../helpers/api";
import { createScript, waitForRuns } from "../helpers/scripts";

const newTenant = () => `hs-${uniqueName("t").replace(/_/g, "-").toLowerCase()}`.slice(0, 40);
const RECURSION = "const f = (n) => f(n + 1) + 1; export default async () => f(0);";

describe("scripts that fail, fail cleanly", () => {
  it("runaway recursion is SCRIPT_STACK on a test run, not a 500", async () => {
    const tenant = newTenant();
    const script = await createScript(tenant, {
      name: "rec",
      code: RECURSION,
      trigger: { type: "event", collection: "c" },
    });
    const res = await call("POST", `/api/scripts/${script.id}/run`, { tenant });
    expect(res.status).toBe(200);
    expect(res.json.ok).toBe(false);
    expect(res.json.error.code).toBe("SCRIPT_STACK");
  });

  it("a run that kills its runner counts as an attempt and ends failed after maxAttempts", async () => {
    const tenant = newTenant();
    const coll = uniqueName("c");
    const script = await createScript(tenant, {
      name: "rec",
      code: RECURSION,
      maxAttempts: 1,
      trigger: { type: "event", collection: coll },
    });
    expect((await call("POST", `/api/db/${coll}`, { tenant, body: { x: 1 } })).status).toBe(201);
    const [run] = await waitForRuns(tenant, script.id, "failed", 1);
    expect(run.attempts ?? run.attempt).toBe(1);
    expect(run.error.code).toBe("SCRIPT_STACK");
  });

  it("a memory bomb of small objects is SCRIPT_MEMORY at 8 and 32 MB", async () => {
    const tenant = newTenant();
    for (const memoryLimitMb of [8, 32]) {
      const script = await createScript(tenant, {
        name: `bomb${memoryLimitMb}`,
        memoryLimitMb,
        timeoutMs: 5000,
        trigger: { type: "event", collection: "c" },
        code: "export default async () => { const a = []; for (let i = 0; i < 1e7; i++) a.push({ i, s: 'abcdefgh' + i, n: [i, i, i] }); return a.length; }",
      });
      const res = await call("POST", `/api/scripts/${script.id}/run`, { tenant });
      expect(res.json.error.code, `${memoryLimitMb} MB`).toBe("SCRIPT_MEMORY");
    }
  });

  it("memoryLimitMb holds for strings: a script cannot build 50 MB under a 1 MB limit", async () => {
    const tenant = newTenant();
    const script = await createScript(tenant, {
      name: "strings",
      memoryLimitMb: 1,
      trigger: { type: "event", collection: "c" },
      code: "export default async () => { const a = []; for (let i = 0; i < 50; i++) a.push('x'.repeat(1 << 20) + i); return a.length; }",
    });
    const res = await call("POST", `/api/scripts/${script.id}/run`, { tenant });
    expect(res.json.error.code).toBe("SCRIPT_MEMORY");
  });

  it("refuses an 8 MiB script before parsing it", async () => {
    const tenant = newTenant();
    const code = `export default async () => "${"x".repeat(8 * 1024 * 1024)}";`;
    const res = await call("POST", "/api/scripts", {
      tenant,
      body: { name: "big", code, trigger: { type: "event", collection: "c" } },
    });
    expect(res.status).toBe(413);
  });
});

describe("ctx.fetch failures say what failed", () => {
  it("a refused connection names the host and the failure, in the run and its history", async () => {
    const tenant = newTenant();
    const script = await createScript(tenant, {
      name: "fetcher",
      allowedHosts: ["127.0.0.1"],
      trigger: { type: "event", collection: "c" },
      code: "export default async (e, ctx) => { await ctx.fetch('http://127.0.0.1:1/x'); }",
    });
    const res = await call("POST", `/api/scripts/${script.id}/run`, { tenant });
    expect(res.json.ok).toBe(false);
    expect(res.json.error.message).toMatch(/SCRIPT_FETCH_(FAILED|TIMEOUT): .*127\.0\.0\.1:1/);
    expect(res.json.error.message).not.toMatch(/internal error; reference/);
    const history = await call("GET", `/api/scripts/${script.id}/executions`, { tenant });
    expect(history.json.executions[0].error.message).toBe(res.json.error.message);
  });

  it("classifies timeouts, DNS and TLS failures", async () => {
    const { fetchFailure } = await import("../../worker/scripts/host");
    const url = new URL("https://api.example.com/x");
    expect(fetchFailure(url, new DOMException("signal timed out", "TimeoutError")).code).toBe("SCRIPT_FETCH_TIMEOUT");
    expect(fetchFailure(url, new Error("DNS lookup failed")).code).toBe("SCRIPT_FETCH_DNS");
    expect(fetchFailure(url, new Error("TLS peer's certificate is not trusted")).code).toBe("SCRIPT_FETCH_TLS");
    expect(fetchFailure(url, new Error("internal error; reference = abc")).message).toBe(
      "could not reach api.example.com: the connection was refused, reset or could not be made",
    );
  });
});

describe("nothing vanishes from the script-run queue", () => {
  it("a run that reaches the dead-letter queue is recorded as failed", async () => {
    const { createExecutionContext, createMessageBatch, getQueueResult } = await import("cloudflare:test");
    const { env } = await import("cloudflare:workers");
    const { consumeDeadLetters } = await import("../../worker/queues/deliveries");
    const tenant = newTenant();
    const script = await createScript(tenant, {
      name: "lost",
      code: "export default async () => 1",
      trigger: { type: "event", collection: "c" },
    });
    const body = {
      kind: "script-run",
      tenant,
      scriptId: script.id,
      runKey: `${script.id}:evt_lost`,
      trigger: "event",
      event: "{}",
      chainDepth: 0,
      attempt: 9,
    };
    const batch = createMessageBatch("docflare-dead-letters", [{ id: "m1", timestamp: new Date(), attempts: 1, body }]);
    const ctx = createExecutionContext();
    await consumeDeadLetters(batch, env);
    const result = await getQueueResult(batch, ctx);
    expect(result.explicitAcks).toEqual(["m1"]);
    const [run] = await waitForRuns(tenant, script.id, "failed", 1);
    expect(run.error.code).toBe("SCRIPT_RUN_LOST");
    expect(run.eventId).toBe("evt_lost");
  });
});

describe("script memory is shared fairly within an isolate", () => {
  it("concurrent runs together never promise more than 64 MB, and all of them finish", async () => {
    const { env } = await import("cloudflare:workers");
    const { execute, reservedScriptMemory } = await import("../../worker/scripts/execute");
    const { SCRIPT_ISOLATE_MEMORY_MB } = await import("../../worker/lib/script-config");
    const tenant = newTenant();
    const script = await createScript(tenant, {
      name: "hold",
      memoryLimitMb: 48,
      code: "export default async () => { await new Promise((r) => setTimeout(r, 50)); return 1; }",
      trigger: { type: "event", collection: "c" },
    });
    const record = {
      ...(script as any),
      code: "export default async () => 1",
      versionId: script.versionId,
      memoryLimitMb: 48,
      timeoutMs: 5000,
      allowedHosts: [],
    };
    let peak = 0;
    let done = false;
    const all = Promise.all(Array.from({ length: 4 }, () => execute(env, tenant, record, "{}", 0))).finally(
      () => (done = true),
    );
    while (!done) {
      peak = Math.max(peak, reservedScriptMemory());
      await new Promise((r) => setTimeout(r, 0));
    }
    const outcomes = await all;
    expect(outcomes.every((o) => o.ok)).toBe(true);
    expect(peak).toBeGreaterThan(0);
    expect(peak).toBeLessThanOrEqual(SCRIPT_ISOLATE_MEMORY_MB * 1024 * 1024);
    expect(reservedScriptMemory()).toBe(0);
  });
});
