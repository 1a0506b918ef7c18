import { AppError } from "./errors";
import { RANK, type Principal, type Role } from "./roles";

/**
 * The one access gate. Every decision about which principal may do what, on which collection, is made here:
 * REST, the Data API, aggregate stages at any depth, webhooks, scripts and management all ask `authorize` (through
 * the policed store for data, through `authorizeControl` for the control plane). Routes never compare roles.
 */
export type DataAction = "find" | "insert" | "update" | "delete" | "aggregate" | "manage";
export type ControlResource = "keys" | "users" | "audit" | "quotas" | "webhooks" | "scripts" | "locks" | "cluster";
export type ControlAction = "read" | "write";

const DATA_ROLE: Record<DataAction, Role> = { find: "read", aggregate: "read", insert: "write", update: "write", delete: "write", manage: "admin" };

const CONTROL_ROLE: Record<ControlResource, Record<ControlAction, Role>> = {
  keys: { read: "admin", write: "admin" },
  users: { read: "admin", write: "admin" },
  audit: { read: "admin", write: "admin" },
  quotas: { read: "admin", write: "admin" },
  webhooks: { read: "admin", write: "admin" },
  scripts: { read: "admin", write: "admin" },
  locks: { read: "read", write: "write" },
  cluster: { read: "read", write: "admin" },
};

function requireRank(p: Principal, role: Role): void {
  if (RANK[p.role] < RANK[role]) {
    throw new AppError(403, "FORBIDDEN", `this credential has role "${p.role}"; "${role}" is required`, { required: role, role: p.role });
  }
}

export function mayAccessCollection(p: Principal, collection: string): boolean {
  return p.collections === null || p.collections.includes(collection);
}

/** Data access: the action's role, and the collection within the credential's list. */
export function authorize(p: Principal, action: DataAction, collection?: string): void {
  requireRank(p, DATA_ROLE[action]);
  if (collection !== undefined && !mayAccessCollection(p, collection)) {
    throw new AppError(403, "COLLECTION_FORBIDDEN", `this credential may not access collection "${collection}"`, { collection, action });
  }
}

/**
 * Control-plane access. Scripts run with the tenant's whole data through `ctx.api`, so only a credential without a
 * collection list may manage them; a limited credential may see and manage what touches its collections only.
 */
export function authorizeControl(p: Principal, resource: ControlResource, action: ControlAction): void {
  requireRank(p, CONTROL_ROLE[resource][action]);
  if ((resource === "scripts" || resource === "audit" || resource === "quotas") && p.collections !== null) {
    throw new AppError(403, "COLLECTION_FORBIDDEN", `${resource} span every collection of the tenant; a credential limited to collections cannot reach them`, { resource });
  }
}

/** A webhook's collection ("*" is every collection, so only for an unrestricted credential). */
export function authorizeWebhookCollection(p: Principal, collection: string): void {
  if (p.collections === null) return;
  if (collection === "*" || !p.collections.includes(collection)) {
    throw new AppError(403, "COLLECTION_FORBIDDEN", `this credential may not register webhooks on "${collection}"`, { collection });
  }
}

/** What a credential may grant or revoke: never more than it holds itself, by role or by collections. */
export function authorizeGrant(p: Principal, grant: { role: Role; collections: string[] | null }): void {
  requireRank(p, "admin");
  if (RANK[grant.role] > RANK[p.role]) {
    throw new AppError(403, "GRANT_EXCEEDS_OWN", `a "${p.role}" credential cannot grant role "${grant.role}"`, { role: grant.role });
  }
  if (p.collections === null) return;
  const outside = grant.collections === null ? ["*"] : grant.collections.filter((c) => !p.collections!.includes(c));
  if (outside.length > 0) {
    throw new AppError(403, "GRANT_EXCEEDS_OWN", "a credential limited to collections can only grant (or revoke) access within its own list", { collections: outside });
  }
}

/**
 * Every collection a pipeline reads, at any depth: `$lookup.from` and its pipeline, `$unionWith` (a name, or `coll`
 * with a pipeline), `$graphLookup.from`, and the pipelines of `$facet`.
 */
export function pipelineCollections(pipeline: unknown, out = new Set<string>()): Set<string> {
  if (!Array.isArray(pipeline)) return out;
  for (const stage of pipeline) {
    if (!stage || typeof stage !== "object") continue;
    for (const [name, body] of Object.entries(stage as Record<string, unknown>)) {
      const spec = body && typeof body === "object" ? (body as Record<string, unknown>) : undefined;
      if (name === "$lookup" || name === "$graphLookup") {
        if (typeof spec?.from === "string") out.add(spec.from);
        pipelineCollections(spec?.pipeline, out);
      } else if (name === "$unionWith") {
        if (typeof body === "string") out.add(body);
        if (typeof spec?.coll === "string") out.add(spec.coll);
        pipelineCollections(spec?.pipeline, out);
      } else if (name === "$facet" && spec) {
        for (const sub of Object.values(spec)) pipelineCollections(sub, out);
      }
    }
  }
  return out;
}
