import { matcher } from "./lib/doc-ops";
import { parseEjson, type Doc } from "./lib/ejson";

/** How long a cached registry list is trusted before its version is asked again (one cheap RPC, no storage scan). */
const REVALIDATE_MS = 1000;

export interface CachedEntry<T> {
  version: number;
  checkedAt: number;
  items: T[];
  matchers: Map<string, (doc: Doc) => boolean>;
}

/**
 * A per-isolate cache of one registry list (webhooks, scripts) per tenant, reread only when the registry's version
 * counter has moved, with each item's compiled filter kept alongside.
 */
export function versionedCache<T>(
  version: (env: Env, tenant: string) => Promise<number>,
  snapshot: (env: Env, tenant: string) => Promise<{ version: number; items: T[] }>,
) {
  const cache = new Map<string, CachedEntry<T>>();
  return {
    invalidate(tenant: string): void {
      cache.delete(tenant);
    },
    async get(env: Env, tenant: string): Promise<CachedEntry<T>> {
      const now = Date.now();
      const cached = cache.get(tenant);
      if (cached && now - cached.checkedAt < REVALIDATE_MS) return cached;
      if (cached && (await version(env, tenant)) === cached.version) {
        cached.checkedAt = now;
        return cached;
      }
      const snap = await snapshot(env, tenant);
      const entry: CachedEntry<T> = { version: snap.version, checkedAt: now, items: snap.items, matchers: new Map() };
      cache.set(tenant, entry);
      return entry;
    },
  };
}

/** An item's compiled filter (mingo), built once per registry version. */
export function compiledFilter<T>(entry: CachedEntry<T>, id: string, filter: string | null): (doc: Doc) => boolean {
  let test = entry.matchers.get(id);
  if (!test) {
    test = filter ? matcher(parseEjson(filter, "filter") as Doc) : () => true;
    entry.matchers.set(id, test);
  }
  return test;
}
