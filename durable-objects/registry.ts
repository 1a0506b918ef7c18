import type { DatabaseRecord, ScriptRecord, WebhookRecord, WebhookRuntime } from "../worker/lib/records";
import { isoTime } from "../worker/lib/stats";
import { DurableObject } from "cloudflare:workers";
import { VersionCounter } from "./tables/version-counter";
import type { Role } from "../worker/lib/roles";
import type { WebhookConfig } from "../worker/lib/webhook-config";
import type { ScriptConfig } from "../worker/lib/script-config";
import { WebhookTable } from "./tables/webhooks";
import { ScriptTable } from "./tables/scripts";

export interface ApiKeyRecord {
  id: string;
  name: string;
  /** read, write, admin, or the name of a custom role of the tenant. */
  role: string;
  collections: string[] | null;
  /** Databases the key may address; null means every database of its tenant. */
  databases: string[] | null;
  prefix: string;
  createdAt: string;
  lastUsedAt: string | null;
  revokedAt: string | null;
}

type KeyRow = {
  id: string;
  name: string;
  role: string;
  collections: string | null;
  databases: string | null;
  prefix: string;
  created_at: number;
  last_used_at: number | null;
  revoked_at: number | null;
};

function toRecord(r: KeyRow): ApiKeyRecord {
  return {
    id: r.id,
    name: r.name,
    role: r.role as Role,
    collections: r.collections ? JSON.parse(r.collections) : null,
    databases: r.databases ? JSON.parse(r.databases) : null,
    prefix: r.prefix,
    createdAt: isoTime(r.created_at)!,
    lastUsedAt: isoTime(r.last_used_at),
    revokedAt: isoTime(r.revoked_at),
  };
}

/**
 * Control plane of one tenant: API keys (as SHA-256 hashes only), webhooks and scripts. The instance named
 * SYSTEM_REGISTRY also keeps the directory of tenants with cron scripts, which the Cron Trigger walks.
 */
export type TenantSetting = "quotas" | "roles" | "oidc" | "databases";

