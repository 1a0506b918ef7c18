import { AppError } from "./errors";

export const ROLES = ["read", "write", "admin"] as const;
export type Role = (typeof ROLES)[number];

const RANK: Record<Role, number> = { read: 1, write: 2, admin: 3 };

export interface Principal {
  tenant: string;
  role: Role;
  /** Collections this credential may touch; null means all of its tenant's. */
  collections: string[] | null;
  keyId: string | null;
  /** The ADMIN_TOKEN holder: may act for any tenant. */
  superAdmin: boolean;
}

export function requireRole(p: Principal, role: Role): void {
  if (RANK[p.role] < RANK[role]) {
    throw new AppError(403, "FORBIDDEN", `this credential has role "${p.role}"; "${role}" is required`, { required: role, role: p.role });
  }
}

export function requireCollection(p: Principal, collection: string): void {
  if (p.collections && !p.collections.includes(collection)) {
    throw new AppError(403, "COLLECTION_FORBIDDEN", `this credential may not access collection "${collection}"`, { collection });
  }
}

/** API keys carry their tenant so a request can be routed to the right registry before the key is checked. */
export const KEY_PATTERN = /^dfk_([a-z0-9][a-z0-9-]{0,39})_([A-Za-z0-9]{40})$/;

export function keyTenant(token: string): string | null {
  return KEY_PATTERN.exec(token)?.[1] ?? null;
}
