import type { DatabaseRecord } from "../lib/records";
import { AppError } from "../lib/errors";
import { checkDatabaseName } from "../lib/names";
import { authorizeDatabase } from "../lib/access";
import type { Principal } from "../lib/roles";
import { registryOf } from "../stubs";
import { versionedCache } from "../versioned-cache";
import { DEFAULT_DATABASE } from "./index";

/** Databases per tenant beyond "main". */
export const MAX_DATABASES = 100;

/** A tenant's databases per isolate, reread only when the registry's databases version moves. */
const databaseCache = versionedCache<DatabaseRecord>(
  (env, tenant) => registryOf(env, tenant).settingVersion("databases"),
  async (env, tenant) => {
    const snap = await registryOf(env, tenant).settingSnapshot("databases");
    return { version: snap.version, items: snap.value ? (JSON.parse(snap.value) as DatabaseRecord[]) : [] };
  },
);

/** The tenant's databases, "main" first. */
export async function tenantDatabases(env: Env, tenant: string): Promise<DatabaseRecord[]> {
  const listed = (await databaseCache.get(env, tenant)).items;
  return [{ name: DEFAULT_DATABASE, createdAt: "" }, ...listed];
}

/**
 * Makes sure a database is on the tenant's list: addressing one creates it, as in MongoDB, up to MAX_DATABASES.
 * Answers whether it was new.
 */
export async function useDatabase(env: Env, tenant: string, name: string): Promise<boolean> {
  checkDatabaseName(name);
  if (name === DEFAULT_DATABASE) return false;
  if ((await databaseCache.get(env, tenant)).items.some((d) => d.name === name)) return false;
  const result = await registryOf(env, tenant).addDatabase(name, MAX_DATABASES);
  databaseCache.invalidate(tenant);
  if (!result.databases.some((d) => d.name === name)) {
    throw new AppError(
      400,
      "TOO_MANY_DATABASES",
      `a tenant has at most ${MAX_DATABASES} databases besides "main"; drop one first`,
      { limit: MAX_DATABASES },
    );
  }
  return result.created;
}

export async function forgetDatabase(env: Env, tenant: string, name: string): Promise<boolean> {
  const removed = await registryOf(env, tenant).removeDatabase(name);
  databaseCache.invalidate(tenant);
  return removed;
}

/**
 * The database a request addresses (X-Docflare-Database, default "main"). A named one is checked against the
 * credential and put on the tenant's list; the default is checked only when a route opens its store, so a key limited
 * to other databases still reaches the control plane.
 */
export async function addressedDatabase(env: Env, principal: Principal, header: string | undefined): Promise<string> {
  if (header === undefined || header === "") return DEFAULT_DATABASE;
  const name = checkDatabaseName(header);
  authorizeDatabase(principal, name);
  await useDatabase(env, principal.tenant, name);
  return name;
}
