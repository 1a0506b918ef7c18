import type { Secret, WebhookRecord, WebhookRuntime } from "../../worker/lib/records";
import { VersionCounter } from "./version-counter";
import type { WebhookConfig } from "../../worker/lib/webhook-config";

type Row = {
  id: string;
  config: string;
  secrets: string;
  disabled_reason: string | null;
  created_at: number;
  updated_at: number;
};

/** Webhooks of one tenant, kept in RegistryDO. Every change bumps `version`, which consumers use to refresh caches. */
export class WebhookTable {
  private counter: VersionCounter;

  constructor(private sql: SqlStorage) {
    sql.exec(`CREATE TABLE IF NOT EXISTS webhooks (
      id TEXT PRIMARY KEY, config TEXT NOT NULL, secrets TEXT NOT NULL, disabled_reason TEXT,
      created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL)`);
    this.counter = new VersionCounter(sql, "webhooks_version");
  }

  version(): number {
    return this.counter.get();
  }

  private record(row: Row): WebhookRecord {
    return {
      id: row.id,
      ...(JSON.parse(row.config) as WebhookConfig),
      disabledReason: row.disabled_reason,
      createdAt: new Date(row.created_at).toISOString(),
      updatedAt: new Date(row.updated_at).toISOString(),
    };
  }

  private runtime(row: Row): WebhookRuntime {
    return { ...this.record(row), secrets: JSON.parse(row.secrets) as Secret[] };
  }

  private row(id: string): Row | undefined {
    return this.sql.exec<Row>("SELECT * FROM webhooks WHERE id = ?", id).toArray()[0];
  }

  create(id: string, config: WebhookConfig, secret: string): WebhookRecord {
    const now = Date.now();
    this.sql.exec(
      "INSERT INTO webhooks (id, config, secrets, created_at, updated_at) VALUES (?, ?, ?, ?, ?)",
      id,
      JSON.stringify(config),
      JSON.stringify([{ secret, expiresAt: null }] satisfies Secret[]),
      now,
      now,
    );
    this.counter.bump();
    return this.record(this.row(id)!);
  }

  get(id: string): WebhookRecord | null {
    const row = this.row(id);
    return row ? this.record(row) : null;
  }

  list(): WebhookRecord[] {
    return this.sql
      .exec<Row>("SELECT * FROM webhooks ORDER BY created_at, id")
      .toArray()
      .map((r) => this.record(r));
  }

  /** Everything the event matcher and the delivery path need, in one read. */
  snapshot(): { version: number; webhooks: WebhookRuntime[] } {
    const rows = this.sql.exec<Row>("SELECT * FROM webhooks ORDER BY created_at, id").toArray();
    return { version: this.version(), webhooks: rows.map((r) => this.runtime(r)) };
  }

  update(id: string, patch: Partial<WebhookConfig>, disabledReason?: string | null): WebhookRecord | null {
    const row = this.row(id);
    if (!row) return null;
    const config = { ...(JSON.parse(row.config) as WebhookConfig), ...patch };
    const reason = disabledReason !== undefined ? disabledReason : patch.enabled === true ? null : row.disabled_reason;
    this.sql.exec(
      "UPDATE webhooks SET config = ?, disabled_reason = ?, updated_at = ? WHERE id = ?",
      JSON.stringify(config),
      reason,
      Date.now(),
      id,
    );
    this.counter.bump();
    return this.record(this.row(id)!);
  }

  /** The new secret signs from now on; the old ones keep signing alongside it until `overlapMs` has passed. */
  rotate(id: string, secret: string, overlapMs: number): WebhookRecord | null {
    const row = this.row(id);
    if (!row) return null;
    const now = Date.now();
    const kept = (JSON.parse(row.secrets) as Secret[])
      .map((s) => ({ secret: s.secret, expiresAt: s.expiresAt === null ? now + overlapMs : s.expiresAt }))
      .filter((s) => s.expiresAt > now);
    this.sql.exec(
      "UPDATE webhooks SET secrets = ?, updated_at = ? WHERE id = ?",
      JSON.stringify([{ secret, expiresAt: null }, ...kept]),
      now,
      id,
    );
    this.counter.bump();
    return this.record(this.row(id)!);
  }

  delete(id: string): boolean {
    const deleted = this.sql.exec("DELETE FROM webhooks WHERE id = ?", id).rowsWritten > 0;
    if (deleted) this.counter.bump();
    return deleted;
  }
}
