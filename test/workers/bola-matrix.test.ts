import { describe, expect, it } from "vitest";
import { call, createKey, uniqueName } from "../helpers/api";

/**
 * Broken object-level authorization, as a matrix: every route family against every built-in role (API keys and a
 * signed-in user), a key limited to one collection, and a second tenant. What is allowed is allowed, nothing else.
 */
const newTenant = () => `bm-${uniqueName("t").replace(/_/g, "-").toLowerCase()}`.slice(0, 40);
type Level = "read" | "write" | "admin";
type Row = [family: string, method: string, path: string, needs: Level, body?: unknown];

const ROWS: Row[] = [
  ["documents", "GET", "/api/db/orders", "read"],
  ["documents", "GET", "/api/db/orders/o1", "read"],
  ["documents", "GET", "/api/db/orders/count", "read"],
  ["documents", "POST", "/api/db/orders/query", "read", { filter: {} }],
  ["documents", "POST", "/api/db/orders/aggregate", "read", [{ $match: {} }]],
  ["documents", "POST", "/api/db/orders", "write", { n: 1 }],
  ["documents", "PATCH", "/api/db/orders/o1", "write", { $set: { seen: true } }],
  ["documents", "PUT", "/api/db/orders/o2", "write", { n: 2 }],
  ["documents", "DELETE", "/api/db/orders/o2", "write"],
  ["data api", "POST", "/action/find", "read", { database: "main", collection: "orders", filter: {} }],
  ["data api", "POST", "/action/listCollections", "read", { database: "main" }],
  ["data api", "POST", "/action/insertOne", "write", { database: "main", collection: "orders", document: { n: 3 } }],
  ["data api", "POST", "/action/createIndex", "admin", { database: "main", collection: "orders", keys: { n: 1 } }],
  ["management", "GET", "/api/management/collections", "read"],
  ["management", "GET", "/api/management/collections/orders/indexes", "read"],
  ["management", "GET", "/api/management/collections/orders/schema", "read"],
  ["management", "POST", "/api/management/collections/orders/indexes", "admin", { keys: { k: 1 } }],
  ["locks", "GET", "/api/locks/l1", "read"],
  ["locks", "POST", "/api/locks/l1/acquire", "write", { holder: "h", ttlMs: 5000 }],
  ["cluster", "GET", "/api/cluster/status", "read"],
  ["keys", "GET", "/api/keys", "admin"],
  ["users", "GET", "/api/users", "admin"],
  ["audit", "GET", "/api/audit", "admin"],
  ["quotas", "GET", "/api/quotas", "admin"],
  ["webhooks", "GET", "/api/webhooks", "admin"],
  ["scripts", "GET", "/api/scripts", "admin"],
];
const RANK: Record<Level, number> = { read: 1, write: 2, admin: 3 };

async function credentials(tenant: string) {
  const keys = {
    read: await createKey("read", tenant),
    write: await createKey("write", tenant),
    admin: await createKey("admin", tenant),
  };
  await call("POST", "/api/users", {
    tenant,
    body: { email: "w@example.com", password: "correct horse battery", role: "write" },
  });
  const user = (
    await call("POST", "/api/auth/login", {
      token: null,
      body: { tenant, email: "w@example.com", password: "correct horse battery" },
    })
  ).json.accessToken as string;
  // Custom roles: one that reads orders (a key), one that reads and writes orders but manages nothing (a user).
  await call("PUT", "/api/roles/orders-reader", {
    tenant,
    body: { rules: [{ collection: "orders", actions: ["find", "aggregate"] }] },
  });
  await call("PUT", "/api/roles/orders-clerk", {
    tenant,
    body: { rules: [{ collection: "orders", actions: ["find", "aggregate", "insert", "update", "delete"] }] },
  });
  const reader = (await call("POST", "/api/keys", { body: { name: "custom", role: "orders-reader", tenant } })).json
    .token as string;
  await call("POST", "/api/users", {
    tenant,
    body: { email: "c@example.com", password: "correct horse battery", role: "orders-clerk" },
  });
  const clerk = (
    await call("POST", "/api/auth/login", {
      token: null,
      body: { tenant, email: "c@example.com", password: "correct horse battery" },
    })
  ).json.accessToken as string;
  return { keys, user, custom: { reader, clerk } };
}

