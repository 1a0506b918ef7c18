import { SYSTEM_IDENTITY, identityOf } from "../../worker/stubs";
import { env } from "cloudflare:workers";
import { runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { SignJWT, importJWK, type JWK } from "jose";
import { call, uniqueName } from "../helpers/api";
import { AUDIENCE, ISSUER } from "../../worker/auth/tokens";

const newTenant = () => `id-${uniqueName("t").replace(/_/g, "-").toLowerCase()}`.slice(0, 40);
const PASSWORD = "correct horse battery";

async function userIn(
  tenant: string,
  role: "read" | "write" | "admin" = "read",
  email = `${uniqueName("u")}@example.com`,
) {
  const res = await call("POST", "/api/users", { tenant, body: { email, password: PASSWORD, role } });
  expect(res.status).toBe(201);
  return { id: res.json.id as string, email };
}

async function signIn(tenant: string, email: string, password = PASSWORD, extra: object = {}) {
  return call("POST", "/api/auth/login", { token: null, body: { email, password, tenant, ...extra } });
}

async function activeKey() {
  const keys = await identityOf(env, SYSTEM_IDENTITY).signingKeys();
  const k = keys.find((x) => x.retiredAt === null)!;
  return { kid: k.kid, key: await importJWK(k.privateJwk as JWK, "ES256") };
}

describe("users and sessions", () => {
  it("signs in, acts with the user's role, and never returns the password", async () => {
    const tenant = newTenant();
    const { id, email } = await userIn(tenant, "read");
    const listed = await call("GET", "/api/users", { tenant });
    expect(JSON.stringify(listed.json)).not.toMatch(/pbkdf2|password/);
    const session = await signIn(tenant, email.toUpperCase());
    expect(session.status).toBe(200);
    expect(session.json).toMatchObject({ tokenType: "Bearer", expiresIn: 900, user: { id, email } });
    const token = session.json.accessToken;
    const me = await call("GET", "/api/auth/me", { token });
    expect(me.json).toMatchObject({ tenant, role: "read", user: { id } });
    expect((await call("GET", "/api/db/things", { token })).status).toBe(200);
    const write = await call("POST", "/api/db/things", { token, body: { a: 1 } });
    expect(write.status).toBe(403);
    const jwks = await call("GET", "/.well-known/jwks.json", { token: null });
    const kid = JSON.parse(atob(token.split(".")[0].replace(/-/g, "+").replace(/_/g, "/"))).kid;
    expect(jwks.json.keys.map((k: { kid: string }) => k.kid)).toContain(kid);
    expect(JSON.stringify(jwks.json)).not.toMatch(/"d":/);
  });

  it("answers a wrong password and an unknown email alike", async () => {
    const tenant = newTenant();
    const { email } = await userIn(tenant);
    const wrong = await signIn(tenant, email, "not the password");
    const unknown = await signIn(tenant, "nobody@example.com", "not the password");
    expect(wrong.status).toBe(401);
    expect(unknown.status).toBe(401);
    expect(wrong.json).toEqual(unknown.json);
  });

  it("refuses the access tokens RFC 8725 says to refuse, each with its code", async () => {
    const tenant = newTenant();
    const { id, email } = await userIn(tenant);
    const good = (await signIn(tenant, email)).json.accessToken as string;
    const { kid, key } = await activeKey();
    const claims = { sub: id, tenant, role: "admin", collections: null, sv: 1 };
    const sign = (c: object, header: object = {}, at = key) =>
      new SignJWT({ ...claims, ...c })
        .setProtectedHeader({ alg: "ES256", kid, typ: "at+jwt", ...header })
        .setIssuer(ISSUER)
        .setAudience(AUDIENCE)
        .setIssuedAt()
        .setExpirationTime("10m")
        .sign(at as never);
    const b64 = (o: object) => btoa(JSON.stringify(o)).replace(/=+$/, "").replace(/\+/g, "-").replace(/\//g, "_");
    const [h, p, s] = good.split(".");
    const cases: Array<[string, string]> = [
      [
        "TOKEN_EXPIRED",
        await new SignJWT(claims)
          .setProtectedHeader({ alg: "ES256", kid, typ: "at+jwt" })
          .setIssuer(ISSUER)
          .setAudience(AUDIENCE)
          .setIssuedAt(Math.floor(Date.now() / 1000) - 3600)
          .setExpirationTime(Math.floor(Date.now() / 1000) - 60)
          .sign(key),
      ],
      ["TOKEN_NOT_YET_VALID", await sign({ nbf: Math.floor(Date.now() / 1000) + 600 })],
      [
        "TOKEN_CLAIM_INVALID",
        await new SignJWT(claims)
          .setProtectedHeader({ alg: "ES256", kid, typ: "at+jwt" })
          .setIssuer("someone-else")
          .setAudience(AUDIENCE)
          .setExpirationTime("10m")
          .sign(key),
      ],
      [
        "TOKEN_CLAIM_INVALID",
        await new SignJWT(claims)
          .setProtectedHeader({ alg: "ES256", kid, typ: "at+jwt" })
          .setIssuer(ISSUER)
          .setAudience("another-api")
          .setExpirationTime("10m")
          .sign(key),
      ],
      ["TOKEN_ALGORITHM_REFUSED", `${b64({ alg: "none", kid, typ: "at+jwt" })}.${p}.`],
      [
        "TOKEN_ALGORITHM_REFUSED",
        await new SignJWT(claims)
          .setProtectedHeader({ alg: "HS256", kid, typ: "at+jwt" })
          .setIssuer(ISSUER)
          .setAudience(AUDIENCE)
          .setExpirationTime("10m")
          .sign(new TextEncoder().encode("a-shared-secret-of-32-bytes-long!")),
      ],
      ["TOKEN_UNKNOWN_KEY", await sign({}, { kid: "k_nobody" })],
      [
        "TOKEN_SIGNATURE_INVALID",
        `${h}.${b64({ ...JSON.parse(atob(p.replace(/-/g, "+").replace(/_/g, "/"))), role: "admin" })}.${s}`,
      ],
    ];
    for (const [code, token] of cases) {
      const res = await call("GET", "/api/auth/me", { token });
      expect(res.status, code).toBe(401);
      expect(res.json.error.code, code).toBe(code);
    }
    expect((await call("GET", "/api/auth/me", { token: good })).status).toBe(200);
    expect((await call("POST", "/api/auth/logout-all", { token: good })).status).toBe(200);
    const revoked = await call("GET", "/api/auth/me", { token: good });
    expect(revoked.json.error.code).toBe("TOKEN_REVOKED");
  });

  it("rotates refresh tokens: of two concurrent refreshes exactly one succeeds, and the reuse revokes the family", async () => {
    const tenant = newTenant();
    const { email } = await userIn(tenant);
    const first = (await signIn(tenant, email)).json.refreshToken as string;
    const [a, b] = await Promise.all(
      [1, 2].map(() => call("POST", "/api/auth/refresh", { token: null, body: { refreshToken: first } })),
    );
    expect([a.status, b.status].sort()).toEqual([200, 401]);
    const loser = a.status === 401 ? a : b;
    const winner = a.status === 200 ? a : b;
    expect(loser.json.error.code).toBe("REFRESH_REUSED");
    const next = await call("POST", "/api/auth/refresh", {
      token: null,
      body: { refreshToken: winner.json.refreshToken },
    });
    expect(next.status).toBe(401);
    expect(next.json.error.code).toBe("REFRESH_REVOKED");
    // A fresh sign-in is a new family, unaffected.
    const other = (await signIn(tenant, email)).json.refreshToken;
    expect((await call("POST", "/api/auth/refresh", { token: null, body: { refreshToken: other } })).status).toBe(200);
  });

  it("keeps the refresh token in an HttpOnly cookie scoped to the auth routes for browsers", async () => {
    const tenant = newTenant();
    const { email } = await userIn(tenant);
    const res = await signIn(tenant, email, PASSWORD, { refreshIn: "cookie" });
    expect(res.json.refreshToken).toBeUndefined();
    const cookie = res.headers.get("set-cookie")!;
    expect(cookie).toMatch(/^docflare_refresh=dfr_/);
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/Secure/);
    expect(cookie).toMatch(/SameSite=Strict/);
    expect(cookie).toMatch(/Path=\/api\/auth/);
    const again = await call("POST", "/api/auth/refresh", { token: null, headers: { Cookie: cookie.split(";")[0] } });
    expect(again.status).toBe(200);
    expect(again.headers.get("set-cookie")).toMatch(/^docflare_refresh=dfr_/);
  });

  it("lets a dashboard on a configured origin (Pages) use the cookie cross-site, and no other origin", async () => {
    const tenant = newTenant();
    const { email } = await userIn(tenant);
    const dashboard = "https://dash.example.com";
    const preflight = await call("OPTIONS", "/api/auth/login", {
      token: null,
      headers: {
        Origin: dashboard,
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "content-type",
      },
    });
    expect(preflight.headers.get("access-control-allow-origin")).toBe(dashboard);
    expect(preflight.headers.get("access-control-allow-credentials")).toBe("true");
    const fromDashboard = await call("POST", "/api/auth/login", {
      token: null,
      headers: { Origin: dashboard },
      body: { email, password: PASSWORD, tenant, refreshIn: "cookie" },
    });
    expect(fromDashboard.headers.get("set-cookie")).toMatch(/SameSite=None/);
    expect(fromDashboard.headers.get("access-control-allow-origin")).toBe(dashboard);
    const elsewhere = await call("POST", "/api/auth/login", {
      token: null,
      headers: { Origin: "https://evil.example.com" },
      body: { email, password: PASSWORD, tenant, refreshIn: "cookie" },
    });
    expect(elsewhere.headers.get("set-cookie")).toMatch(/SameSite=Strict/);
    expect(elsewhere.headers.get("access-control-allow-origin")).toBeNull();
  });

  it("rotates signing keys without logging anyone out", async () => {
    const tenant = newTenant();
    const { email } = await userIn(tenant);
    const before = (await signIn(tenant, email)).json.accessToken as string;
    const rotated = await call("POST", "/api/auth/signing-keys/rotate", {});
    expect(rotated.status).toBe(200);
    const after = (await signIn(tenant, email)).json.accessToken as string;
    const kidOf = (t: string) => JSON.parse(atob(t.split(".")[0].replace(/-/g, "+").replace(/_/g, "/"))).kid;
    expect(kidOf(after)).toBe(rotated.json.kid);
    expect(kidOf(before)).not.toBe(rotated.json.kid);
    expect((await call("GET", "/api/auth/me", { token: before })).status).toBe(200);
    expect((await call("GET", "/api/auth/me", { token: after })).status).toBe(200);
  });

  it("throttles guessing with growing delays, then a lock, answered with 429 and Retry-After; the lock expires", async () => {
    const tenant = newTenant();
    const { email } = await userIn(tenant);
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) statuses.push((await signIn(tenant, email, "wrong")).status);
    expect(statuses).toEqual([401, 401, 401, 429]);
    const throttled = await signIn(tenant, email);
    expect(throttled.status).toBe(429);
    expect(Number(throttled.headers.get("retry-after"))).toBeGreaterThan(0);
    // Ten failures in a row lock the account for 15 minutes.
    await runInDurableObject(identityOf(env, tenant), (_i, state) => {
      state.storage.sql.exec("UPDATE throttle SET failures = 10, last_failure_at = ?", Date.now());
    });
    const locked = await signIn(tenant, email);
    expect(locked.status).toBe(429);
    expect(Number(locked.headers.get("retry-after"))).toBeGreaterThan(800);
    await runInDurableObject(identityOf(env, tenant), (_i, state) => {
      state.storage.sql.exec("UPDATE throttle SET last_failure_at = ?", Date.now() - 16 * 60_000);
    });
    expect((await signIn(tenant, email)).status).toBe(200);
  });

  it("disabling a user signs them out and refuses their sign-in like a wrong password", async () => {
    const tenant = newTenant();
    const { id, email } = await userIn(tenant, "write");
    const session = (await signIn(tenant, email)).json;
    expect((await call("PATCH", `/api/users/${id}`, { tenant, body: { disabled: true } })).status).toBe(200);
    expect((await call("GET", "/api/auth/me", { token: session.accessToken })).json.error.code).toBe("TOKEN_REVOKED");
    expect(
      (await call("POST", "/api/auth/refresh", { token: null, body: { refreshToken: session.refreshToken } })).status,
    ).toBe(401);
    expect((await signIn(tenant, email)).json.error.code).toBe("INVALID_LOGIN");
  });

  it("an admin user cannot create users beyond what it holds", async () => {
    const tenant = newTenant();
    const limited = await call("POST", "/api/users", {
      tenant,
      body: { email: "lim@example.com", password: PASSWORD, role: "admin", collections: ["orders"] },
    });
    const token = (await signIn(tenant, "lim@example.com")).json.accessToken;
    const wide = await call("POST", "/api/users", {
      token,
      body: { email: "w@example.com", password: PASSWORD, role: "admin", collections: null },
    });
    expect(wide.status).toBe(403);
    expect(wide.json.error.code).toBe("GRANT_EXCEEDS_OWN");
    const inherits = await call("POST", "/api/users", {
      token,
      body: { email: "r@example.com", password: PASSWORD, role: "read" },
    });
    expect(inherits.json.collections).toEqual(["orders"]);
    expect(limited.status).toBe(201);
  });
});
