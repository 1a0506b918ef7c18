import { AppError } from "./errors";
import { RANK, type Principal, type Role } from "./roles";
import { ruleFor, type RoleRule } from "./row-rules";

/**
 * The one access gate. Every decision about which principal may do what, on which collection, is made here:
 * REST, the Data API, aggregate stages at any depth, webhooks, scripts and management all ask `authorize` (through
 * the policed store for data, through `authorizeControl` for the control plane). Routes never compare roles.
 */
export type DataAction = "find" | "insert" | "update" | "delete" | "aggregate" | "manage";
export type ControlResource =
  | "keys"
  | "users"
  | "roles"
  | "identity"
  | "audit"
  | "quotas"
  | "webhooks"
  | "scripts"
  | "locks"
  | "cluster"
  | "databases"
  | "migrations";
export type ControlAction = "read" | "write";

const DATA_ROLE: Record<DataAction, Role> = {
  find: "read",
  aggregate: "read",
  insert: "write",
  update: "write",
  delete: "write",
  manage: "admin",
};

const CONTROL_ROLE: Record<ControlResource, Record<ControlAction, Role>> = {
  keys: { read: "admin", write: "admin" },
  users: { read: "admin", write: "admin" },
  roles: { read: "admin", write: "admin" },
  identity: { read: "admin", write: "admin" },
  audit: { read: "admin", write: "admin" },
  quotas: { read: "admin", write: "admin" },
  webhooks: { read: "admin", write: "admin" },
  scripts: { read: "admin", write: "admin" },
  locks: { read: "read", write: "write" },
  cluster: { read: "read", write: "admin" },
  databases: { read: "read", write: "admin" },
  migrations: { read: "admin", write: "admin" },
};

function requireRank(p: Principal, role: Role): void {
  if (RANK[p.role] < RANK[role]) {
    throw new AppError(403, "FORBIDDEN", `this credential has role "${p.role}"; "${role}" is required`, {
      required: role,
      role: p.role,
    });
  }
}

export function mayAccessCollection(p: Principal, collection: string): boolean {
  if (p.customRole) {
    const rule = ruleFor(p.customRole.rules, collection);
    if (!rule || !rule.actions.includes("find")) return false;
  }
  return p.collections === null || p.collections.includes(collection);
}

/**
 * Data access: the action's role (or, for a custom role, its rule for the collection), and the collection within
 * the credential's list. Row filters and field rules are applied by the policed store, from the same rule.
 */
export function authorize(p: Principal, action: DataAction, collection?: string): void {
  if (p.customRole) authorizeCustom(p.customRole, action, collection);
  else requireRank(p, DATA_ROLE[action]);
  if (collection !== undefined && p.collections !== null && !p.collections.includes(collection)) {
    throw new AppError(403, "COLLECTION_FORBIDDEN", `this credential may not access collection "${collection}"`, {
      collection,
      action,
    });
  }
}

function authorizeCustom(role: { name: string; rules: RoleRule[] }, action: DataAction, collection?: string): void {
  const allowed =
    collection === undefined
      ? role.rules.some((r) => r.actions.includes(action))
      : (ruleFor(role.rules, collection)?.actions.includes(action) ?? false);
  if (!allowed) {
    throw new AppError(
      403,
      "ROLE_FORBIDS",
      `role "${role.name}" may not ${action}${collection === undefined ? "" : ` in "${collection}"`}`,
      { role: role.name, action, ...(collection === undefined ? {} : { collection }) },
    );
  }
}

/**
 * Control-plane access. Scripts run with the tenant's whole data through `ctx.api`, so only a credential without a
 * collection list may manage them; a limited credential may see and manage what touches its collections only.
 */
export function authorizeControl(p: Principal, resource: ControlResource, action: ControlAction): void {
  requireRank(p, CONTROL_ROLE[resource][action]);
  if (
    (resource === "scripts" ||
      resource === "audit" ||
      resource === "quotas" ||
      resource === "identity" ||
      resource === "migrations") &&
    p.collections !== null
  ) {
    throw new AppError(
      403,
      "COLLECTION_FORBIDDEN",
      `${resource} span every collection of the tenant; a credential limited to collections cannot reach them`,
      { resource },
    );
  }
}

/** A database the credential may address (a key may be limited to some). */
export function authorizeDatabase(p: Principal, database: string): void {
  if (p.databases && !p.databases.includes(database)) {
    throw new AppError(403, "DATABASE_FORBIDDEN", `this credential may not access database "${database}"`, {
      database,
    });
  }
}

/** A webhook's collection ("*" is every collection, so only for an unrestricted credential). */
export function authorizeWebhookCollection(p: Principal, collection: string): void {
  if (p.collections === null) return;
  if (collection === "*" || !p.collections.includes(collection)) {
    throw new AppError(403, "COLLECTION_FORBIDDEN", `this credential may not register webhooks on "${collection}"`, {
      collection,
    });
  }
}

/**
 * What a credential may grant or revoke: never more than it holds itself, by role or by collections. A custom role
 * is granted by an admin; a credential limited to collections may grant one only if its rules stay inside its list.
 */
export function authorizeGrant(
  p: Principal,
  grant: { role: Role; collections: string[] | null; customRules?: RoleRule[] },
): void {
  requireRank(p, "admin");
  if (RANK[grant.role] > RANK[p.role]) {
    throw new AppError(403, "GRANT_EXCEEDS_OWN", `a "${p.role}" credential cannot grant role "${grant.role}"`, {
      role: grant.role,
    });
  }
  if (p.collections === null) return;
  if (grant.customRules) {
    authorizeRoleRules(p, grant.customRules);
    if (grant.collections === null) return;
  }
  const outside = grant.collections === null ? ["*"] : grant.collections.filter((c) => !p.collections!.includes(c));
  if (outside.length > 0) {
    throw new AppError(
      403,
      "GRANT_EXCEEDS_OWN",
      "a credential limited to collections can only grant (or revoke) access within its own list",
      { collections: outside },
    );
  }
}

/** Defining (or granting) a custom role: its rules may only reach collections the admin itself may reach. */
export function authorizeRoleRules(p: Principal, rules: RoleRule[]): void {
  requireRank(p, "admin");
  if (p.collections === null) return;
  const outside = rules.map((r) => r.collection).filter((c) => c === "*" || !p.collections!.includes(c));
  if (outside.length > 0) {
    throw new AppError(
      403,
      "GRANT_EXCEEDS_OWN",
      "a credential limited to collections can only define roles within its own list",
      { collections: outside },
    );
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
