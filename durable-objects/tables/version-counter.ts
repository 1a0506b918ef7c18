/**
 * A named counter in RegistryDO's `registry_meta`, bumped by every change to one list (webhooks, scripts), so
 * per-isolate caches can ask "has it moved?" with one cheap read.
 */
export class VersionCounter {
  constructor(
    private sql: SqlStorage,
    private key: string,
  ) {
    sql.exec("CREATE TABLE IF NOT EXISTS registry_meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL)");
    sql.exec("INSERT OR IGNORE INTO registry_meta (key, value) VALUES (?, 0)", key);
  }

  get(): number {
    return this.sql.exec<{ value: number }>("SELECT value FROM registry_meta WHERE key = ?", this.key).one().value;
  }

  bump(): void {
    this.sql.exec("UPDATE registry_meta SET value = value + 1 WHERE key = ?", this.key);
  }
}
