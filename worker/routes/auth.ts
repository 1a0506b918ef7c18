import { isTenantName } from "../lib/names";
import { identityOf } from "../stubs";
import { createRoute, z } from "@hono/zod-openapi";
import type { Context } from "hono";
import { getCookie } from "hono/cookie";
import type { AppEnv } from "../app-env";
import { AppError } from "../lib/errors";
import { authenticate, forgetSession } from "../middleware/auth";
import { login, logout, refresh, tenantOfRefresh, type Session } from "../auth/sessions";
import { clientOf, recordAudit } from "../audit";
import { REFRESH_TTL_MS, jwks, rotateSigningKey } from "../auth/tokens";
import { parseJsonText } from "../lib/body";
import { AnyJson, bearer, errorResponses, resourceApp } from "./openapi";

const app = resourceApp();
const ok = (description: string) => ({
  200: { description, content: { "application/json": { schema: AnyJson } } },
  ...errorResponses,
});
const COOKIE = "docflare_refresh";

const Login = z.object({
  email: z.string().trim().toLowerCase().email().max(254),
  password: z.string().min(1).max(256),
  tenant: z.string().optional(),
  refreshIn: z.enum(["body", "cookie"]).default("body").openapi({
    description: "cookie: an HttpOnly, Secure, SameSite=Strict cookie scoped to /api/auth (for the dashboard)",
  }),
});
const RefreshBody = z.object({ refreshToken: z.string().optional(), refreshIn: z.enum(["body", "cookie"]).optional() });

/**
 * Strict keeps the cookie to the API's own site. A dashboard hosted on another site (Cloudflare Pages) can only send
 * it back with SameSite=None; that is allowed for the configured dashboard origins alone, which CORS already trusts.
 */
function sameSite(c: Context<AppEnv>): "Strict" | "None" {
  const origin = c.req.header("origin");
  if (!origin || origin === new URL(c.req.url).origin) return "Strict";
  const trusted = (c.env.DASHBOARD_ORIGIN ?? "")
    .split(",")
    .map((o) => o.trim())
    .filter(Boolean);
  return trusted.includes(origin) ? "None" : "Strict";
}

/** Where the refresh token goes: the body for API clients, an HttpOnly cookie scoped to the auth routes for browsers. */
function answer(c: Context<AppEnv>, session: Session, where: "body" | "cookie") {
  const { refreshToken, ...rest } = session;
  if (where === "cookie") {
    c.header(
      "Set-Cookie",
      `${COOKIE}=${refreshToken}; HttpOnly; Secure; SameSite=${sameSite(c)}; Path=/api/auth; Max-Age=${REFRESH_TTL_MS / 1000}`,
    );
    return c.json(rest);
  }
  return c.json({ ...rest, refreshToken });
}

/** The optional body of refresh and logout: read here, as the route's validator would need a Content-Type. */
async function refreshBody(c: Context<AppEnv>) {
  const text = await c.req.text();
  const parsed = RefreshBody.safeParse(text.trim() ? parseJsonText(text, "body") : {});
  if (!parsed.success)
    throw new AppError(400, "VALIDATION_FAILED", "refreshToken: must be a string", { field: "refreshToken" });
  return parsed.data;
}

function refreshTokenOf(
  c: Context<AppEnv>,
  body: { refreshToken?: string },
): { token: string; where: "body" | "cookie" } {
  if (body.refreshToken) return { token: body.refreshToken, where: "body" };
  const cookie = getCookie(c, COOKIE);
  if (cookie) return { token: cookie, where: "cookie" };
  throw new AppError(401, "REFRESH_INVALID", "send the refresh token in the body or its cookie");
}

/**
 * Sign-ins, refreshes and sign-outs go to the audit trail with their outcome: who (the user, or the email tried),
 * from where, and the error code when refused (a refresh-token reuse is `REFRESH_REUSED`).
 */
async function audited<T>(
  c: Context<AppEnv>,
  tenant: string | null,
  action: string,
  actor: (result?: T) => string,
  target: string | null,
  run: () => Promise<T>,
): Promise<T> {
  let result: T | undefined;
  let status = 200;
  let code: string | null = null;
  try {
    result = await run();
    return result;
  } catch (err) {
    status = err instanceof AppError ? err.status : 500;
    code = err instanceof AppError ? err.code : "INTERNAL";
    throw err;
  } finally {
    if (tenant)
      await recordAudit(c.env, tenant, {
        actor: actor(result),
        ...clientOf(c),
        action,
        target,
        status,
        code,
        details: null,
      });
  }
}

const tenantOr = (token: string) => {
  try {
    return tenantOfRefresh(token);
  } catch {
    return null;
  }
};

