// The cost of signing in and of checking an access token, against baselines measured in the same run:
// a password check (PBKDF2-HMAC-SHA256, 100,000 iterations, worker/lib/password.ts) against one SHA-256 of the same
// input (what an API key check costs), and an ES256 JWT verification (worker/auth/tokens.ts) against the same SHA-256.
// Runs the project's own modules in Node's WebCrypto, which is the same BoringSSL-class native code workerd uses.
// Usage: npm run bench:auth [-- --logins 20 --verifies 2000]
import { build } from "esbuild";
import { mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { timed } from "./timing.mjs";
import { SignJWT, exportJWK, generateKeyPair, importJWK, jwtVerify } from "jose";

const { values: args } = parseArgs({
  options: { logins: { type: "string", default: "20" }, verifies: { type: "string", default: "2000" } },
});
const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const out = join(root, "bench/.build/password.mjs");
mkdirSync(dirname(out), { recursive: true });
await build({
  entryPoints: [join(root, "worker/lib/password.ts")],
  bundle: true,
  format: "esm",
  platform: "node",
  outfile: out,
  logLevel: "error",
});
const { hashPassword, verifyPassword, PBKDF2_ITERATIONS } = await import(pathToFileURL(out).href);
if (!crypto.subtle.timingSafeEqual) crypto.subtle.timingSafeEqual = (a, b) => a.every((x, i) => x === b[i]);

const sha = (text) => crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));

const stored = await hashPassword("correct horse battery");
const logins = Number(args.logins);
const verifies = Number(args.verifies);
const baseline = await timed(verifies, (i) => sha(`dfk_bench_${i}`));
const login = await timed(logins, () => verifyPassword("correct horse battery", stored));

const { publicKey, privateKey } = await generateKeyPair("ES256", { extractable: true });
const pub = await importJWK({ ...(await exportJWK(publicKey)) }, "ES256");
const token = await new SignJWT({ sub: "usr_1", tenant: "bench", role: "read", collections: null, sv: 1 })
  .setProtectedHeader({ alg: "ES256", kid: "k1", typ: "at+jwt" })
  .setIssuer("docflare")
  .setAudience("docflare-api")
  .setIssuedAt()
  .setExpirationTime("15m")
  .sign(privateKey);
const verify = await timed(verifies, () =>
  jwtVerify(token, pub, { issuer: "docflare", audience: "docflare-api", algorithms: ["ES256"] }),
);

const f = (x) => x.toFixed(3);
console.log(`baseline: SHA-256 of a key          p50 ${f(baseline.p50)} ms  p99 ${f(baseline.p99)} ms`);
console.log(
  `login: PBKDF2-SHA256 x${PBKDF2_ITERATIONS}       p50 ${f(login.p50)} ms  p99 ${f(login.p99)} ms  (${Math.round(login.p50 / baseline.p50)}x the baseline)`,
);
console.log(
  `per request: ES256 JWT verification  p50 ${f(verify.p50)} ms  p99 ${f(verify.p99)} ms  (${(verify.p50 / baseline.p50).toFixed(1)}x the baseline)`,
);
