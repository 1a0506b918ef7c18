import { auditOf } from "./stubs";
import type { AuditEntry } from "./lib/records";
import type { Context, MiddlewareHandler } from "hono";
import type { AppEnv } from "./app-env";
import type { AuditDO } from "../durable-objects/audit";
import type { Principal } from "./lib/roles";
import { envNumber } from "./lib/env-number";
import { log } from "./log";

export function actorOf(p: Principal | undefined): string {
  if (!p) return "anonymous";
  if (p.superAdmin) return "admin-token";
  if (p.userId) return `user:${p.userId}`;
  return p.keyId ? `key:${p.keyId}` : "anonymous";
}

/** Writes one entry; an audit failure is logged loudly but does not undo the change it describes. */
export async function recordAudit(env: Env, tenant: string, entry: AuditEntry): Promise<void> {
  try {
    await auditOf(env, tenant).record(entry, envNumber(env.AUDIT_RETENTION_DAYS, 90));
  } catch (err) {
    log("error", "audit entry could not be written", { tenant, action: entry.action, error: String(err) });
  }
}

export function clientOf(c: Context<AppEnv>): { client: string | null; userAgent: string | null } {
  return {
    client: c.req.header("cf-connecting-ip") ?? null,
    userAgent: c.req.header("user-agent")?.slice(0, 300) ?? null,
  };
}

/**
 * Every change to the control plane (keys, users, collections, indexes, webhooks, scripts, signing keys) is
 * recorded after it ran, refused ones included: who, from where, which route and target, and the outcome.
 */
export const auditChanges: MiddlewareHandler<AppEnv> = async (c, next) => {
  await next();
  if (c.req.method === "GET" || c.req.method === "HEAD" || c.req.method === "OPTIONS") return;
  const principal = c.get("principal") as Principal | undefined;
  if (!principal) return;
  const params = c.req.param() as Record<string, string>;
  const target = params.id ?? params.name ?? params.index ?? null;
  await recordAudit(c.env, principal.tenant, {
    actor: actorOf(principal),
    ...clientOf(c),
    action: `${c.req.method} ${c.req.routePath}`,
    target,
    status: c.res.status,
    code: c.get("errorCode") ?? null,
    details: Object.keys(params).length ? params : null,
  });
};