app.openapi(
  createRoute({
    method: "post",
    path: "/login",
    tags: ["Auth"],
    security: [],
    summary: "Sign in with email and password: a 15-minute access token and a 7-day refresh token",
    request: { body: { required: true, content: { "application/json": { schema: Login } } } },
    responses: ok("The session"),
  }),
  async (c) => {
    const body = c.req.valid("json");
    const tenant = body.tenant ?? c.req.header("x-docflare-tenant") ?? "default";
    try {
      const session = await audited(
        c,
        isTenantName(tenant) ? tenant : null,
        "auth.login",
        (s) => (s ? `user:${s.user.id}` : "anonymous"),
        body.email,
        () => login(c.env, tenant, body.email, body.password, clientOf(c)),
      );
      return answer(c, session, body.refreshIn);
    } catch (err) {
      if (err instanceof AppError && err.code === "LOGIN_THROTTLED")
        c.header("Retry-After", String(Math.ceil((err.details as { retryAfterMs: number }).retryAfterMs / 1000)));
      throw err;
    }
  },
);

app.openapi(
  createRoute({
    method: "post",
    path: "/refresh",
    tags: ["Auth"],
    security: [],
    summary: "Spend a refresh token for a new pair (single use; reuse revokes the family)",
    request: { body: { required: false, content: { "application/json": { schema: RefreshBody } } } },
    responses: ok("The new session"),
  }),
  async (c) => {
    const body = await refreshBody(c);
    const { token, where } = refreshTokenOf(c, body);
    const session = await audited(
      c,
      tenantOr(token),
      "auth.refresh",
      (s) => (s ? `user:${s.user.id}` : "anonymous"),
      null,
      () => refresh(c.env, token),
    );
    return answer(c, session, body.refreshIn ?? where);
  },
);

app.openapi(
  createRoute({
    method: "post",
    path: "/logout",
    tags: ["Auth"],
    security: [],
    summary: "Sign out this session (its refresh-token family)",
    request: { body: { required: false, content: { "application/json": { schema: RefreshBody } } } },
    responses: ok("Signed out"),
  }),
  async (c) => {
    const { token } = refreshTokenOf(c, await refreshBody(c));
    await audited(
      c,
      tenantOr(token),
      "auth.logout",
      () => "anonymous",
      null,
      () => logout(c.env, token),
    );
    c.header("Set-Cookie", `${COOKIE}=; HttpOnly; Secure; SameSite=${sameSite(c)}; Path=/api/auth; Max-Age=0`);
    return c.json({ signedOut: true });
  },
);

const userOnly = (c: Context<AppEnv>) => {
  const p = c.get("principal");
  if (!p.userId) throw new AppError(403, "USER_REQUIRED", "this route is for a signed-in user's access token");
  return p;
};

app.use("/logout-all", authenticate());
app.openapi(
  createRoute({
    method: "post",
    path: "/logout-all",
    tags: ["Auth"],
    security: bearer,
    summary: "Sign out every session of the signed-in user",
    responses: ok("Signed out"),
  }),
  async (c) => {
    const p = userOnly(c);
    await audited(
      c,
      p.tenant,
      "auth.logout-all",
      () => `user:${p.userId}`,
      null,
      () => identityOf(c.env, p.tenant).revokeAll(p.userId!),
    );
    forgetSession(p.tenant, p.userId!);
    return c.json({ signedOut: true });
  },
);

app.use("/me", authenticate());
app.openapi(
  createRoute({
    method: "get",
    path: "/me",
    tags: ["Auth"],
    security: bearer,
    summary: "Who the credential is: user or key, tenant, role, collections",
    responses: ok("The identity"),
  }),
  async (c) => {
    const p = c.get("principal");
    const user = p.userId ? await identityOf(c.env, p.tenant).getUser(p.userId) : null;
    return c.json({
      tenant: p.tenant,
      role: p.customRole?.name ?? p.role,
      collections: p.collections,
      keyId: p.keyId,
      user,
      superAdmin: p.superAdmin,
    });
  },
);

app.use("/signing-keys/rotate", authenticate());
app.openapi(
  createRoute({
    method: "post",
    path: "/signing-keys/rotate",
    tags: ["Auth"],
    security: bearer,
    summary: "Start signing with a new key; tokens signed with the old one stay valid until they expire",
    responses: ok("The new key id"),
  }),
  async (c) => {
    if (!c.get("principal").superAdmin)
      throw new AppError(403, "FORBIDDEN", "only the admin token rotates signing keys");
    return c.json(await rotateSigningKey(c.env));
  },
);

/** The public keys of access tokens, for anyone who verifies them. */
export const wellKnown = resourceApp();
wellKnown.openapi(
  createRoute({
    method: "get",
    path: "/jwks.json",
    tags: ["Auth"],
    security: [],
    summary: "JSON Web Key Set of the access tokens' signing keys",
    responses: ok("JWKS"),
  }),
  async (c) => c.json(await jwks(c.env), 200, { "Cache-Control": "public, max-age=300" }),
);

export default app;
