import { describe, expect, it } from "vitest";
import { call, createKey, uniqueName } from "../helpers/api";
import { forgetKey, keyCacheSize } from "../../worker/middleware/auth";

const newTenant = () => `g-${uniqueName("t").replace(/_/g, "-").toLowerCase()}`.slice(0, 40);

/** A tenant with two collections, `orders` (reachable) and `secrets` (not), and keys limited to `orders`. */
async function limitedTenant() {
  const tenant = newTenant();
  for (const [c, doc] of [
    ["orders", { _id: 1, item: "book", customer: 7 }],
    ["secrets", { _id: 7, card: "4111" }],
  ] as const) {
    expect((await call("POST", `/api/db/${c}`, { tenant, body: doc })).status).toBe(201);
  }
  const reader = await createKey("read", tenant, ["orders"]);
  const admin = await createKey("admin", tenant, ["orders"]);
  return { tenant, reader, admin };
}

const data = (body: object) => ({ dataSource: "x", database: "main", collection: "orders", ...body });

describe("one gate: a key's collection list holds on every path", () => {
  const stages: Array<[string, unknown[]]> = [
    ["$lookup", [{ $lookup: { from: "secrets", localField: "customer", foreignField: "_id", as: "s" } }]],
    [
      "$lookup.pipeline",
      [{ $lookup: { from: "orders", pipeline: [{ $lookup: { from: "secrets", pipeline: [], as: "x" } }], as: "s" } }],
    ],
    ["$unionWith (name)", [{ $unionWith: "secrets" }]],
    ["$unionWith (spec)", [{ $unionWith: { coll: "orders", pipeline: [{ $unionWith: { coll: "secrets" } }] } }]],
    ["$facet", [{ $facet: { a: [{ $lookup: { from: "secrets", pipeline: [], as: "x" } }] } }]],
    [
      "$facet in $lookup.pipeline",
      [{ $lookup: { from: "orders", pipeline: [{ $facet: { a: [{ $unionWith: "secrets" }] } }], as: "x" } }],
    ],
  ];
  it.each(stages)("refuses %s into another collection, on REST and on the Data API", async (_name, pipeline) => {
    const { tenant, reader } = await limitedTenant();
    const rest = await call("POST", "/api/db/orders/aggregate", { token: reader, body: pipeline });
    expect(rest.status).toBe(403);
    expect(rest.json.error.code).toBe("COLLECTION_FORBIDDEN");
    const api = await call("POST", "/action/aggregate", { token: reader, body: data({ pipeline }) });
    expect(api.status).toBe(403);
    expect(JSON.stringify(api.json)).not.toContain("4111");
    const own = await call("POST", "/api/db/orders/aggregate", {
      token: reader,
      body: [{ $lookup: { from: "orders", pipeline: [], as: "o" } }],
    });
    expect(own.status).toBe(200);
    expect(tenant).toBeTruthy();
  });

  it("lists only the key's own collections, on the Data API and in management", async () => {
    const { reader } = await limitedTenant();
    const api = await call("POST", "/action/listCollections", { token: reader, body: { database: "main" } });
    expect(api.status).toBe(200);
    expect(api.json.collections.map((c: { name: string }) => c.name)).toEqual(["orders"]);
    const mgmt = await call("GET", "/api/management/collections", { token: reader });
    expect(mgmt.json.collections.map((c: { name: string }) => c.name)).toEqual(["orders"]);
  });

  it("a limited admin key cannot grant or revoke more than it holds", async () => {
    const { tenant, admin } = await limitedTenant();
    const wide = await call("POST", "/api/keys", { token: admin, body: { name: "wide", role: "admin" } });
    expect(wide.status).toBe(201);
    expect(wide.json.collections).toEqual(["orders"]);
    const other = await call("POST", "/api/keys", {
      token: admin,
      body: { name: "other", role: "read", collections: ["secrets"] },
    });
    expect(other.status).toBe(403);
    expect(other.json.error.code).toBe("GRANT_EXCEEDS_OWN");
    const full = await call("POST", "/api/keys", { tenant, body: { name: "full", role: "admin" } });
    const revoke = await call("DELETE", `/api/keys/${full.json.id}`, { token: admin });
    expect(revoke.status).toBe(403);
    const listed = await call("GET", "/api/keys", { token: admin });
    expect(listed.json.keys.map((k: { id: string }) => k.id)).not.toContain(full.json.id);
    // A key it could have made itself is its to revoke.
    expect((await call("DELETE", `/api/keys/${wide.json.id}`, { token: admin })).status).toBe(200);
    const reader = await createKey("read", tenant);
    const escalate = await call("POST", "/api/keys", { token: reader, body: { name: "x", role: "admin" } });
    expect(escalate.status).toBe(403);
  });

  it("a limited admin key registers webhooks only on its collections, and cannot manage scripts", async () => {
    const { tenant, admin } = await limitedTenant();
    const url = "http://127.0.0.1:9/hook";
    for (const collection of ["secrets", "*"]) {
      const res = await call("POST", "/api/webhooks", { token: admin, body: { url, collection } });
      expect(res.status, collection).toBe(403);
    }
    const own = await call("POST", "/api/webhooks", { token: admin, body: { url, collection: "orders" } });
    expect(own.status).toBe(201);
    const moved = await call("PATCH", `/api/webhooks/${own.json.id}`, {
      token: admin,
      body: { collection: "secrets" },
    });
    expect(moved.status).toBe(403);
    const everything = await call("POST", "/api/webhooks", { tenant, body: { url, collection: "*" } });
    expect((await call("GET", `/api/webhooks/${everything.json.id}`, { token: admin })).status).toBe(403);
    expect((await call("DELETE", `/api/webhooks/${everything.json.id}`, { token: admin })).status).toBe(403);
    const listed = await call("GET", "/api/webhooks", { token: admin });
    expect(listed.json.webhooks.map((w: { id: string }) => w.id)).toEqual([own.json.id]);
    const script = await call("POST", "/api/scripts", {
      token: admin,
      body: {
        name: "s",
        code: "export default async (e, ctx) => ctx.api.find('secrets', {})",
        trigger: { type: "event", collection: "orders" },
      },
    });
    expect(script.status).toBe(403);
    expect((await call("GET", "/api/scripts", { token: admin })).status).toBe(403);
  });
});

describe("verified-key cache", () => {
  it("stays bounded under a flood of well-formed wrong tokens", async () => {
    forgetKey();
    for (let i = 0; i < 400; i++) {
      const token = `dfk_default_${String(i).padStart(40, "A")}`;
      expect((await call("GET", "/api/db/x", { token })).status).toBe(401);
    }
    expect(keyCacheSize()).toBeLessThanOrEqual(256);
  });
});
