import type { WebhookRuntime } from "../../durable-objects/sql/webhooks";
import { matcher } from "../lib/doc-ops";
import { parseEjson, type Doc } from "../lib/ejson";
import { registryOf } from "../registry";

interface Entry {
  version: number;
  checkedAt: number;
  webhooks: WebhookRuntime[];
  matchers: Map<string, (doc: Doc) => boolean>;
}

/** How long a cached registry is trusted before its version is asked again (one cheap RPC, no storage scan). */
const REVALIDATE_MS = 1000;
const cache = new Map<string, Entry>();

/** Forgets a tenant's cached webhooks; routes call it after a change so this isolate sees it at once. */
export function invalidateWebhooks(tenant: string): void {
  cache.delete(tenant);
}

/** The tenant's webhooks, reread from RegistryDO only when its version has moved. */
export async function webhooksOf(env: Env, tenant: string): Promise<Entry> {
  const now = Date.now();
  const cached = cache.get(tenant);
  if (cached && now - cached.checkedAt < REVALIDATE_MS) return cached;
  const registry = registryOf(env, tenant);
  if (cached && (await registry.webhooksVersion()) === cached.version) {
    cached.checkedAt = now;
    return cached;
  }
  const snapshot = await registry.webhookSnapshot();
  const entry: Entry = { version: snapshot.version, checkedAt: now, webhooks: snapshot.webhooks as WebhookRuntime[], matchers: new Map() };
  cache.set(tenant, entry);
  return entry;
}

/** The webhook's compiled filter (mingo), built once per registry version. */
export function filterOf(entry: Entry, hook: WebhookRuntime): (doc: Doc) => boolean {
  let test = entry.matchers.get(hook.id);
  if (!test) {
    test = hook.filter ? matcher(parseEjson(hook.filter, "filter") as Doc) : () => true;
    entry.matchers.set(hook.id, test);
  }
  return test;
}
