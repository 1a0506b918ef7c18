import { AppError } from "../lib/errors";
import { ROLES, type Role } from "../lib/roles";
import type { RoleDefinition } from "../lib/row-rules";
import { registryOf } from "../stubs";
import { versionedCache } from "../versioned-cache";

/** A tenant's custom roles per isolate, reread only when the registry's roles version moves. */
export const roleCache = versionedCache<Record<string, RoleDefinition>>(
  (env, tenant) => registryOf(env, tenant).settingVersion("roles"),
  async (env, tenant) => {
    const snap = await registryOf(env, tenant).settingSnapshot("roles");
    return {
      version: snap.version,
      items: [snap.value ? (JSON.parse(snap.value) as Record<string, RoleDefinition>) : {}],
    };
  },
);

export async function tenantRoles(env: Env, tenant: string): Promise<Record<string, RoleDefinition>> {
  return (await roleCache.get(env, tenant)).items[0] ?? {};
}

export const isBuiltIn = (name: string): name is Role => (ROLES as readonly string[]).includes(name);

/**
 * A credential's role name as the principal's fields. A custom role acts with the rank of `read` on the control plane
 * and by its rules on data; a role deleted since the credential was made grants nothing (its rules are empty).
 */
export async function principalRole(
  env: Env,
  tenant: string,
  name: string,
): Promise<{ role: Role; customRole?: RoleDefinition }> {
  if (isBuiltIn(name)) return { role: name };
  const def = (await tenantRoles(env, tenant))[name];
  return { role: "read", customRole: def ?? { name, description: "", rules: [] } };
}

/** A role a key, user or issuer mapping may name: built-in, or a custom role the tenant has. */
export async function requireKnownRole(env: Env, tenant: string, name: string): Promise<RoleDefinition | null> {
  if (isBuiltIn(name)) return null;
  const def = (await tenantRoles(env, tenant))[name];
  if (!def)
    throw new AppError(
      400,
      "ROLE_NOT_FOUND",
      `role "${name}" is neither read, write, admin nor a custom role of this tenant`,
      { role: name },
    );
  return def;
}

/** What holding a role amounts to, for the grant rule ("never more than the grantor holds"). */
export function grantFrom(
  roles: Record<string, RoleDefinition>,
  name: string,
  collections: string[] | null,
): { role: Role; collections: string[] | null; customRules?: RoleDefinition["rules"] } {
  if (isBuiltIn(name)) return { role: name, collections };
  return { role: "read", collections, customRules: roles[name]?.rules ?? [] };
}

/** The grant a new key, user or mapping would carry; an unknown role name is a 400. */
export async function grantOf(env: Env, tenant: string, name: string, collections: string[] | null) {
  await requireKnownRole(env, tenant, name);
  return grantFrom(await tenantRoles(env, tenant), name, collections);
}
