import { describe, expect, inject, it } from "vitest";
import { SignJWT, exportJWK, generateKeyPair } from "jose";
import { call, createKey, uniqueName } from "../helpers/api";

/**
 * Custom roles with row rules: actions per collection, hidden fields, read-only fields, and a row filter naming the
 * caller, applied on every route family; keys, users and an external issuer's tokens all carry them.
 */
const newTenant = () => `rr-${uniqueName("t").replace(/_/g, "-").toLowerCase()}`.slice(0, 40);
const PASSWORD = "correct horse battery";

const OWN_ORDERS = {
  description: "sees and edits only the orders they own; never the card; never the total",
  rules: [
    {
      collection: "orders",
      actions: ["find", "aggregate", "update", "insert", "delete"],
      hiddenFields: ["card"],
      readOnlyFields: ["total"],
      filter: { owner: "$$user.id" },
    },
    { collection: "products", actions: ["find", "aggregate"] },
  ],
};

async function setup() {
  const tenant = newTenant();
  expect((await call("PUT", "/api/roles/own-orders", { tenant, body: OWN_ORDERS })).status).toBe(200);
  const made = async (email: string) => {
    const res = await call("POST", "/api/users", { tenant, body: { email, password: PASSWORD, role: "own-orders" } });
    expect(res.status, res.text).toBe(201);
    const login = await call("POST", "/api/auth/login", { token: null, body: { tenant, email, password: PASSWORD } });
    return { id: res.json.id as string, token: login.json.accessToken as string };
  };
  const ana = await made("ana@example.com");
  const bo = await made("bo@example.com");
  await call("POST", "/api/db/orders", {
    tenant,
    body: [
      { _id: "a1", owner: ana.id, total: 10, card: "4111-ana", note: "" },
      { _id: "a2", owner: ana.id, total: 20, card: "4111-ana", note: "" },
      { _id: "b1", owner: bo.id, total: 99, card: "4111-bo", note: "" },
    ],
  });
  await call("POST", "/api/db/products", { tenant, body: [{ _id: "p1", name: "pen" }] });
  await call("POST", "/api/db/secrets", { tenant, body: [{ _id: "s1", v: "top" }] });
  return { tenant, ana, bo };
}

