import type { ScriptRecord } from "../lib/records";
import type { Doc } from "../lib/ejson";
import { registryOf } from "../stubs";
import { compiledFilter, versionedCache, type CachedEntry } from "../versioned-cache";

const scripts = versionedCache<ScriptRecord>(
  (env, tenant) => registryOf(env, tenant).scriptsVersion(),
  async (env, tenant) => {
    const snap = await registryOf(env, tenant).scriptSnapshot();
    return { version: snap.version, items: snap.scripts as ScriptRecord[] };
  },
);

export const invalidateScripts = (tenant: string) => scripts.invalidate(tenant);

export const scriptsOf = (env: Env, tenant: string) => scripts.get(env, tenant);

export function triggerFilterOf(entry: CachedEntry<ScriptRecord>, script: ScriptRecord): (doc: Doc) => boolean {
  return compiledFilter(entry, script.id, script.trigger.type === "event" ? script.trigger.filter : null);
}
