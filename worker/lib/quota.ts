import { z } from "@hono/zod-openapi";
import type { Principal, Role } from "./roles";

/** A request quota: at most `requests` per window, of which at most `writes` may change data. */
export const QuotaRule = z
  .object({
    requests: z.number().int().min(1).max(1_000_000),
    writes: z.number().int().min(1).max(1_000_000).optional(),
    windowSeconds: z.number().int().min(1).max(86_400),
  })
  .strict();
export type QuotaRule = z.infer<typeof QuotaRule>;

/** Per tenant: per API key, per user, per client address, and per role (a role's figure replaces the key's or user's). */
export const QuotaConfig = z
  .object({
    perKey: QuotaRule.optional(),
    perUser: QuotaRule.optional(),
    perClient: QuotaRule.optional(),
    roles: z
      .object({ read: QuotaRule.optional(), write: QuotaRule.optional(), admin: QuotaRule.optional() })
      .strict()
      .optional(),
  })
  .strict();
export type QuotaConfig = z.infer<typeof QuotaConfig>;

export interface QuotaSubject {
  /** The policy's name in the RateLimit headers. */
  name: "key" | "user" | "client";
  /** Who is counted: `key:<id>`, `user:<id>`, `client:<address>`. */
  id: string;
  rule: QuotaRule;
}

/** Which counters a request goes against. The admin token is the operator's and counts against none. */
export function quotaSubjects(config: QuotaConfig, p: Principal, client: string): QuotaSubject[] {
  if (p.superAdmin) return [];
  const out: QuotaSubject[] = [];
  const byRole = config.roles?.[p.role as Role];
  if (p.keyId) {
    const rule = byRole ?? config.perKey;
    if (rule) out.push({ name: "key", id: `key:${p.keyId}`, rule });
  }
  if (p.userId) {
    const rule = byRole ?? config.perUser;
    if (rule) out.push({ name: "user", id: `user:${p.userId}`, rule });
  }
  if (config.perClient) out.push({ name: "client", id: `client:${client}`, rule: config.perClient });
  return out;
}

export interface QuotaAnswer {
  ok: boolean;
  /** What is left in the window of the figure that applied (requests, or writes for a write). */
  remaining: number;
  limit: number;
  resetSeconds: number;
}

/** The fixed window a moment falls in, and the seconds until it ends. */
export function windowOf(now: number, windowSeconds: number): { start: number; resetSeconds: number } {
  const size = windowSeconds * 1000;
  const start = Math.floor(now / size) * size;
  return { start, resetSeconds: Math.max(1, Math.ceil((start + size - now) / 1000)) };
}

/** IETF draft-ietf-httpapi-ratelimit-headers: `RateLimit-Policy` and `RateLimit`, one item per policy. */
export function rateLimitHeaders(
  items: Array<{ subject: QuotaSubject; answer: QuotaAnswer; write: boolean }>,
): Record<string, string> {
  const name = (i: { subject: QuotaSubject; write: boolean }) => `"${i.subject.name}${i.write ? "-writes" : ""}"`;
  return {
    "RateLimit-Policy": items.map((i) => `${name(i)};q=${i.answer.limit};w=${i.subject.rule.windowSeconds}`).join(", "),
    RateLimit: items
      .map((i) => `${name(i)};r=${Math.max(0, i.answer.remaining)};t=${i.answer.resetSeconds}`)
      .join(", "),
  };
}
