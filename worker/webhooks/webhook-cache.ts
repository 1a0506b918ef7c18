import type { WebhookRuntime } from "../lib/records";
import type { Doc } from "../lib/ejson";
import { registryOf } from "../stubs";
import { compiledFilter, versionedCache, type CachedEntry } from "../versioned-cache";

const webhooks = versionedCache<WebhookRuntime>(
  (env, tenant) => registryOf(env, tenant).webhooksVersion(),
  async (env, tenant) => {
    const snap = await registryOf(env, tenant).webhookSnapshot();
    return { version: snap.version, items: snap.webhooks as WebhookRuntime[] };
  },
);

/** Forgets a tenant's cached webhooks; routes call it after a change so this isolate sees it at once. */
export const invalidateWebhooks = (tenant: string) => webhooks.invalidate(tenant);

/** The tenant's webhooks, reread from RegistryDO only when its version has moved. */
export const webhooksOf = (env: Env, tenant: string) => webhooks.get(env, tenant);

export function filterOf(entry: CachedEntry<WebhookRuntime>, hook: WebhookRuntime): (doc: Doc) => boolean {
  return compiledFilter(entry, hook.id, hook.filter);
}
