import { registryOf, SYSTEM_REGISTRY } from "./stubs";

/** Tenants this isolate has already put in the system directory; the directory write happens once per isolate. */
const noted = new Set<string>();

/** Puts a tenant in the system directory the first time this isolate serves it. */
export async function noteTenant(env: Env, tenant: string): Promise<void> {
  if (noted.has(tenant)) return;
  await registryOf(env, SYSTEM_REGISTRY).noteTenant(tenant);
  if (noted.size >= 10_000) noted.clear();
  noted.add(tenant);
}

export async function knownTenants(env: Env): Promise<string[]> {
  return registryOf(env, SYSTEM_REGISTRY).tenants();
}
