import { TENANT_NAME } from "./names";
import { z } from "@hono/zod-openapi";
import type { RoleRule } from "./row-rules";

export const ROLES = ["read", "write", "admin"] as const;
export type Role = (typeof ROLES)[number];

export const RANK: Record<Role, number> = { read: 1, write: 2, admin: 3 };

/** A role a key or user holds: built-in, or the name of one of the tenant's custom roles. */
export const RoleName = z
  .string()
  .min(1)
  .max(40)
  .openapi({ description: "read, write, admin, or a custom role's name", example: "write" });

export interface Principal {
  tenant: string;
  /** A built-in role; for a custom role, `read` (its rank on the control plane) with the rules in `customRole`. */
  role: Role;
  /** A tenant's custom role: per-collection actions, hidden and read-only fields, a row filter. */
  customRole?: { name: string; rules: RoleRule[] };
  /** The verified claims of an external issuer's token, for `$$claims.*` in row filters. */
  claims?: Record<string, unknown>;
  /** Collections this credential may touch; null means all of its tenant's. */
  collections: string[] | null;
  /** Databases this credential may address; absent or null means every database of its tenant. */
  databases?: string[] | null;
  keyId: string | null;
  /** The signed-in user, for access tokens. */
  userId?: string | null;
  /** The ADMIN_TOKEN holder: may act for any tenant. */
  superAdmin: boolean;
}

/** API keys carry their tenant so a request can be routed to the right registry before the key is checked. */
export const KEY_PATTERN = new RegExp(`^dfk_(${TENANT_NAME})_([A-Za-z0-9]{40})$`);

export function keyTenant(token: string): string | null {
  return KEY_PATTERN.exec(token)?.[1] ?? null;
}
