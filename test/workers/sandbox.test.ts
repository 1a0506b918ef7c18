import { env, exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { call, uniqueName } from "../helpers/api";
import { receiverUrl, received } from "../helpers/webhooks";
import { scriptHost } from "../../worker/scripts/host";
import { scriptRunner } from "../../worker/scripts";
import type { ScriptRunner } from "../../worker/scripts/runner";

const limits = { timeoutMs: 1500, memoryBytes: 16 << 20, stackBytes: 256 << 10 };
const tenantName = () => uniqueName("sb").replaceAll("_", "-");

function runWith(
  runner: ScriptRunner,
  code: string,
  opts: { tenant?: string; allowedHosts?: string[]; event?: unknown; timeoutMs?: number } = {},
) {
  const tenant = opts.tenant ?? tenantName();
  return runner.run({
    versionId: uniqueName("v"),
    code,
    eventJson: JSON.stringify(opts.event ?? { hello: "world" }),
    limits: { ...limits, timeoutMs: opts.timeoutMs ?? limits.timeoutMs },
    host: scriptHost(env, { tenant, chainDepth: 0, allowedHosts: opts.allowedHosts ?? [] }),
  });
}

/** One behavioural suite, run against both sandboxes. */
describe.each(["quickjs", "dynamic-worker"] as const)("sandbox: %s", (kind) => {
  const runner = scriptRunner(env, kind);

  it("runs the default export with the event and ctx, returns its result and captures ctx.log", async () => {
    const out = await runWith(
      runner,
      `export default async (event, ctx) => { ctx.log("got", event.hello); ctx.log.warn({ n: 1 }); return { echo: event.hello, n: 2 }; }`,
    );
    expect(out.ok).toBe(true);
    expect(out.result).toEqual({ echo: "world", n: 2 });
    expect(out.logs.map((l) => [l.level, l.message])).toEqual([
      ["info", "got world"],
      ["warn", '{"n":1}'],
    ]);
    expect(out.durationMs).toBeGreaterThan(0);
  });

  it("reaches the tenant's data through ctx.api, under the HTTP API's query policy", async () => {
    const tenant = tenantName();
    const coll = uniqueName("items");
    const out = await runWith(
      runner,
      `export default async (e, ctx) => {
      await ctx.api.insert("${coll}", { _id: "a", n: 1 });
      await ctx.api.insertMany("${coll}", [{ _id: "b", n: 2 }, { _id: "c", n: 3 }]);
      const upd = await ctx.api.update("${coll}", { _id: "a" }, { $inc: { n: 10 } });
      const found = await ctx.api.find("${coll}", { n: { $gte: 2 } }, { sort: { n: 1 } });
      const agg = await ctx.api.aggregate("${coll}", [{ $group: { _id: null, total: { $sum: "$n" } } }]);
      const del = await ctx.api.delete("${coll}", { _id: "c" });
      let refused = null;
      try { await ctx.api.find("${coll}", { $where: "1" }); } catch (err) { refused = err.message; }
      return { upd, ids: found.map((d) => d._id), total: agg[0].total, del, count: await ctx.api.count("${coll}", {}), refused };
    }`,
      { tenant, timeoutMs: 15_000 },
    );
    expect(out.error).toBeUndefined();
    expect(out.result).toMatchObject({
      upd: { matchedCount: 1, modifiedCount: 1 },
      ids: ["b", "c", "a"],
      total: 16,
      del: { deletedCount: 1 },
      count: 2,
    });
    expect((out.result as { refused: string }).refused).toMatch(/\$where/);
    const viaHttp = await call("GET", `/api/db/${coll}/a`, { tenant });
    expect(viaHttp.json).toMatchObject({ _id: "a", n: 11 });
  });

  it("cannot see another tenant's data", async () => {
    const coll = uniqueName("secret");
    const other = tenantName();
    expect((await call("POST", `/api/db/${coll}`, { tenant: other, body: { _id: "s", secret: true } })).status).toBe(
      201,
    );
    const out = await runWith(runner, `export default async (e, ctx) => ctx.api.find("${coll}", {})`);
    expect(out.ok).toBe(true);
    expect(out.result).toEqual([]);
  });

  it("has no network, no host objects and no secrets", async () => {
    const out = await runWith(
      runner,
      `export default async () => {
      const probe = async (f) => { try { const v = await f(); return v === undefined ? "undefined" : typeof v === "object" && v !== null ? "object" : String(v); } catch (e) { return "threw: " + e.message; } };
      return {
        fetch: await probe(() => fetch("https://example.com/")),
        global: await probe(() => { const g = ({}).constructor.constructor("return this")(); return [g.env, g.process, g.__call, g.__fetch, g.ADMIN_TOKEN, g.caches, g.crypto?.subtle].filter((x) => x !== undefined).length; }),
        fs: await probe(() => import("node:fs")),
        env: await probe(() => typeof env + typeof process + typeof ADMIN_TOKEN + typeof __call),
      };
    }`,
    );
    expect(out.ok).toBe(true);
    const r = out.result as Record<string, string>;
    expect(r.fetch).toMatch(/^threw/);
    // QuickJS hands back its own bare global; V8 in a Dynamic Worker refuses code generation from strings outright.
    expect(r.global).toMatch(/^(0|threw: Code generation from strings disallowed)/);
    expect(r.fs).toMatch(/^threw/);
    expect(r.env).toBe("undefinedundefinedundefinedundefined");
  });

  it("fetches an allowed host through the egress path and refuses others", async () => {
    const path = `/${uniqueName("egress")}`;
    const url = `${receiverUrl()}${path}`;
    const out = await runWith(
      runner,
      `export default async (e, ctx) => {
      const ok = await ctx.fetch("${url}", { method: "POST", body: "hi" });
      const outcome = async (u) => { try { await ctx.fetch(u); return "sent"; } catch (err) { return err.message; } };
      return { status: ok.status, other: await outcome("https://example.com/"), metadata: await outcome("https://169.254.169.254/latest") };
    }`,
      { allowedHosts: ["127.0.0.1", "169.254.169.254"] },
    );
    expect(out.error).toBeUndefined();
    const r = out.result as Record<string, unknown>;
    expect(r.status).toBe(200);
    expect(r.other).toMatch(/SCRIPT_HOST_NOT_ALLOWED/);
    expect(r.metadata).toMatch(/SCRIPT_URL_REFUSED/);
    expect((await received(path)).map((x) => x.body)).toEqual(["hi"]);
    const closed = await runWith(
      runner,
      `export default async (e, ctx) => { try { await ctx.fetch("${url}"); return "sent"; } catch (err) { return err.message; } }`,
    );
    expect(closed.result).toMatch(/SCRIPT_NETWORK_OFF/);
  });

  it("reports a thrown error with its line in the script", async () => {
    const out = await runWith(runner, `export default async () => {\n  const x = null;\n  return x.field;\n};`);
    expect(out.ok).toBe(false);
    expect(out.error).toMatchObject({ name: "TypeError", line: 3, code: "SCRIPT_ERROR" });
  });

  it("checks code: a syntax error names its line, a module without a default function is refused", async () => {
    const bad = await runner.check("export default async () => {\n  let x = ;\n};");
    expect(bad).toMatchObject({ ok: false, error: { name: "SyntaxError", line: 2, code: "SCRIPT_INVALID" } });
    expect((await runner.check("export const notDefault = 1;")).error?.message).toMatch(/export default/);
    expect((await runner.check("export default async (event, ctx) => null;")).ok).toBe(true);
  });
});

/** CPU and memory limits: enforced by QuickJS everywhere; local workerd does not enforce a Dynamic Worker's limits. */
describe("sandbox limits (quickjs)", () => {
  const runner = scriptRunner(env, "quickjs");

  it("stops an infinite loop at the deadline while the API keeps answering", async () => {
    const looping = runWith(runner, "export default async () => { while (true) {} }", { timeoutMs: 800 });
    const health = await exports.default.fetch(new Request("http://docflare.test/health"));
    const out = await looping;
    expect(health.status).toBe(200);
    expect(out.ok).toBe(false);
    expect(out.error).toMatchObject({ code: "SCRIPT_TIMEOUT" });
    expect(out.error!.message).toMatch(/800 ms/);
    const after = await runWith(runner, "export default async () => 42");
    expect(after.result).toBe(42);
  });

  it("stops a memory bomb with a clear error, and the next run is unaffected", async () => {
    const out = await runWith(
      runner,
      "export default async () => { const a = []; while (true) a.push({ i: a.length, s: 'x'.repeat(64) }); }",
      { timeoutMs: 10_000 },
    );
    expect(out.ok).toBe(false);
    expect(out.error).toMatchObject({ code: "SCRIPT_MEMORY" });
    expect(out.error!.message).toMatch(/memory/);
    expect((await runWith(runner, "export default async () => 'fine'")).result).toBe("fine");
  });

  it("stops runaway recursion at the stack limit", async () => {
    const out = await runWith(runner, "export default async () => { const f = (n) => f(n + 1) + 1; return f(0); }");
    expect(out.error).toMatchObject({ code: "SCRIPT_STACK" });
    expect(out.error!.stack!.split("\n").length).toBeLessThanOrEqual(11);
  });

  it("bounds an async script that never settles by the same deadline", async () => {
    const out = await runWith(runner, "export default async () => new Promise(() => {})", { timeoutMs: 300 });
    expect(out.error).toMatchObject({ code: "SCRIPT_TIMEOUT" });
  });
});