describe("BOLA matrix", () => {
  it("each role reaches exactly its route families, for keys and users alike, built-in and custom", async () => {
    const tenant = newTenant();
    await call("POST", "/api/db/orders", {
      tenant,
      body: [
        { _id: "o1", n: 1 },
        { _id: "o2", n: 2 },
      ],
    });
    const { keys, user, custom } = await credentials(tenant);
    // A custom role's data rules are its own; on the control plane it ranks as read (locks and cluster status only).
    const who: Array<[string, string, Level]> = [
      ["read key", keys.read, "read"],
      ["write key", keys.write, "write"],
      ["admin key", keys.admin, "admin"],
      ["write user", user, "write"],
      ["custom reader key", custom.reader, "read"],
    ];
    const wrong: string[] = [];
    for (const [name, token, level] of who) {
      for (const [family, method, path, needs, body] of ROWS) {
        if (path.endsWith("/o2")) await call("PUT", "/api/db/orders/o2?upsert=true", { tenant, body: { n: 2 } });
        const res = await call(method, path, { token, body });
        const allowed = RANK[level] >= RANK[needs];
        // Allowed: the request got past the gate (a held lock's 409 is an answer, not a refusal). Denied: 403.
        if (allowed ? res.status === 401 || res.status === 403 || res.status >= 500 : res.status !== 403)
          wrong.push(`${name} ${family} ${method} ${path}: ${res.status} ${res.text.slice(0, 120)}`);
      }
    }
    expect(wrong).toEqual([]);
    // The clerk writes orders like a write key, but takes locks and creates indexes like the reader: not at all.
    const clerkWrong: string[] = [];
    for (const [family, method, path, needs, body] of ROWS) {
      if (path.endsWith("/o2")) await call("PUT", "/api/db/orders/o2?upsert=true", { tenant, body: { n: 2 } });
      const res = await call(method, path, { token: custom.clerk, body });
      const dataWrite = needs === "write" && family !== "locks";
      const allowed = needs === "read" || dataWrite;
      if (allowed ? res.status === 401 || res.status === 403 || res.status >= 500 : res.status !== 403)
        clerkWrong.push(`clerk ${family} ${method} ${path}: ${res.status} ${res.text.slice(0, 120)}`);
    }
    expect(clerkWrong).toEqual([]);
  });

  it("a key limited to one collection reaches nothing else on any route family", async () => {
    const tenant = newTenant();
    await call("POST", "/api/db/secrets", { tenant, body: { _id: "s1", card: "4111" } });
    const limited = await createKey("admin", tenant, ["orders"]);
    const other: Array<[string, string, unknown?]> = [
      ["GET", "/api/db/secrets"],
      ["GET", "/api/db/secrets/s1"],
      ["POST", "/api/db/secrets/query", {}],
      ["POST", "/api/db/secrets", { x: 1 }],
      ["POST", "/api/db/orders/aggregate", [{ $unionWith: "secrets" }]],
      ["POST", "/action/find", { database: "main", collection: "secrets" }],
      ["GET", "/api/management/collections/secrets"],
      ["DELETE", "/api/management/collections/secrets"],
      ["POST", "/api/webhooks", { url: "http://127.0.0.1:9/x", collection: "secrets" }],
      ["GET", "/api/scripts"],
      ["GET", "/api/audit"],
      ["GET", "/api/quotas"],
    ];
    for (const [method, path, body] of other) {
      const res = await call(method, path, { token: limited, body });
      expect(res.status, `${method} ${path}`).toBe(403);
      expect(res.text).not.toContain("4111");
    }
  });

  it("another tenant's credentials never reach this tenant's documents, keys or settings", async () => {
    const a = newTenant();
    const b = newTenant();
    await call("POST", "/api/db/orders", { tenant: b, body: { _id: "b1", secret: "tenant-b" } });
    const bKey = await createKey("read", b);
    const aAdmin = await createKey("admin", a);
    const probes: Array<[string, string, unknown?, Record<string, string>?]> = [
      ["GET", "/api/db/orders/b1"],
      ["GET", "/api/db/orders"],
      ["POST", "/action/find", { database: "main", collection: "orders" }],
      ["POST", "/action/find", { database: `${b}_main`, collection: "orders" }],
      ["GET", "/api/db/orders", undefined, { "X-Docflare-Tenant": b }],
      ["GET", `/api/keys?tenant=${b}`],
      ["GET", "/api/management/collections"],
      ["GET", "/api/audit"],
      ["GET", "/api/users"],
    ];
    for (const [method, path, body, headers] of probes) {
      const res = await call(method, path, { token: aAdmin, body, headers });
      expect(res.text, `${method} ${path}`).not.toContain("tenant-b");
      expect(res.text, `${method} ${path}`).not.toContain(bKey.slice(0, 20));
    }
    expect((await call("GET", `/api/keys?tenant=${b}`, { token: aAdmin })).status).toBe(403);
  });
});