export class RegistryDO extends DurableObject<Env> {
  private webhooks: WebhookTable;
  private scripts: ScriptTable;
  private settingCounters: Record<TenantSetting, VersionCounter>;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.webhooks = new WebhookTable(ctx.storage.sql);
    this.scripts = new ScriptTable(ctx.storage.sql);
    ctx.storage.sql.exec("CREATE TABLE IF NOT EXISTS scheduled_tenants (tenant TEXT PRIMARY KEY)");
    ctx.storage.sql.exec(
      "CREATE TABLE IF NOT EXISTS tenants (tenant TEXT PRIMARY KEY, first_seen_at INTEGER NOT NULL)",
    );
    ctx.storage.sql.exec("CREATE TABLE IF NOT EXISTS settings (key TEXT PRIMARY KEY, value TEXT NOT NULL)");
    this.settingCounters = {
      quotas: new VersionCounter(ctx.storage.sql, "quotas"),
      roles: new VersionCounter(ctx.storage.sql, "roles"),
      oidc: new VersionCounter(ctx.storage.sql, "oidc"),
      databases: new VersionCounter(ctx.storage.sql, "databases"),
    };
    ctx.storage.sql.exec("CREATE TABLE IF NOT EXISTS lock_names (name TEXT PRIMARY KEY, seen_at INTEGER NOT NULL)");
    ctx.storage.sql.exec(`CREATE TABLE IF NOT EXISTS api_keys (
      id TEXT PRIMARY KEY, name TEXT NOT NULL, role TEXT NOT NULL, collections TEXT, prefix TEXT NOT NULL,
      hash TEXT NOT NULL UNIQUE, created_at INTEGER NOT NULL, last_used_at INTEGER, revoked_at INTEGER)`);
    if (
      !ctx.storage.sql
        .exec<{ name: string }>("SELECT name FROM pragma_table_info('api_keys')")
        .toArray()
        .some((c) => c.name === "databases")
    ) {
      ctx.storage.sql.exec("ALTER TABLE api_keys ADD COLUMN databases TEXT");
    }
  }

  private databases(): DatabaseRecord[] {
    const value = this.settingSnapshot("databases").value;
    return value ? (JSON.parse(value) as DatabaseRecord[]) : [];
  }

  /** Records a database (created explicitly, or on first use as in MongoDB); refuses past `max` per tenant. */
  addDatabase(name: string, max: number): { created: boolean; databases: DatabaseRecord[] } {
    const list = this.databases();
    if (list.some((d) => d.name === name)) return { created: false, databases: list };
    if (list.length >= max) return { created: false, databases: list };
    const next = [...list, { name, createdAt: new Date().toISOString() }];
    this.setSetting("databases", JSON.stringify(next));
    return { created: true, databases: next };
  }

  removeDatabase(name: string): boolean {
    const list = this.databases();
    if (!list.some((d) => d.name === name)) return false;
    const next = list.filter((d) => d.name !== name);
    this.setSetting("databases", next.length ? JSON.stringify(next) : null);
    return true;
  }

  createKey(input: {
    id: string;
    name: string;
    role: string;
    collections: string[] | null;
    databases: string[] | null;
    prefix: string;
    hash: string;
  }): ApiKeyRecord {
    this.ctx.storage.sql.exec(
      "INSERT INTO api_keys (id, name, role, collections, databases, prefix, hash, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
      input.id,
      input.name,
      input.role,
      input.collections ? JSON.stringify(input.collections) : null,
      input.databases ? JSON.stringify(input.databases) : null,
      input.prefix,
      input.hash,
      Date.now(),
    );
    return this.getKey(input.id)!;
  }

  getKey(id: string): ApiKeyRecord | null {
    const row = this.ctx.storage.sql.exec<KeyRow>("SELECT * FROM api_keys WHERE id = ?", id).toArray()[0];
    return row ? toRecord(row) : null;
  }

  listKeys(): ApiKeyRecord[] {
    return this.ctx.storage.sql.exec<KeyRow>("SELECT * FROM api_keys ORDER BY created_at, id").toArray().map(toRecord);
  }

  revokeKey(id: string): ApiKeyRecord | null {
    this.ctx.storage.sql.exec("UPDATE api_keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL", Date.now(), id);
    return this.getKey(id);
  }

  /** Looks a key up by hash; `last_used_at` is coarse (once a minute) to keep reads from turning into writes. */
  verifyKey(hash: string): ApiKeyRecord | null {
    const row = this.ctx.storage.sql
      .exec<KeyRow>("SELECT * FROM api_keys WHERE hash = ? AND revoked_at IS NULL", hash)
      .toArray()[0];
    if (!row) return null;
    const now = Date.now();
    if (!row.last_used_at || now - row.last_used_at > 60_000) {
      this.ctx.storage.sql.exec("UPDATE api_keys SET last_used_at = ? WHERE id = ?", now, row.id);
    }
    return toRecord(row);
  }

  createWebhook(id: string, config: WebhookConfig, secret: string): WebhookRecord {
    return this.webhooks.create(id, config, secret);
  }

  getWebhook(id: string): WebhookRecord | null {
    return this.webhooks.get(id);
  }

  listWebhooks(): WebhookRecord[] {
    return this.webhooks.list();
  }

  updateWebhook(id: string, patch: Partial<WebhookConfig>, disabledReason?: string | null): WebhookRecord | null {
    return this.webhooks.update(id, patch, disabledReason);
  }

  rotateWebhookSecret(id: string, secret: string, overlapMs: number): WebhookRecord | null {
    return this.webhooks.rotate(id, secret, overlapMs);
  }

  deleteWebhook(id: string): boolean {
    return this.webhooks.delete(id);
  }

  webhooksVersion(): number {
    return this.webhooks.version();
  }

  webhookSnapshot(): { version: number; webhooks: WebhookRuntime[] } {
    return this.webhooks.snapshot();
  }

  putScript(id: string, config: ScriptConfig, versionId: string): ScriptRecord {
    return this.scripts.put(id, config, versionId);
  }

  getScript(id: string): ScriptRecord | null {
    return this.scripts.get(id);
  }

  listScripts(): ScriptRecord[] {
    return this.scripts.list();
  }

  deleteScript(id: string): boolean {
    return this.scripts.delete(id);
  }

  scriptsVersion(): number {
    return this.scripts.version();
  }

  scriptSnapshot(): { version: number; scripts: ScriptRecord[] } {
    return this.scripts.snapshot();
  }

  /** A tenant setting kept as JSON (quotas, custom roles, the trusted external issuer), with a version for isolate caches. */
  settingSnapshot(key: TenantSetting): { version: number; value: string | null } {
    const row = this.ctx.storage.sql
      .exec<{ value: string }>("SELECT value FROM settings WHERE key = ?", key)
      .toArray()[0];
    return { version: this.settingCounters[key].get(), value: row?.value ?? null };
  }

  settingVersion(key: TenantSetting): number {
    return this.settingCounters[key].get();
  }

  setSetting(key: TenantSetting, value: string | null): void {
    if (value === null) this.ctx.storage.sql.exec("DELETE FROM settings WHERE key = ?", key);
    else this.ctx.storage.sql.exec("INSERT OR REPLACE INTO settings (key, value) VALUES (?, ?)", key, value);
    this.settingCounters[key].bump();
  }

  /** System directory: every tenant a credential has acted for (migrations and operators walk it). */
  noteTenant(tenant: string): void {
    this.ctx.storage.sql.exec(
      "INSERT OR IGNORE INTO tenants (tenant, first_seen_at) VALUES (?, ?)",
      tenant,
      Date.now(),
    );
  }

  tenants(): string[] {
    return this.ctx.storage.sql
      .exec<{ tenant: string }>("SELECT tenant FROM tenants ORDER BY tenant")
      .toArray()
      .map((r) => r.tenant);
  }

  /** System directory: which tenants have cron scripts (the Cron Trigger ticks only their coordinators). */
  setScheduledTenant(tenant: string, scheduled: boolean): void {
    if (scheduled) this.ctx.storage.sql.exec("INSERT OR IGNORE INTO scheduled_tenants (tenant) VALUES (?)", tenant);
    else this.ctx.storage.sql.exec("DELETE FROM scheduled_tenants WHERE tenant = ?", tenant);
  }

  scheduledTenants(): string[] {
    return this.ctx.storage.sql
      .exec<{ tenant: string }>("SELECT tenant FROM scheduled_tenants ORDER BY tenant")
      .toArray()
      .map((r) => r.tenant);
  }

  /** Lock names this tenant has used, newest first, so the cluster view can list locks without a global scan. */
  noteLock(name: string): void {
    this.ctx.storage.sql.exec(
      "INSERT INTO lock_names (name, seen_at) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET seen_at = excluded.seen_at",
      name,
      Date.now(),
    );
  }

  lockNames(limit: number): string[] {
    return this.ctx.storage.sql
      .exec<{ name: string }>("SELECT name FROM lock_names ORDER BY seen_at DESC LIMIT ?", limit)
      .toArray()
      .map((r) => r.name);
  }
}
