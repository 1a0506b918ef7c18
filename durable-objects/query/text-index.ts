import { badRequest } from "../../worker/lib/errors";
import { parseEjson, type Doc } from "../../worker/lib/ejson";
import { charge } from "../../worker/lib/budget";
import {
  TEXT_LANGUAGES,
  ftsQuery,
  indexedText,
  parseSearch,
  type TextIndexOptions,
  type TextQuery,
} from "../../worker/lib/text-search";

/** A collection's text index: an FTS5 table whose rowid is the document's seq, one column per indexed field. */
export interface TextIndexMeta extends TextIndexOptions {
  name: string;
  sqlName: string;
  keys: Record<string, "text">;
}

/**
 * FTS5 upkeep and queries. Every call runs inside the document write's transaction, so the index never disagrees
 * with the documents.
 */
export class TextIndexes {
  constructor(private sql: SqlStorage) {}

  create(index: TextIndexMeta, table: string): void {
    const columns = index.fields.map((_, i) => `f${i}`).join(", ");
    this.sql.exec(
      `CREATE VIRTUAL TABLE ${index.sqlName} USING fts5(${columns}, tokenize = '${TEXT_LANGUAGES[index.language]}')`,
    );
    for (const row of this.sql.exec<{ seq: number; doc: string }>(`SELECT seq, doc FROM ${table}`)) {
      this.put(index, row.seq, parseEjson(row.doc) as Doc, false);
    }
  }

  drop(index: TextIndexMeta): void {
    this.sql.exec(`DROP TABLE IF EXISTS ${index.sqlName}`);
  }

  /** Indexes a document's text (replacing what its row had when `replacing`). */
  put(index: TextIndexMeta, seq: number, doc: Doc, replacing: boolean): void {
    if (replacing) this.remove(index, [seq]);
    const values = indexedText(doc, index.fields);
    if (values.every((v) => v === "")) return;
    this.sql.exec(
      `INSERT INTO ${index.sqlName} (rowid, ${values.map((_, i) => `f${i}`).join(", ")}) VALUES (?, ${values.map(() => "?").join(", ")})`,
      seq,
      ...values,
    );
  }

  remove(index: TextIndexMeta, seqs: number[]): void {
    if (seqs.length === 1) this.sql.exec(`DELETE FROM ${index.sqlName} WHERE rowid = ?`, seqs[0]);
    else
      this.sql.exec(
        `DELETE FROM ${index.sqlName} WHERE rowid IN (SELECT value FROM json_each(?))`,
        JSON.stringify(seqs),
      );
  }

  /** Matching rows in seq order with their score (BM25 with the field weights; higher is better). */
  *search(
    index: TextIndexMeta | undefined,
    table: string,
    q: TextQuery,
    afterSeq: number,
  ): Generator<{ seq: number; text: string; score: number }> {
    if (!index)
      throw badRequest(
        "TEXT_INDEX_REQUIRED",
        'a $text query needs a text index on the collection (createIndex with {field: "text"})',
      );
    if (q.language !== undefined && q.language.toLowerCase() !== index.language) {
      throw badRequest(
        "TEXT_LANGUAGE_UNSUPPORTED",
        `the text index "${index.name}" is in "${index.language}"; $language must be that language`,
        { language: q.language },
      );
    }
    const match = ftsQuery(parseSearch(q.search));
    if (match === null) return;
    const t = index.sqlName;
    const rows = this.sql.exec(
      `SELECT ${table}.seq, ${table}.doc, -bm25(${t}, ${index.weights.join(", ")}) AS score FROM ${t} JOIN ${table} ON ${table}.seq = ${t}.rowid
       WHERE ${t} MATCH ? AND ${table}.seq > ? ORDER BY ${table}.seq`,
      match,
      afterSeq,
    );
    for (const [seq, text, score] of rows.raw() as IterableIterator<[number, string, number]>) {
      charge();
      yield { seq, text, score };
    }
  }
}
