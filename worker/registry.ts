/** The tenant's control-plane object (API keys, webhooks). */
export function registryOf(env: Env, tenant: string) {
  return env.REGISTRY.get(env.REGISTRY.idFromName(tenant));
}
