import { auditOf } from "../../worker/stubs";
import { env } from "cloudflare:workers";
import { runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { call, createKey, uniqueName } from "../helpers/api";

const newTenant = () => `au-${uniqueName("t").replace(/_/g, "-").toLowerCase()}`.slice(0, 40);
const trail = async (tenant: string, query = "") => {
  const res = await call("GET", `/api/audit${query}`, { tenant });
  expect(res.status).toBe(200);
  return res.json as { entries: Array<Record<string, any>>; nextBefore: number | null };
};

describe("audit trail", () => {
  it("records control-plane changes with who, from where, what and the outcome, refusals included", async () => {
    const tenant = newTenant();
    const headers = { "cf-connecting-ip": "203.0.113.9", "user-agent": "audit-test" };
    const key = await call("POST", "/api/keys", { tenant, headers, body: { name: "k", role: "read" } });
    const limited = await createKey("admin", tenant, ["orders"]);
    const refused = await call("POST", "/api/keys", {
      token: limited,
      headers,
      body: { name: "wide", role: "admin", collections: ["other"] },
    });
    expect(refused.status).toBe(403);
    const created = (await call("POST", "/api/management/collections", { tenant, body: { name: "orders" } })).status;
    const indexed = (
      await call("POST", "/api/management/collections/orders/indexes", { tenant, body: { keys: { n: 1 } } })
    ).status;
    expect([created, indexed].every((s) => s === 200 || s === 201)).toBe(true);
    const hook = await call("POST", "/api/webhooks", {
      tenant,
      body: { url: "http://127.0.0.1:9/h", collection: "orders" },
    });
    expect((await call("DELETE", `/api/webhooks/${hook.json.id}`, { tenant })).status).toBe(200);
    await call("DELETE", `/api/keys/${key.json.id}`, { tenant });
    const { entries } = await trail(tenant);
    const actions = entries.map((e) => `${e.action} ${e.status}`);
    expect(actions).toEqual(
      expect.arrayContaining([
        "POST /api/keys 201",
        "POST /api/keys 403",
        `POST /api/management/collections ${created}`,
        `POST /api/management/collections/:name/indexes ${indexed}`,
        "POST /api/webhooks 201",
        "DELETE /api/webhooks/:id 200",
        "DELETE /api/keys/:id 200",
      ]),
    );
    const first = entries.find((e) => e.action === "POST /api/keys" && e.status === 201)!;
    expect(first).toMatchObject({ actor: "admin-token", client: "203.0.113.9", userAgent: "audit-test" });
    expect(Date.parse(first.at)).toBeGreaterThan(Date.now() - 60_000);
    const denied = entries.find((e) => e.status === 403)!;
    expect(denied).toMatchObject({ code: "GRANT_EXCEEDS_OWN" });
    expect(denied.actor).toMatch(/^key:key_/);
    expect(entries.find((e) => e.action === "DELETE /api/webhooks/:id")!.target).toBe(hook.json.id);
  });

  it("records sign-ins, failures, refresh-token reuse and lockouts", async () => {
    const tenant = newTenant();
    const user = await call("POST", "/api/users", {
      tenant,
      body: { email: "ada@example.com", password: "correct horse battery", role: "read" },
    });
    const login = (password: string) =>
      call("POST", "/api/auth/login", { token: null, body: { tenant, email: "ada@example.com", password } });
    const ok = await login("correct horse battery");
    await login("wrong");
    const refresh = (t: string) => call("POST", "/api/auth/refresh", { token: null, body: { refreshToken: t } });
    await refresh(ok.json.refreshToken);
    await refresh(ok.json.refreshToken);
    await runInDurableObject(env.IDENTITY.get(env.IDENTITY.idFromName(tenant)), (_i, state) => {
      state.storage.sql.exec("UPDATE throttle SET failures = 9, last_failure_at = ?", Date.now() - 3_600_000 + 5_000);
    });
    await login("wrong again");
    const { entries } = await trail(tenant, "?action=auth.");
    const seen = entries.map((e) => [e.action, e.status, e.code]);
    expect(seen).toEqual(
      expect.arrayContaining([
        ["auth.login", 200, null],
        ["auth.login", 401, "INVALID_LOGIN"],
        ["auth.refresh", 200, null],
        ["auth.refresh", 401, "REFRESH_REUSED"],
        ["auth.lockout", 429, "LOGIN_THROTTLED"],
      ]),
    );
    expect(entries.find((e) => e.action === "auth.login" && e.status === 200)!.actor).toBe(`user:${user.json.id}`);
    expect(entries.find((e) => e.action === "auth.login" && e.status === 401)!.target).toBe("ada@example.com");
  });

  it("filters by actor, action and time, pages with a cursor, and forgets entries past retention", async () => {
    const tenant = newTenant();
    for (let i = 0; i < 5; i++) await call("POST", "/api/keys", { tenant, body: { name: `k${i}`, role: "read" } });
    const page1 = await trail(tenant, "?limit=2&action=POST%20/api/keys");
    expect(page1.entries).toHaveLength(2);
    const page2 = await trail(tenant, `?limit=2&action=POST%20/api/keys&before=${page1.nextBefore}`);
    const page3 = await trail(tenant, `?limit=2&action=POST%20/api/keys&before=${page2.nextBefore}`);
    const seqs = [...page1.entries, ...page2.entries, ...page3.entries].map((e) => e.seq);
    expect(seqs).toHaveLength(5);
    expect(new Set(seqs).size).toBe(5);
    expect(page3.nextBefore).toBeNull();
    expect((await trail(tenant, "?actor=admin-token")).entries).toHaveLength(5);
    expect((await trail(tenant, "?actor=key:nobody")).entries).toHaveLength(0);
    expect(
      (await trail(tenant, `?since=${encodeURIComponent(new Date(Date.now() + 60_000).toISOString())}`)).entries,
    ).toHaveLength(0);
    await runInDurableObject(auditOf(env, tenant), (_i, state) => {
      state.storage.sql.exec("UPDATE entries SET at = ?", Date.now() - 91 * 86_400_000);
    });
    await call("POST", "/api/keys", { tenant, body: { name: "after", role: "read" } });
    expect((await trail(tenant)).entries).toHaveLength(1);
    const reader = await createKey("read", tenant);
    expect((await call("GET", "/api/audit", { token: reader })).status).toBe(403);
  });
});
