import type { ErrorCode } from "../lib/error-codes";
import { SYSTEM_IDENTITY, identityOf } from "../stubs";
import type { SigningKey } from "../lib/records";
import {
  SignJWT,
  createLocalJWKSet,
  errors,
  exportJWK,
  generateKeyPair,
  importJWK,
  jwtVerify,
  type JWK,
  type JWTPayload,
} from "jose";
import { AppError } from "../lib/errors";

/** Access tokens: ES256 JWTs of 15 minutes, with `kid`; the public keys at /.well-known/jwks.json. */
export const ACCESS_TTL_S = 15 * 60;
export const REFRESH_TTL_MS = 7 * 86_400_000;
export const ISSUER = "docflare";
export const AUDIENCE = "docflare-api";
const ALG = "ES256";
/** A retired key stays published this long, past the life of every token it signed. */
const KEEP_RETIRED_MS = 2 * ACCESS_TTL_S * 1000;
/** Keys are reread at most this often when a token names a kid not seen yet. */
const REFRESH_KEYS_MS = 5_000;

export interface AccessClaims extends JWTPayload {
  sub: string;
  tenant: string;
  role: string;
  collections: string[] | null;
  /** The user's session version when the token was issued: a logout-all or a disable moves it on. */
  sv: number;
}

let cache: { keys: SigningKey[]; readAt: number; jwks: ReturnType<typeof createLocalJWKSet> } | undefined;

function publicJwk(k: SigningKey): JWK {
  return { ...(k.publicJwk as JWK), kid: k.kid, alg: ALG, use: "sig" };
}

async function loadKeys(env: Env, force = false): Promise<SigningKey[]> {
  if (cache && !force) return cache.keys;
  if (cache && force && Date.now() - cache.readAt < REFRESH_KEYS_MS) return cache.keys;
  let keys = await identityOf(env, SYSTEM_IDENTITY).signingKeys();
  if (!keys.some((k) => k.retiredAt === null))
    keys = await identityOf(env, SYSTEM_IDENTITY).addSigningKey(await newKey(), false, KEEP_RETIRED_MS);
  cache = { keys, readAt: Date.now(), jwks: createLocalJWKSet({ keys: keys.map(publicJwk) }) };
  return keys;
}

async function newKey(): Promise<{ kid: string; publicJwk: JsonWebKey; privateJwk: JsonWebKey }> {
  const { publicKey, privateKey } = await generateKeyPair(ALG, { extractable: true });
  return {
    kid: `k_${crypto.randomUUID().replaceAll("-", "").slice(0, 16)}`,
    publicJwk: (await exportJWK(publicKey)) as JsonWebKey,
    privateJwk: (await exportJWK(privateKey)) as JsonWebKey,
  };
}

/** A new signing key; the previous one keeps verifying until its tokens have expired, so nobody is logged out. */
export async function rotateSigningKey(env: Env): Promise<{ kid: string }> {
  const key = await newKey();
  const keys = await identityOf(env, SYSTEM_IDENTITY).addSigningKey(key, true, KEEP_RETIRED_MS);
  cache = { keys, readAt: Date.now(), jwks: createLocalJWKSet({ keys: keys.map(publicJwk) }) };
  return { kid: key.kid };
}

export async function jwks(env: Env): Promise<{ keys: JWK[] }> {
  return { keys: (await loadKeys(env, true)).map(publicJwk) };
}

export async function issueAccessToken(env: Env, claims: Omit<AccessClaims, "iat" | "exp">): Promise<string> {
  const active =
    (await loadKeys(env)).find((k) => k.retiredAt === null) ??
    (await loadKeys(env, true)).find((k) => k.retiredAt === null)!;
  const key = await importJWK(active.privateJwk as JWK, ALG);
  return new SignJWT({ ...claims })
    .setProtectedHeader({ alg: ALG, kid: active.kid, typ: "at+jwt" })
    .setIssuer(ISSUER)
    .setAudience(AUDIENCE)
    .setIssuedAt()
    .setExpirationTime(`${ACCESS_TTL_S}s`)
    .setJti(crypto.randomUUID())
    .sign(key);
}

const refused = (code: ErrorCode, message: string) => new AppError(401, code, message);

/**
 * Verifies an access token (RFC 8725): ES256 only (so `alg: none` and HMAC are refused), a known `kid`, the
 * signature, `iss`, `aud`, `exp` and `nbf`. Revocation (the session version) is checked by the caller.
 */
export async function verifyAccessToken(env: Env, token: string): Promise<AccessClaims> {
  await loadKeys(env);
  const attempt = () =>
    jwtVerify<AccessClaims>(token, cache!.jwks, {
      issuer: ISSUER,
      audience: AUDIENCE,
      algorithms: [ALG],
      typ: "at+jwt",
    });
  try {
    try {
      return (await attempt()).payload;
    } catch (err) {
      if (!(err instanceof errors.JWKSNoMatchingKey)) throw err;
      await loadKeys(env, true);
      return (await attempt()).payload;
    }
  } catch (err) {
    throw tokenRefusal(err, ALG);
  }
}

/** Why a JWT was refused, as a 401 with a stable code (shared by Docflare's own tokens and an external issuer's). */
export function tokenRefusal(err: unknown, algorithms: string): AppError {
  if (err instanceof errors.JWTExpired) return refused("TOKEN_EXPIRED", "the access token has expired; refresh it");
  if (err instanceof errors.JWTClaimValidationFailed) {
    if (err.claim === "nbf" || err.claim === "iat")
      return refused("TOKEN_NOT_YET_VALID", "the access token is not valid yet");
    return refused("TOKEN_CLAIM_INVALID", `the access token's "${err.claim}" claim is not accepted`);
  }
  if (err instanceof errors.JOSEAlgNotAllowed)
    return refused("TOKEN_ALGORITHM_REFUSED", `only ${algorithms} tokens are accepted`);
  if (err instanceof errors.JWKSNoMatchingKey)
    return refused("TOKEN_UNKNOWN_KEY", "the access token names a signing key that is not known");
  if (err instanceof errors.JWSSignatureVerificationFailed)
    return refused("TOKEN_SIGNATURE_INVALID", "the access token's signature does not verify");
  return refused("TOKEN_INVALID", "the access token is malformed");
}
