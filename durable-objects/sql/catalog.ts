import { Decimal128, Long } from "bson";
import type { Validator } from "@cfworker/json-schema";
import { AppError, badRequest } from "../../worker/lib/errors";
import { compileValidator } from "../../worker/lib/json-schema";
import { jsonPath, validIndexField, type IndexInfo } from "../../worker/lib/planner";
import { isPlainObject, parseEjson, type Doc } from "../../worker/lib/ejson";
import { LIMITS } from "../../worker/lib/limits";
import type { IndexSpec } from "../../worker/store/types";

export interface CollectionMeta {
  name: string;
  table: string;
  validatorJson: string | null;
  validator: Validator | null;
  indexes: Array<IndexInfo & { sqlName: string }>;
}

/** Schema of the embedded store; each statement is idempotent so the constructor can run it on every start. */
export const CATALOG_SCHEMA = [
  `CREATE TABLE IF NOT EXISTS _collections (
     name TEXT PRIMARY KEY, tbl TEXT NOT NULL UNIQUE, validator TEXT, created_at INTEGER NOT NULL)`,
  `CREATE TABLE IF NOT EXISTS _indexes (
     collection TEXT NOT NULL, name TEXT NOT NULL, keys TEXT NOT NULL, is_unique INTEGER NOT NULL,
     usable INTEGER NOT NULL, sql_name TEXT NOT NULL UNIQUE, PRIMARY KEY (collection, name))`,
  `CREATE TABLE IF NOT EXISTS _counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL)`,
];

export function sqlExpr(field: string): string {
  return `json_extract(doc, '${jsonPath(field).replace(/'/g, "''")}')`;
}

/** SQLite's expression index cannot see inside arrays or compare Decimal128/large Long as numbers. */
export function indexableValue(doc: Doc, field: string): boolean {
  let cur: unknown = doc;
  for (const seg of field.split(".")) {
    if (Array.isArray(cur)) return false;
    if (!isPlainObject(cur)) return true;
    cur = cur[seg];
  }
  return !(Array.isArray(cur) || cur instanceof Decimal128 || cur instanceof Long);
}

export class Catalog {
  private cache = new Map<string, CollectionMeta | null>();

  constructor(private sql: SqlStorage) {
    for (const stmt of CATALOG_SCHEMA) sql.exec(stmt);
  }

  private next(name: string): number {
    const row = this.sql
      .exec<{ value: number }>(
        `INSERT INTO _counters (name, value) VALUES (?, 1)
         ON CONFLICT(name) DO UPDATE SET value = value + 1 RETURNING value`,
        name,
      )
      .one();
    return row.value;
  }

  get(name: string): CollectionMeta | null {
    if (this.cache.has(name)) return this.cache.get(name)!;
    const row = this.sql
      .exec<{ tbl: string; validator: string | null }>("SELECT tbl, validator FROM _collections WHERE name = ?", name)
      .toArray()[0];
    let meta: CollectionMeta | null = null;
    if (row) {
      const indexes = this.sql
        .exec<{ name: string; keys: string; is_unique: number; usable: number; sql_name: string }>(
          "SELECT name, keys, is_unique, usable, sql_name FROM _indexes WHERE collection = ? ORDER BY rowid",
          name,
        )
        .toArray()
        .map((r) => ({ name: r.name, keys: JSON.parse(r.keys), unique: !!r.is_unique, usable: !!r.usable, sqlName: r.sql_name }));
      meta = {
        name,
        table: row.tbl,
        validatorJson: row.validator,
        validator: row.validator ? compileValidator(JSON.parse(row.validator)) : null,
        indexes,
      };
    }
    this.cache.set(name, meta);
    return meta;
  }

  names(): string[] {
    return this.sql.exec<{ name: string }>("SELECT name FROM _collections ORDER BY name").toArray().map((r) => r.name);
  }

  /** Writes create collections, as in MongoDB. */
  ensure(name: string, validator?: unknown): CollectionMeta {
    const existing = this.get(name);
    if (existing) return existing;
    const validatorJson = validator === undefined ? null : JSON.stringify(validator);
    if (validator !== undefined) compileValidator(validator);
    const table = `c_${this.next("collection")}`;
    this.sql.exec(
      `CREATE TABLE ${table} (seq INTEGER PRIMARY KEY AUTOINCREMENT, id_key TEXT NOT NULL UNIQUE, doc TEXT NOT NULL)`,
    );
    this.sql.exec("INSERT INTO _collections (name, tbl, validator, created_at) VALUES (?, ?, ?, ?)", name, table, validatorJson, Date.now());
    this.cache.delete(name);
    return this.get(name)!;
  }

