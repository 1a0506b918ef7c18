import type { IdentityDO } from "../../durable-objects/identity";

/** Not a tenant name: the identity object that keeps the JWT signing keys. */
export const SYSTEM_IDENTITY = "__system__";

/** A tenant's users and sessions. */
export function identityOf(env: Env, tenant: string): DurableObjectStub<IdentityDO> {
  return env.IDENTITY.get(env.IDENTITY.idFromName(tenant)) as DurableObjectStub<IdentityDO>;
}
