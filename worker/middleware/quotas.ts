import type { Context, MiddlewareHandler } from "hono";
import type { AppEnv } from "../app-env";
import { AppError } from "../lib/errors";
import { QuotaConfig, quotaSubjects, rateLimitHeaders, type QuotaAnswer, type QuotaSubject } from "../lib/quota";
import { versionedCache } from "../versioned-cache";
import { quotaOf, registryOf } from "../stubs";
import type { QuotaDO } from "../../durable-objects/quota";

/** A tenant's quotas per isolate, reread only when the registry's version moves (asked at most once a second). */
export const quotaCache = versionedCache<QuotaConfig>(
  (env, tenant) => registryOf(env, tenant).settingVersion("quotas"),
  async (env, tenant) => {
    const snap = await registryOf(env, tenant).settingSnapshot("quotas");
    return { version: snap.version, items: snap.value ? [QuotaConfig.parse(JSON.parse(snap.value))] : [] };
  },
);

const READ_PATHS =
  /\/(query|aggregate|count)$|\/action\/(find|findOne|aggregate|listCollections|listIndexes|collStats)$/;

/** Whether a request changes data, for the `writes` figure: any non-GET except the read-only POST routes. */
export function isWrite(c: Context<AppEnv>): boolean {
  return c.req.method !== "GET" && c.req.method !== "HEAD" && !READ_PATHS.test(c.req.path);
}

/**
 * Enforces the tenant's request quotas (exact, fixed windows, one counter object per subject) and answers with the
 * IETF RateLimit headers; past a figure, 429 with Retry-After. A tenant without quotas costs a cached lookup only.
 */
export const enforceQuotas: MiddlewareHandler<AppEnv> = async (c, next) => {
  const principal = c.get("principal");
  if (principal.superAdmin) return next();
  const [config] = (await quotaCache.get(c.env, principal.tenant)).items;
  if (!config) return next();
  const subjects = quotaSubjects(config, principal, c.req.header("cf-connecting-ip") ?? "local");
  if (subjects.length === 0) return next();
  const write = isWrite(c);
  const answers = await Promise.all(subjects.map((s) => quotaOf(c.env, principal.tenant, s.id).hit(s.rule, write)));
  const items: Array<{ subject: QuotaSubject; answer: QuotaAnswer; write: boolean }> = [];
  subjects.forEach((subject, i) => {
    items.push({ subject, answer: answers[i].requests, write: false });
    if (answers[i].writes) items.push({ subject, answer: answers[i].writes!, write: true });
  });
  const headers = rateLimitHeaders(items);
  const refused = items.filter((i) => !i.answer.ok);
  if (refused.length > 0) {
    const retry = Math.max(...refused.map((i) => i.answer.resetSeconds));
    for (const [k, v] of Object.entries({ ...headers, "Retry-After": String(retry) })) c.header(k, v);
    throw new AppError(
      429,
      "QUOTA_EXCEEDED",
      `request quota exceeded (${refused.map((i) => `${i.subject.name}${i.write ? " writes" : ""}: ${i.answer.limit} per ${i.subject.rule.windowSeconds} s`).join("; ")}); retry in ${retry} s`,
      {
        retryAfterSeconds: retry,
      },
    );
  }
  await next();
  // Some routes build their Response directly; a copy has headers that can always be set.
  c.res = new Response(c.res.body, c.res);
  for (const [k, v] of Object.entries(headers)) c.res.headers.set(k, v);
};
