import { Decimal128, Long } from "bson";
import type { Validator } from "@cfworker/json-schema";
import { AppError, badRequest } from "../../worker/lib/errors";
import { compileValidator } from "../../worker/lib/json-schema";
import { jsonPath, validIndexField, type IndexInfo } from "../../worker/lib/planner";
import { isPlainObject, parseEjson, type Doc } from "../../worker/lib/ejson";
import { LIMITS } from "../../worker/lib/limits";
import type { IndexKeys, IndexOptions, IndexSpec } from "../../worker/store/types";
import { textIndexOptions } from "../../worker/lib/text-search";
import { TextIndexes, type TextIndexMeta } from "./text-index";

export interface CollectionMeta {
  name: string;
  table: string;
  validatorJson: string | null;
  validator: Validator | null;
  indexes: Array<IndexInfo & { sqlName: string }>;
  /** The collection's text index, if it has one (at most one, as in MongoDB). */
  text?: TextIndexMeta;
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
  readonly texts: TextIndexes;

  constructor(private sql: SqlStorage) {
    for (const stmt of CATALOG_SCHEMA) sql.exec(stmt);
    // Text indexes keep their fields, weights and language here.
    if (
      !sql
        .exec<{ name: string }>("SELECT name FROM pragma_table_info('_indexes')")
        .toArray()
        .some((c) => c.name === "options")
    ) {
      sql.exec("ALTER TABLE _indexes ADD COLUMN options TEXT");
    }
    this.texts = new TextIndexes(sql);
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
      const all = this.sql
        .exec<{
          name: string;
          keys: string;
          is_unique: number;
          usable: number;
          sql_name: string;
          options: string | null;
        }>(
          "SELECT name, keys, is_unique, usable, sql_name, options FROM _indexes WHERE collection = ? ORDER BY rowid",
          name,
        )
        .toArray();
      const textRow = all.find((r) => r.options !== null);
      meta = {
        name,
        table: row.tbl,
        validatorJson: row.validator,
        validator: row.validator ? compileValidator(JSON.parse(row.validator)) : null,
        indexes: all
          .filter((r) => r.options === null)
          .map((r) => ({
            name: r.name,
            keys: JSON.parse(r.keys),
            unique: !!r.is_unique,
            usable: !!r.usable,
            sqlName: r.sql_name,
          })),
        ...(textRow
          ? {
              text: {
                name: textRow.name,
                sqlName: textRow.sql_name,
                keys: JSON.parse(textRow.keys),
                ...JSON.parse(textRow.options!),
              },
            }
          : {}),
      };
    }
    this.cache.set(name, meta);
    return meta;
  }

  names(): string[] {
    return this.sql
      .exec<{ name: string }>("SELECT name FROM _collections ORDER BY name")
      .toArray()
      .map((r) => r.name);
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
    this.sql.exec(
      "INSERT INTO _collections (name, tbl, validator, created_at) VALUES (?, ?, ?, ?)",
      name,
      table,
      validatorJson,
      Date.now(),
    );
    this.cache.delete(name);
    return this.get(name)!;
  }

  /** Sets or (null) removes a collection's validator; like collMod, documents already stored are not re-checked. */
  setValidator(name: string, validator: unknown | null): boolean {
    if (!this.get(name)) return false;
    if (validator !== null) compileValidator(validator);
    this.sql.exec(
      "UPDATE _collections SET validator = ? WHERE name = ?",
      validator === null ? null : JSON.stringify(validator),
      name,
    );
    this.cache.delete(name);
    return true;
  }

  drop(name: string): boolean {
    const meta = this.get(name);
    if (!meta) return false;
    if (meta.text) this.texts.drop(meta.text);
    this.sql.exec(`DROP TABLE IF EXISTS ${meta.table}`);
    this.sql.exec("DELETE FROM _indexes WHERE collection = ?", name);
    this.sql.exec("DELETE FROM _collections WHERE name = ?", name);
    this.cache.delete(name);
    return true;
  }

  createIndex(collection: string, keys: IndexKeys, options: IndexOptions): IndexSpec {
    if (Object.values(keys).includes("text")) return this.createTextIndex(collection, keys, options);
    return this.createFieldIndex(collection, keys as Record<string, 1 | -1>, options.unique ?? false, options.name);
  }

  private createTextIndex(collection: string, keys: IndexKeys, options: IndexOptions): IndexSpec {
    const text = textIndexOptions(keys, options.weights, options.default_language);
    for (const f of text.fields)
      if (f !== "$**" && !validIndexField(f))
        throw badRequest("INVALID_INDEX", `index field "${f}" is not a valid path`, { field: f });
    if (options.unique) throw badRequest("INVALID_INDEX", "a text index cannot be unique");
    const name = options.name ?? text.fields.map((f) => `${f}_text`).join("_");
    const meta = this.ensure(collection);
    const spec: IndexSpec = {
      name,
      keys,
      unique: false,
      weights: Object.fromEntries(text.fields.map((f, i) => [f, text.weights[i]])),
      default_language: text.language,
    };
    if (meta.text) {
      const same =
        meta.text.name === name &&
        JSON.stringify(meta.text.fields) === JSON.stringify(text.fields) &&
        JSON.stringify(meta.text.weights) === JSON.stringify(text.weights) &&
        meta.text.language === text.language;
      if (same) return spec;
      throw new AppError(
        409,
        "INDEX_CONFLICT",
        `the collection already has a text index ("${meta.text.name}"); a collection has at most one`,
        { index: meta.text.name },
      );
    }
    if (meta.indexes.some((i) => i.name === name))
      throw new AppError(409, "INDEX_CONFLICT", `an index named "${name}" already exists with different options`, {
        index: name,
      });
    const sqlName = `ft_${this.next("index")}`;
    this.texts.create({ ...text, name, sqlName, keys: keys as Record<string, "text"> }, meta.table);
    this.sql.exec(
      "INSERT INTO _indexes (collection, name, keys, is_unique, usable, sql_name, options) VALUES (?, ?, ?, 0, 1, ?, ?)",
      collection,
      name,
      JSON.stringify(keys),
      sqlName,
      JSON.stringify(text),
    );
    this.cache.delete(collection);
    return spec;
  }

  private createFieldIndex(
    collection: string,
    keys: Record<string, 1 | -1>,
    unique: boolean,
    requestedName?: string,
  ): IndexSpec {
    const fields = Object.entries(keys);
    if (fields.length === 0) throw badRequest("INVALID_INDEX", "index keys must name at least one field");
    for (const [field, dir] of fields) {
      if (!validIndexField(field))
        throw badRequest("INVALID_INDEX", `index field "${field}" is not a valid path`, { field });
      if (dir !== 1 && dir !== -1)
        throw badRequest("INVALID_INDEX", `index direction for "${field}" must be 1 or -1`, { field });
    }
    const name = requestedName ?? fields.map(([f, d]) => `${f}_${d}`).join("_");
    if (name === "_id_") throw badRequest("INVALID_INDEX", "the _id index already exists and cannot be redefined");
    const meta = this.ensure(collection);
    const same = meta.indexes.find((i) => i.name === name);
    if (same) {
      if (JSON.stringify(same.keys) === JSON.stringify(keys) && same.unique === unique) return { name, keys, unique };
      throw new AppError(409, "INDEX_CONFLICT", `an index named "${name}" already exists with different options`, {
        index: name,
      });
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
        throw new AppError(
          409,
          "DUPLICATE_KEY",
          `cannot build unique index "${name}": existing documents share a key`,
          { index: name },
        );
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
      collection,
      name,
      JSON.stringify(keys),
      unique ? 1 : 0,
      usable,
      sqlName,
    );
    this.cache.delete(collection);
    return { name, keys, unique };
  }

  dropIndex(collection: string, name: string): boolean {
    const meta = this.get(collection);
    if (meta?.text?.name === name) {
      this.texts.drop(meta.text);
      this.sql.exec("DELETE FROM _indexes WHERE collection = ? AND name = ?", collection, name);
      this.cache.delete(collection);
      return true;
    }
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
