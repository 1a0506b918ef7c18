import { TENANT_NAME } from "../lib/names";
import { identityOf } from "../stubs";
import type { UserRecord } from "../lib/records";
import { AppError } from "../lib/errors";
import { checkTenant } from "../lib/names";
import { sha256Hex } from "../lib/hash";
import { DUMMY_HASH, verifyPassword } from "../lib/password";
import { THROTTLE } from "../lib/throttle";
import { recordAudit } from "../audit";

export interface ClientInfo {
  client: string | null;
  userAgent: string | null;
}
import { ACCESS_TTL_S, REFRESH_TTL_MS, issueAccessToken } from "./tokens";

/** Refresh tokens carry their tenant, so a refresh is routed to the right IdentityDO before the token is checked. */
const REFRESH_PATTERN = new RegExp(`^dfr_(${TENANT_NAME})_([A-Za-z0-9_-]{43})$`);

function newRefreshToken(tenant: string): string {
  const bytes = crypto.getRandomValues(new Uint8Array(32));
  return `dfr_${tenant}_${btoa(String.fromCharCode(...bytes))
    .replace(/\+/g, "-")
    .replace(/\//g, "_")
    .replace(/=+$/, "")}`;
}

export interface Session {
  accessToken: string;
  tokenType: "Bearer";
  expiresIn: number;
  refreshToken: string;
  user: UserRecord;
  tenant: string;
}

async function issue(
  env: Env,
  tenant: string,
  user: UserRecord,
  sessionVersion: number,
  refreshToken: string,
): Promise<Session> {
  const accessToken = await issueAccessToken(env, {
    sub: user.id,
    tenant,
    role: user.role,
    collections: user.collections,
    sv: sessionVersion,
  });
  return { accessToken, tokenType: "Bearer", expiresIn: ACCESS_TTL_S, refreshToken, user, tenant };
}

const invalidLogin = () => new AppError(401, "INVALID_LOGIN", "the email or the password is wrong");

/**
 * Signs a user in. Throttled per account and per client address (429 with Retry-After); an unknown email, a wrong
 * password and a disabled user get the same answer after the same work, so the response says nothing of which.
 */
export async function login(
  env: Env,
  tenantName: string,
  email: string,
  password: string,
  from: ClientInfo,
): Promise<Session> {
  const tenant = checkTenant(tenantName);
  const identity = identityOf(env, tenant);
  const keys = [`account:${email}`, `client:${from.client ?? "local"}`];
  const wait = await identity.throttleWait(keys);
  if (wait > 0) {
    throw new AppError(429, "LOGIN_THROTTLED", "too many failed sign-ins; try again later", { retryAfterMs: wait });
  }
  const found = await identity.credentials(email);
  const ok = await verifyPassword(password, found?.password ?? DUMMY_HASH);
  if (!found || !ok || found.user.disabled) {
    if ((await identity.loginFailed(keys)) === THROTTLE.lockAfter) {
      await recordAudit(env, tenant, {
        actor: "anonymous",
        ...from,
        action: "auth.lockout",
        target: email,
        status: 429,
        code: "LOGIN_THROTTLED",
        details: { lockedForMs: THROTTLE.lockMs },
      });
    }
    throw invalidLogin();
  }
  await identity.loginSucceeded(keys);
  const refreshToken = newRefreshToken(tenant);
  await identity.startFamily(
    found.user.id,
    `fam_${crypto.randomUUID().replaceAll("-", "")}`,
    await sha256Hex(refreshToken),
    Date.now() + REFRESH_TTL_MS,
  );
  const state = await identity.sessionState(found.user.id);
  return issue(env, tenant, found.user, state!.version, refreshToken);
}

export function tenantOfRefresh(token: string): string {
  const tenant = REFRESH_PATTERN.exec(token)?.[1];
  if (!tenant) throw new AppError(401, "REFRESH_INVALID", "the refresh token is not valid");
  return tenant;
}

const REFUSALS = {
  unknown: ["REFRESH_INVALID", "the refresh token is not valid"],
  reused: [
    "REFRESH_REUSED",
    "the refresh token was already used: every session of its family is revoked; sign in again",
  ],
  revoked: ["REFRESH_REVOKED", "the session was signed out; sign in again"],
  expired: ["REFRESH_EXPIRED", "the session has expired; sign in again"],
  disabled: ["REFRESH_REVOKED", "the session was signed out; sign in again"],
} as const;

/** Spends a refresh token for a new pair; a token presented twice revokes its whole family (RFC 9700). */
export async function refresh(env: Env, token: string): Promise<Session> {
  const tenant = tenantOfRefresh(token);
  const identity = identityOf(env, tenant);
  const next = newRefreshToken(tenant);
  const rotation = await identity.rotate(await sha256Hex(token), await sha256Hex(next), Date.now() + REFRESH_TTL_MS);
  if (!rotation.ok) {
    const [code, message] = REFUSALS[rotation.reason];
    throw new AppError(401, code, message);
  }
  const [user, state] = await Promise.all([identity.getUser(rotation.userId), identity.sessionState(rotation.userId)]);
  return issue(env, tenant, user!, state!.version, next);
}

export async function logout(env: Env, token: string): Promise<boolean> {
  const tenant = tenantOfRefresh(token);
  return identityOf(env, tenant).revokeFamilyOf(await sha256Hex(token));
}
