import type { Context, MiddlewareHandler } from "hono";
import type { AppEnv } from "../app-env";
import { AppError } from "../lib/errors";
import { checkTenant } from "../lib/names";
import { keyTenant, type Principal } from "../lib/roles";
import { storeFor } from "../store";
import { policed } from "../store/policed";
import { registryOf } from "../registry";

const CACHE_TTL_MS = 30_000;
/** Verified keys per isolate, so a hot key costs one registry round trip per 30 s rather than one per request. */
const keyCache = new Map<string, { principal: Principal | null; expires: number }>();

export function forgetKey(hash?: string) {
  if (hash) keyCache.delete(hash);
  else keyCache.clear();
}

const encoder = new TextEncoder();

export async function sha256Hex(text: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", encoder.encode(text));
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/**
 * Constant-time for equal lengths; a length mismatch returns early, which reveals only the token's length. Compared
 * as UTF-16 code units in plain JS: encoding both sides to bytes would allocate two buffers on every request.
 */
function isAdminToken(token: string, admin: string): boolean {
  if (token.length !== admin.length) return false;
  let diff = 0;
  for (let i = 0; i < admin.length; i++) diff |= token.charCodeAt(i) ^ admin.charCodeAt(i);
  return diff === 0;
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
  const cached = keyCache.get(hash);
  if (cached && cached.expires > Date.now()) return cached.principal;
  const registry = registryOf(env, tenant);
  const record = await registry.verifyKey(hash);
  const principal: Principal | null = record
    ? { tenant, role: record.role, collections: record.collections, keyId: record.id, superAdmin: false }
    : null;
  keyCache.set(hash, { principal, expires: Date.now() + CACHE_TTL_MS });
  return principal;
}

/** Resolves the caller to a tenant and role, or answers 401. The admin token picks a tenant with X-Docflare-Tenant. */
export function authenticate(options: { dataApi?: boolean } = {}): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const token = extractToken(c, !!options.dataApi);
    if (!token) {
      throw new AppError(401, "UNAUTHENTICATED", "credentials are required: send Authorization: Bearer <token>", undefined);
    }
    let principal: Principal | null = null;
    if (c.env.ADMIN_TOKEN && isAdminToken(token, c.env.ADMIN_TOKEN)) {
      const tenant = checkTenant(c.req.header("x-docflare-tenant") ?? "default");
      principal = { tenant, role: "admin", collections: null, keyId: null, superAdmin: true };
    } else {
      principal = await verifyApiKey(c.env, token);
    }
    if (!principal) throw new AppError(401, "INVALID_CREDENTIALS", "the token is not valid or has been revoked");
    c.set("principal", principal);
    c.set("store", (database?: string) => policed(storeFor(c.env, principal.tenant, database)));
    await next();
  };
}
