import { describe, expect, it } from "vitest";
import { call, createKey, uniqueName } from "../helpers/api";

const ROUTES: Array<[string, (c: string) => string, unknown?]> = [
  ["GET", (c) => `/api/db/${c}`],
  ["POST", (c) => `/api/db/${c}`, { a: 1 }],
  ["PATCH", (c) => `/api/db/${c}`, { filter: { a: 1 }, update: { $set: { b: 1 } } }],
  ["DELETE", (c) => `/api/db/${c}?a=1`],
  ["POST", (c) => `/api/db/${c}/query`, { filter: {} }],
  ["POST", (c) => `/api/db/${c}/aggregate`, []],
  ["GET", (c) => `/api/db/${c}/count`],
  ["GET", (c) => `/api/db/${c}/x1`],
  ["PUT", (c) => `/api/db/${c}/x1`, { a: 1 }],
  ["PATCH", (c) => `/api/db/${c}/x1`, { a: 1 }],
  ["DELETE", (c) => `/api/db/${c}/x1`],
  ["GET", () => `/api/management/collections`],
  ["POST", () => `/api/management/collections`, { name: "mgmt_probe" }],
  ["GET", (c) => `/api/management/collections/${c}`],
  ["DELETE", (c) => `/api/management/collections/${c}`],
  ["GET", (c) => `/api/management/collections/${c}/indexes`],
  ["POST", (c) => `/api/management/collections/${c}/indexes`, { keys: { a: 1 } }],
  ["GET", (c) => `/api/management/collections/${c}/schema`],
  ["GET", () => `/api/keys`],
  ["POST", () => `/api/keys`, { name: "k", role: "read" }],
];

const WRITES = new Set(["POST", "PUT", "PATCH", "DELETE"]);
const isRead = (method: string, path: string) =>
  !WRITES.has(method) || path.endsWith("/query") || path.endsWith("/aggregate");

describe("authentication", () => {
  it.each(ROUTES)("%s %s needs credentials (401), and rejects a wrong token (401)", async (method, path, body) => {
    const c = uniqueName();
    const none = await call(method, path(c), { token: null, body });
    expect(none.status).toBe(401);
    expect(none.json.error.code).toBe("UNAUTHENTICATED");
    const wrong = await call(method, path(c), { token: "dfk_default_" + "A".repeat(40), body });
    expect(wrong.status).toBe(401);
    expect((await call(method, path(c), { token: "nonsense", body })).status).toBe(401);
  });

  it("a read key can read but gets 403 on every write and on management", async () => {
    const tenant = `t-${uniqueName("r").replace(/_/g, "-").toLowerCase()}`.slice(0, 40);
    const reader = await createKey("read", tenant);
    for (const [method, path, body] of ROUTES) {
      const res = await call(method, path(uniqueName()), { token: reader, body });
      const mgmtWrite = path("x").startsWith("/api/management") && method !== "GET";
      const keys = path("x").startsWith("/api/keys");
      if (isRead(method, path("x")) && !keys && !mgmtWrite)
        expect([200, 404], `${method} ${path("x")}`).toContain(res.status);
      else expect(res.status, `${method} ${path("x")}`).toBe(403);
    }
  });

  it("a write key writes documents but cannot manage collections or keys", async () => {
    const tenant = "writers";
    const writer = await createKey("write", tenant);
    const c = uniqueName();
    expect((await call("POST", `/api/db/${c}`, { token: writer, body: { a: 1 } })).status).toBe(201);
    expect(
      (await call("POST", `/api/management/collections/${c}/indexes`, { token: writer, body: { keys: { a: 1 } } }))
        .status,
    ).toBe(403);
    expect((await call("POST", "/api/keys", { token: writer, body: { name: "x", role: "admin" } })).status).toBe(403);
  });

  it("a key limited to collections gets 403 elsewhere", async () => {
    const key = await createKey("write", "scoped", ["allowed"]);
    expect((await call("POST", "/api/db/allowed", { token: key, body: { a: 1 } })).status).toBe(201);
    const denied = await call("GET", "/api/db/other", { token: key });
    expect(denied.status).toBe(403);
    expect(denied.json.error.code).toBe("COLLECTION_FORBIDDEN");
    const list = await call("GET", "/api/management/collections", { token: key });
    expect(list.json.collections.map((x: { name: string }) => x.name)).toEqual(["allowed"]);
  });

  it("keys are shown once, stored as hashes, listed without tokens, and stop working when revoked", async () => {
    const created = await call("POST", "/api/keys", { body: { name: "ci", role: "read", tenant: "revokers" } });
    expect(created.status).toBe(201);
    expect(created.json.token).toMatch(/^dfk_revokers_[A-Za-z0-9]{40}$/);
    const listed = await call("GET", "/api/keys?tenant=revokers");
    expect(JSON.stringify(listed.json)).not.toContain(created.json.token);
    expect(listed.json.keys[0]).toMatchObject({ id: created.json.id, role: "read", revokedAt: null });
    expect((await call("GET", "/api/db/x", { token: created.json.token })).status).toBe(200);
    expect((await call("DELETE", `/api/keys/${created.json.id}?tenant=revokers`)).status).toBe(200);
    expect((await call("GET", "/api/db/x", { token: created.json.token })).status).toBe(401);
    const bad = await call("POST", "/api/keys", { body: { name: "x", role: "root" } });
    expect(bad.status).toBe(400);
    expect(bad.json.error).toMatchObject({ code: "ROLE_NOT_FOUND", details: { role: "root" } });
  });
});

describe("tenant isolation", () => {
  it("one tenant never sees another's documents, collections or keys", async () => {
    const alice = await createKey("admin", "alice");
    const bob = await createKey("admin", "bob");
    const c = "shared_name";
    const ins = await call("POST", `/api/db/${c}`, { token: alice, body: { _id: "secret", v: 1 } });
    expect(ins.status).toBe(201);
    expect((await call("GET", `/api/db/${c}/secret`, { token: bob })).status).toBe(404);
    expect((await call("GET", `/api/db/${c}`, { token: bob })).json.documents).toEqual([]);
    expect((await call("PUT", `/api/db/${c}/secret`, { token: bob, body: { v: 2 } })).status).toBe(404);
    expect((await call("PATCH", `/api/db/${c}/secret`, { token: bob, body: { v: 2 } })).status).toBe(404);
    expect((await call("DELETE", `/api/db/${c}/secret`, { token: bob })).status).toBe(404);
    expect((await call("GET", `/api/management/collections/${c}`, { token: bob })).status).toBe(404);
    expect((await call("GET", "/api/management/collections", { token: bob })).json.collections).toEqual([]);
    expect((await call("GET", "/api/keys?tenant=alice", { token: bob })).status).toBe(403);
    const dataApi = await call("POST", "/action/findOne", {
      token: bob,
      body: { database: "main", collection: c, filter: { _id: "secret" } },
    });
    expect(dataApi.json).toEqual({ document: null });
    expect((await call("GET", `/api/db/${c}/secret`, { token: alice })).json).toEqual({ _id: "secret", v: 1 });
  });

  it("the admin token picks a tenant with X-Docflare-Tenant", async () => {
    await call("POST", "/api/db/notes", { tenant: "carol", body: { _id: 1 } });
    expect((await call("GET", "/api/db/notes/1", { tenant: "carol" })).status).toBe(200);
    expect((await call("GET", "/api/db/notes/1", { tenant: "dave" })).status).toBe(404);
    expect((await call("GET", "/api/db/notes", { tenant: "Not_Valid" })).status).toBe(400);
  });
});
