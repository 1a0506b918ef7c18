/** The tenant's control-plane object (API keys, webhooks, scripts). */
export function registryOf(env: Env, tenant: string) {
  return env.REGISTRY.get(env.REGISTRY.idFromName(tenant));
}

/** Not a tenant name (tenant names cannot start with "_"): holds the directory of tenants with cron scripts. */
export const SYSTEM_REGISTRY = "__system__";

export function schedulerOf(env: Env, tenant: string) {
  return env.SCHEDULER.get(env.SCHEDULER.idFromName(tenant));
}

/** A tenant's lock object of one name (names starting with "docflare:" are Docflare's own). */
export function lockOf(env: Env, tenant: string, name: string) {
  return env.LOCK.get(env.LOCK.idFromName(`${tenant}/${name}`));
}

export function scriptStub(env: Env, tenant: string, scriptId: string) {
  return env.SCRIPT.get(env.SCRIPT.idFromName(`${tenant}/${scriptId}`));
}