describe("custom roles", () => {
  it("are defined, listed, read and deleted by admins; names, rules and filters are checked", async () => {
    const tenant = newTenant();
    expect((await call("PUT", "/api/roles/support", { tenant, body: OWN_ORDERS })).json).toMatchObject({
      name: "support",
      rules: [{ collection: "orders" }, { collection: "products" }],
    });
    expect((await call("GET", "/api/roles", { tenant })).json.roles.map((r: { name: string }) => r.name)).toEqual([
      "support",
    ]);
    expect((await call("GET", "/api/roles/support", { tenant })).json.rules[0].hiddenFields).toEqual(["card"]);
    expect((await call("PUT", "/api/roles/admin", { tenant, body: OWN_ORDERS })).json.error.code).toBe(
      "INVALID_ROLE_NAME",
    );
    expect((await call("PUT", "/api/roles/Bad Name", { tenant, body: OWN_ORDERS })).json.error.code).toBe(
      "INVALID_ROLE_NAME",
    );
    const where = await call("PUT", "/api/roles/x", {
      tenant,
      body: { rules: [{ collection: "o", actions: ["find"], filter: { $where: "1" } }] },
    });
    expect(where.status).toBe(400);
    expect(where.json.error.details.path).toMatch(/^rules\.0\.filter/);
    expect(
      (await call("PUT", "/api/roles/x", { tenant, body: { rules: [{ collection: "o", actions: ["fly"] }] } })).status,
    ).toBe(400);
    expect(
      (
        await call("PUT", "/api/roles/x", {
          tenant,
          body: {
            rules: [
              { collection: "o", actions: ["find"] },
              { collection: "o", actions: ["insert"] },
            ],
          },
        })
      ).json.error.code,
    ).toBe("INVALID_ROLE");
    const reader = await createKey("read", tenant);
    expect((await call("PUT", "/api/roles/y", { token: reader, body: OWN_ORDERS })).status).toBe(403);
    const limited = await createKey("admin", tenant, ["orders"]);
    const wide = await call("PUT", "/api/roles/y", {
      token: limited,
      body: { rules: [{ collection: "*", actions: ["find"] }] },
    });
    expect(wide.json.error.code).toBe("GRANT_EXCEEDS_OWN");
    expect(
      (
        await call("PUT", "/api/roles/y", {
          token: limited,
          body: { rules: [{ collection: "orders", actions: ["find"] }] },
        })
      ).status,
    ).toBe(200);
    expect((await call("POST", "/api/keys", { body: { name: "k", role: "nope", tenant } })).json.error.code).toBe(
      "ROLE_NOT_FOUND",
    );
    expect((await call("DELETE", "/api/roles/support", { tenant })).json).toEqual({ deleted: "support" });
    expect((await call("DELETE", "/api/roles/support", { tenant })).status).toBe(404);
  });

  it("row filter on reads: a user sees only their rows, on REST, the Data API, counts and aggregations; hidden fields never leave", async () => {
    const { ana } = await setup();
    const t = ana.token;
    const list = await call("GET", "/api/db/orders?sort=_id&count=true", { token: t });
    expect(list.json.documents.map((d: { _id: string }) => d._id)).toEqual(["a1", "a2"]);
    expect(list.json.total).toBe(2);
    expect(list.text).not.toContain("4111");
    expect((await call("GET", "/api/db/orders/a1", { token: t })).json).toMatchObject({ _id: "a1", total: 10 });
    expect((await call("GET", "/api/db/orders/a1", { token: t })).json.card).toBeUndefined();
    expect((await call("GET", "/api/db/orders/b1", { token: t })).status).toBe(404);
    expect((await call("GET", "/api/db/orders/count", { token: t })).json.count).toBe(2);
    expect(
      (await call("POST", "/api/db/orders/query", { token: t, body: { filter: { _id: "b1" } } })).json.documents,
    ).toEqual([]);
    const sum = await call("POST", "/api/db/orders/aggregate", {
      token: t,
      body: [{ $group: { _id: null, total: { $sum: "$total" }, cards: { $addToSet: "$card" } } }],
    });
    expect(sum.json.documents).toMatchObject([{ _id: null, total: 30 }]);
    expect(sum.text).not.toContain("4111");
    const viaDataApi = await call("POST", "/action/find", {
      token: t,
      body: { database: "main", collection: "orders", filter: {} },
    });
    expect(viaDataApi.json.documents.map((d: { _id: string }) => d._id).sort()).toEqual(["a1", "a2"]);
    expect(viaDataApi.text).not.toContain("4111");
    const probe = await call("GET", `/api/db/orders?filter=${encodeURIComponent('{"card":{"$regex":"^4111-b"}}')}`, {
      token: t,
    });
    expect(probe.json.error.code).toBe("FIELD_HIDDEN");
    expect((await call("GET", "/api/db/orders?sort=card", { token: t })).json.error.code).toBe("FIELD_HIDDEN");
    expect((await call("GET", "/api/db/products", { token: t })).json.documents).toHaveLength(1);
    expect((await call("GET", "/api/db/secrets", { token: t })).json.error.code).toBe("ROLE_FORBIDS");
    const names = (await call("GET", "/api/management/collections", { token: t })).json.collections
      .map((c: { name: string }) => c.name)
      .sort();
    expect(names).toEqual(["orders", "products"]);
  });

  it("row filter on writes: updates and deletes reach only own rows; read-only and pinned fields stay; inserts must satisfy the filter", async () => {
    const { tenant, ana, bo } = await setup();
    const t = ana.token;
    const patched = await call("PATCH", "/api/db/orders/a1", { token: t, body: { note: "mine" } });
    expect(patched.status).toBe(200);
    expect(patched.json).toMatchObject({ note: "mine", total: 10 });
    expect(patched.text).not.toContain("4111");
    expect((await call("PATCH", "/api/db/orders/b1", { token: t, body: { note: "yours" } })).status).toBe(404);
    expect((await call("PATCH", "/api/db/orders/a1", { token: t, body: { total: 0 } })).json.error.code).toBe(
      "FIELD_READ_ONLY",
    );
    expect(
      (await call("PATCH", "/api/db/orders/a1", { token: t, body: { $inc: { total: -5 } } })).json.error.code,
    ).toBe("FIELD_READ_ONLY");
    expect((await call("PATCH", "/api/db/orders/a1", { token: t, body: { owner: bo.id } })).json.error.code).toBe(
      "FIELD_READ_ONLY",
    );
    expect(
      (await call("PATCH", "/api/db/orders/a1", { token: t, body: { $rename: { note: "total" } } })).json.error.code,
    ).toBe("FIELD_READ_ONLY");
    const pipeline = await call("PATCH", "/api/db/orders", {
      token: t,
      body: { filter: { _id: "a1" }, update: [{ $set: { note: "p" } }] },
    });
    expect(pipeline.json.error.code).toBe("ROW_RULES_PIPELINE_UPDATE");
    const bulk = await call("PATCH", "/api/db/orders?allowEmptyFilter=true", {
      token: t,
      body: { filter: {}, update: { $set: { flagged: true } } },
    });
    expect(bulk.json).toMatchObject({ matchedCount: 2, modifiedCount: 2 });
    expect((await call("GET", "/api/db/orders/b1", { tenant })).json.flagged).toBeUndefined();
    const viaDataApi = await call("POST", "/action/updateMany", {
      token: t,
      body: { database: "main", collection: "orders", filter: {}, update: { $set: { n: 1 } } },
    });
    expect(viaDataApi.json).toMatchObject({ matchedCount: 2 });
    expect(
      (await call("PUT", "/api/db/orders/a2", { token: t, body: { owner: ana.id, total: 20 } })).json.error.code,
    ).toBe("FIELD_READ_ONLY");
    expect(
      (await call("POST", "/api/db/orders", { token: t, body: { _id: "a3", owner: ana.id, total: 5 } })).json.error
        .code,
    ).toBe("FIELD_READ_ONLY");
    expect((await call("POST", "/api/db/orders", { token: t, body: { _id: "a3", owner: ana.id } })).status).toBe(201);
    expect(
      (await call("POST", "/api/db/orders", { token: t, body: { _id: "x1", owner: bo.id } })).json.error.code,
    ).toBe("ROW_FILTER_VIOLATION");
    expect((await call("POST", "/api/db/orders", { token: t, body: { _id: "x2" } })).json.error.code).toBe(
      "ROW_FILTER_VIOLATION",
    );
    expect((await call("PUT", "/api/db/orders/zz?upsert=true", { token: t, body: { owner: ana.id } })).status).toBe(
      403,
    );
    expect((await call("DELETE", "/api/db/orders/b1", { token: t })).status).toBe(404);
    expect((await call("DELETE", "/api/db/orders?allowEmptyFilter=true", { token: t })).json.deletedCount).toBe(3);
    expect((await call("GET", "/api/db/orders/count", { tenant })).json.count).toBe(1);
    expect((await call("POST", "/api/db/products", { token: t, body: { name: "x" } })).json.error.code).toBe(
      "ROLE_FORBIDS",
    );
  });

  it("a pipeline may not reach a row-filtered collection through $lookup or $unionWith", async () => {
    const { ana } = await setup();
    const res = await call("POST", "/api/db/products/aggregate", {
      token: ana.token,
      body: [{ $lookup: { from: "orders", localField: "_id", foreignField: "product", as: "o" } }],
    });
    expect(res.text).not.toContain("4111");
    expect(res.status).toBe(403);
    expect(res.json.error.code).toBe("ROW_RULES_IN_LOOKUP");
    expect(
      (await call("POST", "/api/db/orders/aggregate", { token: ana.token, body: [{ $unionWith: "secrets" }] })).json
        .error.code,
    ).toBe("ROLE_FORBIDS");
    expect(
      (
        await call("POST", "/api/db/orders/aggregate", {
          token: ana.token,
          body: [{ $lookup: { from: "products", localField: "p", foreignField: "_id", as: "p" } }],
        })
      ).status,
    ).toBe(200);
  });

  it("API keys carry custom roles too ($$key.id), a deleted role grants nothing, and grants never exceed the grantor", async () => {
    const tenant = newTenant();
    await call("PUT", "/api/roles/device", {
      tenant,
      body: { rules: [{ collection: "readings", actions: ["find", "insert"], filter: { device: "$$key.id" } }] },
    });
    const made = await call("POST", "/api/keys", { body: { name: "sensor", role: "device", tenant } });
    expect(made.status).toBe(201);
    const key = made.json.token as string;
    expect((await call("POST", "/api/db/readings", { token: key, body: { device: made.json.id, v: 1 } })).status).toBe(
      201,
    );
    expect(
      (await call("POST", "/api/db/readings", { token: key, body: { device: "other", v: 1 } })).json.error.code,
    ).toBe("ROW_FILTER_VIOLATION");
    await call("POST", "/api/db/readings", { tenant, body: { device: "other", v: 2 } });
    expect(
      (await call("GET", "/api/db/readings", { token: key })).json.documents.map((d: { v: number }) => d.v),
    ).toEqual([1]);
    expect((await call("GET", "/api/auth/me", { token: key })).json).toMatchObject({ role: "device" });
    expect((await call("GET", "/api/keys", { token: key })).status).toBe(403);
    const limited = await createKey("admin", tenant, ["orders"]);
    expect(
      (await call("POST", "/api/keys", { token: limited, body: { name: "k", role: "device" } })).json.error.code,
    ).toBe("GRANT_EXCEEDS_OWN");
    await call("DELETE", "/api/roles/device", { tenant });
    expect((await call("GET", "/api/db/readings", { token: key })).json.error.code).toBe("ROLE_FORBIDS");
  });
});

