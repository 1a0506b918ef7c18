import { z } from "@hono/zod-openapi";
import { createRemoteJWKSet, decodeJwt, jwtVerify, type JWTPayload } from "jose";
import { AppError } from "../lib/errors";
import { checkOutboundUrl } from "../lib/ssrf";
import { registryOf } from "../stubs";
import { versionedCache } from "../versioned-cache";
import { outboundPolicy } from "../webhooks/settings";
import { tokenRefusal } from "./tokens";

/**
 * External identity: a tenant may trust JWTs from an OpenID Connect issuer. The issuer's keys come from its JWKS
 * URL (fetched and cached per isolate by jose); a claim (`roles` by default, a dotted path, a string or a list) is
 * mapped to a Docflare role, built-in or custom. Which tenant a token is for is the request's X-Docflare-Tenant.
 */
export const OidcConfig = z.object({
  issuer: z.string().url().max(500),
  audience: z.string().min(1).max(500),
  jwksUrl: z.string().url().max(2000),
  roleClaim: z.string().min(1).max(200).default("roles"),
  roleMap: z.record(z.string().max(200), z.string().max(40)).default({}),
  defaultRole: z
    .string()
    .max(40)
    .nullable()
    .default(null)
    .openapi({ description: "role for tokens whose claim maps to none; null refuses them" }),
});
export type OidcConfig = z.infer<typeof OidcConfig>;

/** Asymmetric algorithms only: an HMAC token would be signed with a secret the issuer shares with nobody here. */
const ALGORITHMS = ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"];

export const oidcCache = versionedCache<OidcConfig>(
  (env, tenant) => registryOf(env, tenant).settingVersion("oidc"),
  async (env, tenant) => {
    const snap = await registryOf(env, tenant).settingSnapshot("oidc");
    return { version: snap.version, items: snap.value ? [OidcConfig.parse(JSON.parse(snap.value))] : [] };
  },
);

const keySets = new Map<string, ReturnType<typeof createRemoteJWKSet>>();
function keySet(url: string) {
  let set = keySets.get(url);
  if (!set) {
    if (keySets.size >= 100) keySets.delete(keySets.keys().next().value!);
    set = createRemoteJWKSet(new URL(url), { timeoutDuration: 5000, cooldownDuration: 30_000, cacheMaxAge: 600_000 });
    keySets.set(url, set);
  }
  return set;
}

export function checkJwksUrl(env: Env, url: string): void {
  try {
    checkOutboundUrl(url, outboundPolicy(env));
  } catch (err) {
    throw new AppError(400, "INVALID_JWKS_URL", `jwksUrl: ${(err as Error).message}`, { field: "jwksUrl" });
  }
}

/** True when a bearer token is a JWT from some other issuer than Docflare itself. */
export function isExternalJwt(token: string, ownIssuer: string): boolean {
  if (token.split(".").length !== 3) return false;
  try {
    return decodeJwt(token).iss !== ownIssuer;
  } catch {
    return false;
  }
}

function claimAt(payload: JWTPayload, path: string): unknown {
  let cur: unknown = payload;
  for (const part of path.split("."))
    cur = cur && typeof cur === "object" ? (cur as Record<string, unknown>)[part] : undefined;
  return cur;
}

/** The role a verified token's claim maps to: the first of its values that the map names, else the default. */
export function mappedRole(config: OidcConfig, payload: JWTPayload): string | null {
  const raw = claimAt(payload, config.roleClaim);
  const values = Array.isArray(raw) ? raw : raw === undefined ? [] : [raw];
  for (const v of values) if (typeof v === "string" && config.roleMap[v]) return config.roleMap[v];
  return config.defaultRole;
}

export interface ExternalIdentity {
  subject: string;
  role: string;
  claims: Record<string, unknown>;
}

/** Verifies an external token for a tenant (RFC 8725: issuer, audience, expiry, asymmetric algorithm, known key). */
export async function verifyExternalToken(env: Env, tenant: string, token: string): Promise<ExternalIdentity> {
  const [config] = (await oidcCache.get(env, tenant)).items;
  if (!config) throw new AppError(401, "TOKEN_ISSUER_UNKNOWN", `tenant "${tenant}" trusts no external issuer`);
  let payload: JWTPayload;
  try {
    payload = (
      await jwtVerify(token, keySet(config.jwksUrl), {
        issuer: config.issuer,
        audience: config.audience,
        algorithms: ALGORITHMS,
        requiredClaims: ["sub", "exp"],
      })
    ).payload;
  } catch (err) {
    if (
      (err as { code?: string }).code === "ERR_JWKS_TIMEOUT" ||
      (err as { code?: string }).code === "ERR_JOSE_GENERIC"
    ) {
      throw new AppError(503, "ISSUER_KEYS_UNAVAILABLE", "the issuer's keys could not be fetched; try again");
    }
    throw tokenRefusal(err, "an asymmetric algorithm (RS*, PS*, ES*, EdDSA)");
  }
  const role = mappedRole(config, payload);
  if (!role)
    throw new AppError(403, "NO_ROLE_MAPPED", `the token's "${config.roleClaim}" claim maps to no role of this tenant`);
  return { subject: String(payload.sub), role, claims: payload as Record<string, unknown> };
}
