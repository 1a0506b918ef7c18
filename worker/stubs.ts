import type { AuditDO } from "../durable-objects/audit";
import type { IdentityDO } from "../durable-objects/identity";
import type { QuotaDO } from "../durable-objects/quota";

/*
 * How every Durable Object is named, in one place: a tenant's objects are named by the tenant, and objects of which a
 * tenant has many by `{tenant}/{name}`. (A tenant database's DatabaseDO is named in store/embedded.ts, which caches
 * its ids.)
 */

/** The tenant's control-plane object (API keys, webhooks, scripts). */
export function registryOf(env: Env, tenant: string) {
  return env.REGISTRY.get(env.REGISTRY.idFromName(tenant));
}

/** Not a tenant name (tenant names cannot start with "_"): holds the directory of tenants with cron scripts. */
export const SYSTEM_REGISTRY = "__system__";

export function schedulerOf(env: Env, tenant: string) {
  return env.SCHEDULER.get(env.SCHEDULER.idFromName(tenant));
}

/** Lock names starting with this are Docflare's own (cron leadership, migrations); clients cannot take them. */
export const RESERVED_LOCK_PREFIX = "docflare:";

/** The lock a tenant's cron coordinator holds. */
export const SCHEDULER_LOCK = `${RESERVED_LOCK_PREFIX}scheduler`;

/** A tenant's lock object of one name. */
export function lockOf(env: Env, tenant: string, name: string) {
  return env.LOCK.get(env.LOCK.idFromName(`${tenant}/${name}`));
}

export function scriptStub(env: Env, tenant: string, scriptId: string) {
  return env.SCRIPT.get(env.SCRIPT.idFromName(`${tenant}/${scriptId}`));
}

export function webhookStub(env: Env, tenant: string, webhookId: string) {
  return env.WEBHOOK.get(env.WEBHOOK.idFromName(`${tenant}/${webhookId}`));
}

/** Not a tenant name: the identity object that keeps the JWT signing keys. */
export const SYSTEM_IDENTITY = "__system__";

/** A tenant's users and sessions. */
export function identityOf(env: Env, tenant: string): DurableObjectStub<IdentityDO> {
  return env.IDENTITY.get(env.IDENTITY.idFromName(tenant)) as DurableObjectStub<IdentityDO>;
}

export function auditOf(env: Env, tenant: string): DurableObjectStub<AuditDO> {
  return env.AUDIT.get(env.AUDIT.idFromName(tenant)) as DurableObjectStub<AuditDO>;
}

/** The counter of one quota subject (a key, a user, a client address). */
export function quotaOf(env: Env, tenant: string, subjectId: string): DurableObjectStub<QuotaDO> {
  return env.QUOTA.get(env.QUOTA.idFromName(`${tenant}/${subjectId}`)) as DurableObjectStub<QuotaDO>;
}