describe("external OpenID Connect issuer", () => {
  const receiver = inject("receiverUrl");
  const ISSUER = "https://id.example.com/";

  async function issuer(tenant: string) {
    const { publicKey, privateKey } = await generateKeyPair("RS256", { extractable: true });
    const kid = `kid-${uniqueName("k")}`;
    const path = `/${tenant}/jwks.json`;
    await fetch(`${receiver}/__serve`, {
      method: "POST",
      body: JSON.stringify({
        path,
        body: { keys: [{ ...(await exportJWK(publicKey)), kid, alg: "RS256", use: "sig" }] },
      }),
    });
    await call("PUT", "/api/roles/org-member", {
      tenant,
      body: { rules: [{ collection: "tickets", actions: ["find", "insert"], filter: { org: "$$claims.org" } }] },
    });
    const config = {
      issuer: ISSUER,
      audience: "docflare",
      jwksUrl: `${receiver}${path}`,
      roleClaim: "app.roles",
      roleMap: { member: "org-member", boss: "admin" },
    };
    const put = await call("PUT", "/api/oidc", { tenant, body: config });
    expect(put.status, put.text).toBe(200);
    const sign = (
      claims: Record<string, unknown>,
      opts: { iss?: string; aud?: string; exp?: string | number; kid?: string } = {},
    ) =>
      new SignJWT(claims)
        .setProtectedHeader({ alg: "RS256", kid: opts.kid ?? kid })
        .setIssuer(opts.iss ?? ISSUER)
        .setAudience(opts.aud ?? "docflare")
        .setSubject("u-1")
        .setIssuedAt()
        .setExpirationTime(opts.exp ?? "5m")
        .sign(privateKey);
    return { sign };
  }

  it("accepts the issuer's tokens with their mapped role and claims in row filters", async () => {
    const tenant = newTenant();
    const { sign } = await issuer(tenant);
    await call("POST", "/api/db/tickets", {
      tenant,
      body: [
        { _id: 1, org: "acme" },
        { _id: 2, org: "globex" },
      ],
    });
    const member = await sign({ app: { roles: ["member"] }, org: "acme" });
    const headers = { "X-Docflare-Tenant": tenant };
    const mine = await call("GET", "/api/db/tickets", { token: member, headers });
    expect(mine.status, mine.text).toBe(200);
    expect(mine.json.documents.map((d: { _id: number }) => d._id)).toEqual([1]);
    expect(
      (await call("POST", "/api/db/tickets", { token: member, headers, body: { org: "globex" } })).json.error.code,
    ).toBe("ROW_FILTER_VIOLATION");
    expect((await call("GET", "/api/auth/me", { token: member, headers })).json).toMatchObject({
      tenant,
      role: "org-member",
      user: null,
    });
    const boss = await sign({ app: { roles: ["boss"] } });
    expect((await call("GET", "/api/db/tickets", { token: boss, headers })).json.documents).toHaveLength(2);
    expect((await call("GET", "/api/oidc", { tenant })).json.oidc).toMatchObject({
      issuer: ISSUER,
      roleClaim: "app.roles",
    });
  });

  it("refuses the tokens RFC 8725 says to refuse, each with its code", async () => {
    const tenant = newTenant();
    const { sign } = await issuer(tenant);
    const headers = { "X-Docflare-Tenant": tenant };
    const claims = { app: { roles: ["member"] }, org: "acme" };
    const good = await sign(claims);
    const [h, p] = good.split(".");
    const enc = (o: object) => btoa(JSON.stringify(o)).replace(/=+$/, "").replace(/\+/g, "-").replace(/\//g, "_");
    const header = JSON.parse(atob(h.replace(/-/g, "+").replace(/_/g, "/")));
    const hmacKey = new TextEncoder().encode("a-shared-secret-that-is-long-enough!!");
    const cases: Array<[string, string, number]> = [
      ["expired", await sign(claims, { exp: Math.floor(Date.now() / 1000) - 60 }), 401],
      ["wrong issuer", await sign(claims, { iss: "https://evil.example.com/" }), 401],
      ["wrong audience", await sign(claims, { aud: "someone-else" }), 401],
      ["unknown kid", await sign(claims, { kid: "nope" }), 401],
      ["alg none", `${enc({ ...header, alg: "none" })}.${p}.`, 401],
      [
        "HMAC",
        await new SignJWT(claims)
          .setProtectedHeader({ alg: "HS256", kid: header.kid })
          .setIssuer(ISSUER)
          .setAudience("docflare")
          .setSubject("u")
          .setExpirationTime("5m")
          .sign(hmacKey),
        401,
      ],
      [
        "bad signature",
        `${h}.${enc({ ...JSON.parse(atob(p.replace(/-/g, "+").replace(/_/g, "/"))), org: "globex" })}.${good.split(".")[2]}`,
        401,
      ],
      ["no role mapped", await sign({ app: { roles: ["visitor"] } }), 403],
    ];
    const got: string[] = [];
    for (const [name, token, status] of cases) {
      const res = await call("GET", "/api/db/tickets", { token, headers });
      if (res.status !== status || !res.json?.error?.code) got.push(`${name}: ${res.status} ${res.text.slice(0, 100)}`);
    }
    expect(got).toEqual([]);
    expect(
      (await call("GET", "/api/db/tickets", { token: good, headers: { "X-Docflare-Tenant": newTenant() } })).json.error
        .code,
    ).toBe("TOKEN_ISSUER_UNKNOWN");
    expect((await call("GET", "/api/db/tickets", { token: good })).status).toBe(401);
  });

  it("configuration is for unrestricted admins, with a JWKS URL that passes the outbound rules and roles that exist", async () => {
    const tenant = newTenant();
    const base = { issuer: ISSUER, audience: "a", jwksUrl: "https://id.example.com/jwks.json" };
    expect(
      (await call("PUT", "/api/oidc", { tenant, body: { ...base, jwksUrl: "http://10.0.0.1/jwks" } })).json.error.code,
    ).toBe("INVALID_JWKS_URL");
    expect(
      (await call("PUT", "/api/oidc", { tenant, body: { ...base, roleMap: { x: "ghost" } } })).json.error.code,
    ).toBe("ROLE_NOT_FOUND");
    expect(
      (await call("PUT", "/api/oidc", { token: await createKey("admin", tenant, ["orders"]), body: base })).status,
    ).toBe(403);
    expect((await call("PUT", "/api/oidc", { tenant, body: base })).status).toBe(200);
    expect((await call("DELETE", "/api/oidc", { tenant })).json).toEqual({ oidc: null });
  });
});
