import { beforeEach, describe, expect, it } from "vitest";
import { call, createKey, uniqueName } from "../helpers/api";

const newTenant = () => `qu-${uniqueName("t").replace(/_/g, "-").toLowerCase()}`.slice(0, 40);
const setQuotas = async (tenant: string, quotas: unknown) => {
  const res = await call("PUT", "/api/quotas", { tenant, body: quotas });
  expect(res.status).toBe(200);
};

/**
 * Windows are fixed and aligned to the clock, so a burst that straddles a minute boundary is counted in two windows.
 * A test that counts a burst starts it well inside one window.
 */
async function awayFromMinuteEdge(marginMs = 10_000) {
  const left = 60_000 - (Date.now() % 60_000);
  if (left < marginMs) await new Promise((r) => setTimeout(r, left + 50));
}

describe("request quotas", () => {
  beforeEach(() => awayFromMinuteEdge());

  it("counts exactly per key: of 20 concurrent requests under a figure of 8, 8 pass; 429 carries Retry-After and RateLimit headers", async () => {
    const tenant = newTenant();
    const key = await createKey("read", tenant);
    await setQuotas(tenant, { perKey: { requests: 8, windowSeconds: 60 } });
    const results = await Promise.all(Array.from({ length: 20 }, () => call("GET", "/api/db/things", { token: key })));
    expect(results.filter((r) => r.status === 200)).toHaveLength(8);
    const refused = results.find((r) => r.status === 429)!;
    expect(refused.json.error.code).toBe("QUOTA_EXCEEDED");
    expect(Number(refused.headers.get("retry-after"))).toBeGreaterThan(0);
    expect(refused.headers.get("ratelimit-policy")).toBe('"key";q=8;w=60');
    expect(refused.headers.get("ratelimit")).toMatch(/^"key";r=0;t=\d+$/);
    const passed = results.filter((r) => r.status === 200).map((r) => r.headers.get("ratelimit"));
    expect(passed.map((h) => Number(/r=(\d+)/.exec(h!)![1])).sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    // Another key of the same tenant has its own window.
    expect((await call("GET", "/api/db/things", { token: await createKey("read", tenant) })).status).toBe(200);
  });

  it("keeps a separate figure for writes, a figure per role, and one per client address", async () => {
    const tenant = newTenant();
    const writer = await createKey("write", tenant);
    await setQuotas(tenant, { perKey: { requests: 100, writes: 2, windowSeconds: 60 } });
    const writes = [];
    for (let i = 0; i < 3; i++)
      writes.push((await call("POST", "/api/db/things", { token: writer, body: { i } })).status);
    expect(writes).toEqual([201, 201, 429]);
    expect((await call("GET", "/api/db/things", { token: writer })).status).toBe(200);
    expect((await call("POST", "/api/db/things/query", { token: writer, body: {} })).status).toBe(200);
    await setQuotas(tenant, {
      perKey: { requests: 100, windowSeconds: 60 },
      roles: { read: { requests: 1, windowSeconds: 60 } },
      perClient: { requests: 3, windowSeconds: 60 },
    });
    const reader = await createKey("read", tenant);
    expect(
      (await call("GET", "/api/db/things", { token: reader, headers: { "cf-connecting-ip": "198.51.100.7" } })).status,
    ).toBe(200);
    expect(
      (await call("GET", "/api/db/things", { token: reader, headers: { "cf-connecting-ip": "198.51.100.8" } })).status,
    ).toBe(429);
    const fromOne = [];
    for (let i = 0; i < 4; i++)
      fromOne.push(
        (
          await call("GET", "/api/db/things", {
            token: await createKey("write", tenant),
            headers: { "cf-connecting-ip": "198.51.100.9" },
          })
        ).status,
      );
    expect(fromOne).toEqual([200, 200, 200, 429]);
  });

  it("applies to users' access tokens and to the Data API, costs nothing once removed, and spares the admin token", async () => {
    const tenant = newTenant();
    await call("POST", "/api/users", {
      tenant,
      body: { email: "q@example.com", password: "correct horse battery", role: "read" },
    });
    const token = (
      await call("POST", "/api/auth/login", {
        token: null,
        body: { tenant, email: "q@example.com", password: "correct horse battery" },
      })
    ).json.accessToken;
    await setQuotas(tenant, {
      perUser: { requests: 2, windowSeconds: 60 },
      perKey: { requests: 1, windowSeconds: 60 },
    });
    const statuses = [];
    for (let i = 0; i < 3; i++) statuses.push((await call("GET", "/api/db/things", { token })).status);
    expect(statuses).toEqual([200, 200, 429]);
    const key = await createKey("read", tenant);
    const body = { database: "main", collection: "things", filter: {} };
    expect((await call("POST", "/action/find", { token: key, body })).status).toBe(200);
    expect((await call("POST", "/action/find", { token: key, body })).status).toBe(429);
    for (let i = 0; i < 5; i++) expect((await call("GET", "/api/db/things", { tenant })).status).toBe(200);
    expect((await call("DELETE", "/api/quotas", { tenant })).status).toBe(200);
    const after = await call("GET", "/api/db/things", { token: key });
    expect(after.status).toBe(200);
    expect(after.headers.get("ratelimit")).toBeNull();
  });

  it("refuses an invalid quota and a non-admin", async () => {
    const tenant = newTenant();
    expect(
      (await call("PUT", "/api/quotas", { tenant, body: { perKey: { requests: 0, windowSeconds: 60 } } })).status,
    ).toBe(400);
    expect((await call("PUT", "/api/quotas", { token: await createKey("write", tenant), body: {} })).status).toBe(403);
  });
});