  /** Sets or (null) removes a collection's validator; like collMod, documents already stored are not re-checked. */
  setValidator(name: string, validator: unknown | null): boolean {
    if (!this.get(name)) return false;
    if (validator !== null) compileValidator(validator);
    this.sql.exec("UPDATE _collections SET validator = ? WHERE name = ?", validator === null ? null : JSON.stringify(validator), name);
    this.cache.delete(name);
    return true;
  }

  drop(name: string): boolean {
    const meta = this.get(name);
    if (!meta) return false;
    this.sql.exec(`DROP TABLE IF EXISTS ${meta.table}`);
    this.sql.exec("DELETE FROM _indexes WHERE collection = ?", name);
    this.sql.exec("DELETE FROM _collections WHERE name = ?", name);
    this.cache.delete(name);
    return true;
  }

  createIndex(collection: string, keys: Record<string, 1 | -1>, unique: boolean, requestedName?: string): IndexSpec {
    const fields = Object.entries(keys);
    if (fields.length === 0) throw badRequest("INVALID_INDEX", "index keys must name at least one field");
    for (const [field, dir] of fields) {
      if (!validIndexField(field)) throw badRequest("INVALID_INDEX", `index field "${field}" is not a valid path`, { field });
      if (dir !== 1 && dir !== -1) throw badRequest("INVALID_INDEX", `index direction for "${field}" must be 1 or -1`, { field });
    }
    const name = requestedName ?? fields.map(([f, d]) => `${f}_${d}`).join("_");
    if (name === "_id_") throw badRequest("INVALID_INDEX", "the _id index already exists and cannot be redefined");
    const meta = this.ensure(collection);
    const same = meta.indexes.find((i) => i.name === name);
    if (same) {
      if (JSON.stringify(same.keys) === JSON.stringify(keys) && same.unique === unique) return { name, keys, unique };
      throw new AppError(409, "INDEX_CONFLICT", `an index named "${name}" already exists with different options`, { index: name });
    }
    if (meta.indexes.length >= LIMITS.maxIndexesPerCollection) {
      throw badRequest("TOO_MANY_INDEXES", `a collection may have at most ${LIMITS.maxIndexesPerCollection} indexes`);
    }
    const sqlName = `ix_${this.next("index")}`;
    const columns = fields.map(([f, d]) => `${sqlExpr(f)}${d === -1 ? " DESC" : ""}`).join(", ");
    try {
      this.sql.exec(`CREATE ${unique ? "UNIQUE " : ""}INDEX ${sqlName} ON ${meta.table} (${columns})`);
    } catch (err) {
      if (String(err).includes("UNIQUE")) {
        throw new AppError(409, "DUPLICATE_KEY", `cannot build unique index "${name}": existing documents share a key`, { index: name });
      }
      throw err;
    }
    const leading = fields[0][0];
    let usable = 1;
    for (const row of this.sql.exec<{ doc: string }>(`SELECT doc FROM ${meta.table}`)) {
      if (!indexableValue(parseEjson(row.doc) as Doc, leading)) {
        usable = 0;
        break;
      }
    }
    this.sql.exec(
      "INSERT INTO _indexes (collection, name, keys, is_unique, usable, sql_name) VALUES (?, ?, ?, ?, ?, ?)",
      collection, name, JSON.stringify(keys), unique ? 1 : 0, usable, sqlName,
    );
    this.cache.delete(collection);
    return { name, keys, unique };
  }

  dropIndex(collection: string, name: string): boolean {
    const meta = this.get(collection);
    const index = meta?.indexes.find((i) => i.name === name);
    if (!meta || !index) return false;
    this.sql.exec(`DROP INDEX IF EXISTS ${index.sqlName}`);
    this.sql.exec("DELETE FROM _indexes WHERE collection = ? AND name = ?", collection, name);
    this.cache.delete(collection);
    return true;
  }

  /** Called for each written document: an array on an indexed path turns the index off for planning, for good. */
  noteWrite(meta: CollectionMeta, doc: Doc): void {
    for (const index of meta.indexes) {
      if (!index.usable) continue;
      const leading = Object.keys(index.keys)[0];
      if (indexableValue(doc, leading)) continue;
      this.sql.exec("UPDATE _indexes SET usable = 0 WHERE collection = ? AND name = ?", meta.name, index.name);
      index.usable = false;
    }
  }

  /** Index metadata can change inside a transaction that rolls back; forget it so it is reread. */
  invalidate(name?: string): void {
    if (name) this.cache.delete(name);
    else this.cache.clear();
  }
}
