import type { Context, MiddlewareHandler } from "hono";
import type { AppEnv } from "../app-env";
import { AppError } from "../lib/errors";
import { checkTenant } from "../lib/names";
import { keyTenant, type Principal } from "../lib/roles";
import { storeFor } from "../store";
import { policed } from "../store/policed";
import { identityOf, registryOf } from "../stubs";
import { sha256Hex } from "../lib/hash";
import { ISSUER, verifyAccessToken } from "../auth/tokens";
import { isExternalJwt, verifyExternalToken } from "../auth/oidc";
import { isBuiltIn, principalRole } from "../auth/custom-roles";
import { enforceQuotas } from "./quotas";
import { addressedDatabase } from "../store/databases";
import { noteTenant } from "../tenants";
import { authorizeDatabase } from "../lib/access";

const CACHE_TTL_MS = 30_000;
/**
 * Verified keys per isolate, so a hot key costs one registry round trip per 30 s rather than one per request. Both
 * maps are bounded and evict their oldest entry: wrong tokens are kept apart, so a flood of them cannot push the
 * valid keys out.
 */
const MAX_VALID = 1_000;
const MAX_INVALID = 256;
const validKeys = new Map<string, { principal: Principal; roleName: string; expires: number }>();
const invalidKeys = new Map<string, number>();

function remember<V>(map: Map<string, V>, key: string, value: V, max: number) {
  map.delete(key);
  if (map.size >= max) map.delete(map.keys().next().value!);
  map.set(key, value);
}

export function forgetKey(hash?: string) {
  if (hash) {
    validKeys.delete(hash);
    invalidKeys.delete(hash);
  } else {
    validKeys.clear();
    invalidKeys.clear();
  }
}

/** For tests: how many verified-key entries the isolate holds. */
export function keyCacheSize(): number {
  return validKeys.size + invalidKeys.size;
}

const encoder = new TextEncoder();

let adminBytes: { token: string; bytes: Uint8Array } | undefined;

/** The runtime's constant-time comparison; a length mismatch returns early, revealing only the token's length. */
function isAdminToken(token: string, admin: string): boolean {
  if (adminBytes?.token !== admin) adminBytes = { token: admin, bytes: encoder.encode(admin) };
  const given = encoder.encode(token);
  if (given.byteLength !== adminBytes.bytes.byteLength) return false;
  return crypto.subtle.timingSafeEqual(given, adminBytes.bytes);
}

/** Bearer everywhere; the Data API's own `apiKey` / `api-key` headers and Basic (password = key) where `dataApi` is set. */
function extractToken(c: Context<AppEnv>, dataApi: boolean): string | null {
  const authz = c.req.header("authorization");
  if (authz) {
    const [scheme, value] = authz.split(/\s+/, 2);
    if (/^bearer$/i.test(scheme) && value) return value;
    if (dataApi && /^basic$/i.test(scheme) && value) {
      try {
        const decoded = atob(value);
        return decoded.slice(decoded.indexOf(":") + 1) || null;
      } catch {
        return null;
      }
    }
  }
  if (dataApi) return c.req.header("apiKey") ?? c.req.header("api-key") ?? null;
  return null;
}

async function verifyApiKey(env: Env, token: string): Promise<Principal | null> {
  const tenant = keyTenant(token);
  if (!tenant) return null;
  const hash = await sha256Hex(token);
  const now = Date.now();
  const cached = validKeys.get(hash);
  if (cached && cached.expires > now) return withRole(env, cached.principal, cached.roleName);
  if ((invalidKeys.get(hash) ?? 0) > now) return null;
  const registry = registryOf(env, tenant);
  const record = await registry.verifyKey(hash);
  if (!record) {
    remember(invalidKeys, hash, now + CACHE_TTL_MS, MAX_INVALID);
    return null;
  }
  const principal: Principal = {
    tenant,
    role: isBuiltIn(record.role) ? record.role : "read",
    collections: record.collections,
    databases: record.databases,
    keyId: record.id,
    superAdmin: false,
  };
  remember(validKeys, hash, { principal, roleName: record.role, expires: now + CACHE_TTL_MS }, MAX_VALID);
  return withRole(env, principal, record.role);
}

