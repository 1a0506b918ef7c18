import type { ScriptRecord } from "../../worker/lib/records";
import { VersionCounter } from "./version-counter";
import type { ScriptConfig } from "../../worker/lib/script-config";

type Row = { id: string; config: string; version_id: string; created_at: number; updated_at: number };

/** Scripts of one tenant, kept in RegistryDO. Every change bumps `scripts_version` so consumers refresh their caches. */
export class ScriptTable {
  private counter: VersionCounter;

  constructor(private sql: SqlStorage) {
    sql.exec(`CREATE TABLE IF NOT EXISTS scripts (
      id TEXT PRIMARY KEY, config TEXT NOT NULL, version_id TEXT NOT NULL, created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL)`);
    this.counter = new VersionCounter(sql, "scripts_version");
  }

  version(): number {
    return this.counter.get();
  }

  private record(row: Row): ScriptRecord {
    return {
      id: row.id,
      ...(JSON.parse(row.config) as ScriptConfig),
      versionId: row.version_id,
      createdAt: new Date(row.created_at).toISOString(),
      updatedAt: new Date(row.updated_at).toISOString(),
    };
  }

  get(id: string): ScriptRecord | null {
    const row = this.sql.exec<Row>("SELECT * FROM scripts WHERE id = ?", id).toArray()[0];
    return row ? this.record(row) : null;
  }

  list(): ScriptRecord[] {
    return this.sql
      .exec<Row>("SELECT * FROM scripts ORDER BY created_at, id")
      .toArray()
      .map((r) => this.record(r));
  }

  snapshot(): { version: number; scripts: ScriptRecord[] } {
    return { version: this.version(), scripts: this.list() };
  }

  put(id: string, config: ScriptConfig, versionId: string): ScriptRecord {
    const now = Date.now();
    this.sql.exec(
      `INSERT INTO scripts (id, config, version_id, created_at, updated_at) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (id) DO UPDATE SET config = excluded.config, version_id = excluded.version_id, updated_at = excluded.updated_at`,
      id,
      JSON.stringify(config),
      versionId,
      now,
      now,
    );
    this.counter.bump();
    return this.get(id)!;
  }

  delete(id: string): boolean {
    const deleted = this.sql.exec("DELETE FROM scripts WHERE id = ?", id).rowsWritten > 0;
    if (deleted) this.counter.bump();
    return deleted;
  }
}
