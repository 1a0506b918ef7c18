export const ROLES = ["read", "write", "admin"] as const;
export type Role = (typeof ROLES)[number];

export const RANK: Record<Role, number> = { read: 1, write: 2, admin: 3 };

export interface Principal {
  tenant: string;
  role: Role;
  /** Collections this credential may touch; null means all of its tenant's. */
  collections: string[] | null;
  keyId: string | null;
  /** The signed-in user, for access tokens. */
  userId?: string | null;
  /** The ADMIN_TOKEN holder: may act for any tenant. */
  superAdmin: boolean;
}

/** API keys carry their tenant so a request can be routed to the right registry before the key is checked. */
export const KEY_PATTERN = /^dfk_([a-z0-9][a-z0-9-]{0,39})_([A-Za-z0-9]{40})$/;

export function keyTenant(token: string): string | null {
  return KEY_PATTERN.exec(token)?.[1] ?? null;
}