/** A custom role is looked up per request (cached per isolate, versioned), so edits to it apply at once. */
async function withRole(env: Env, principal: Principal, roleName: string): Promise<Principal> {
  if (isBuiltIn(roleName)) return principal;
  return { ...principal, ...(await principalRole(env, principal.tenant, roleName)) };
}

/** Users' session states per isolate (30 s, bounded): a JWT is checked against its user's current session version. */
const sessions = new Map<
  string,
  { state: { version: number; disabled: boolean; role: string; collections: string[] | null } | null; expires: number }
>();

export function forgetSession(tenant: string, userId: string) {
  sessions.delete(`${tenant}/${userId}`);
}

const JWT_SHAPE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;

/** A user's access token: verified, then refused if its session was revoked or the user disabled since it was issued. */
async function verifyUserToken(env: Env, token: string): Promise<Principal> {
  const claims = await verifyAccessToken(env, token);
  const key = `${claims.tenant}/${claims.sub}`;
  const now = Date.now();
  let entry = sessions.get(key);
  if (!entry || entry.expires <= now) {
    entry = {
      state: await identityOf(env, checkTenant(claims.tenant)).sessionState(claims.sub),
      expires: now + CACHE_TTL_MS,
    };
    remember(sessions, key, entry, MAX_VALID);
  }
  const state = entry.state;
  if (!state || state.disabled || state.version !== claims.sv) {
    throw new AppError(401, "TOKEN_REVOKED", "the session of this access token was signed out; sign in again");
  }
  return withRole(
    env,
    {
      tenant: claims.tenant,
      role: isBuiltIn(state.role) ? state.role : "read",
      collections: state.collections,
      keyId: null,
      userId: claims.sub,
      superAdmin: false,
    },
    state.role,
  );
}

/** A token from the tenant's trusted OpenID Connect issuer; the tenant is named by X-Docflare-Tenant. */
async function verifyIssuerToken(env: Env, tenantHeader: string | undefined, token: string): Promise<Principal> {
  if (!tenantHeader) {
    throw new AppError(
      401,
      "TOKEN_CLAIM_INVALID",
      `the access token's "iss" claim is not accepted; a token from a tenant's external issuer needs X-Docflare-Tenant`,
    );
  }
  const tenant = checkTenant(tenantHeader);
  const identity = await verifyExternalToken(env, tenant, token);
  if (isBuiltIn(identity.role)) {
    return {
      tenant,
      role: identity.role,
      collections: null,
      keyId: null,
      userId: identity.subject,
      claims: identity.claims,
      superAdmin: false,
    };
  }
  return {
    tenant,
    collections: null,
    keyId: null,
    userId: identity.subject,
    claims: identity.claims,
    superAdmin: false,
    ...(await principalRole(env, tenant, identity.role)),
  };
}

/** Resolves the caller to a tenant and role, or answers 401. The admin token picks a tenant with X-Docflare-Tenant. */
export function authenticate(options: { dataApi?: boolean } = {}): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const token = extractToken(c, !!options.dataApi);
    if (!token) {
      throw new AppError(
        401,
        "UNAUTHENTICATED",
        "credentials are required: send Authorization: Bearer <token>",
        undefined,
      );
    }
    let principal: Principal | null = null;
    if (c.env.ADMIN_TOKEN && isAdminToken(token, c.env.ADMIN_TOKEN)) {
      const tenant = checkTenant(c.req.header("x-docflare-tenant") ?? "default");
      principal = { tenant, role: "admin", collections: null, keyId: null, superAdmin: true };
    } else if (JWT_SHAPE.test(token)) {
      principal = isExternalJwt(token, ISSUER)
        ? await verifyIssuerToken(c.env, c.req.header("x-docflare-tenant"), token)
        : await verifyUserToken(c.env, token);
    } else {
      principal = await verifyApiKey(c.env, token);
    }
    if (!principal) throw new AppError(401, "INVALID_CREDENTIALS", "the token is not valid or has been revoked");
    c.set("principal", principal);
    await noteTenant(c.env, principal.tenant);
    const addressed = await addressedDatabase(c.env, principal, c.req.header("x-docflare-database"));
    c.set("database", addressed);
    c.set("store", (database?: string) => {
      const name = database ?? addressed;
      authorizeDatabase(principal, name);
      return policed(storeFor(c.env, principal.tenant, name), principal);
    });
    await enforceQuotas(c, next);
  };
}
