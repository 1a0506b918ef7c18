import { AppError, badRequest } from "../../worker/lib/errors";
import { parseEjson, stringify, type Doc } from "../../worker/lib/ejson";
import { etagOf, ifMatchSatisfied } from "../../worker/lib/etag";
import { idKey } from "../../worker/lib/ids";
import { choosePlan, jsonPath, type Bound, type Plan } from "../../worker/lib/planner";
import { decodeCursor, encodeCursor, queryFingerprint } from "../../worker/lib/cursor";
import { enforceSchema } from "../../worker/lib/json-schema";
import { LIMITS } from "../../worker/lib/limits";
import { charge } from "../../worker/lib/budget";
import { checkDocument } from "../../worker/lib/query-policy";
import {
  applyUpdate,
  compareValues,
  ensureId,
  matcher,
  project,
  runPipeline,
  sortKeys,
  sortValues,
  upsertSeed,
} from "../../worker/lib/doc-ops";
import { resolve } from "mingo/util";
import type { FindQuery, UpdateResult, WriteOptions } from "../../worker/store/types";
import { sqlExpr, type Catalog, type CollectionMeta } from "./catalog";
import type { TextPage } from "../../worker/lib/text-page";
import {
  SCORE_FIELD,
  exactMatch,
  extractText,
  indexedText,
  metaFields,
  parseSearch,
  type TextQuery,
} from "../../worker/lib/text-search";

/** Only filters with these keys can hold a $text (where it is refused when nested); others skip the extraction. */
const mayHoldText = (filter: Doc) => "$text" in filter || "$and" in filter || "$or" in filter || "$nor" in filter;

/** A stored document; parsed only when something needs to look inside it. */
class Row {
  /** The BM25 score, for rows a $text query found. */
  score?: number;
  constructor(
    readonly seq: number,
    readonly text: string,
    private parsed?: Doc,
  ) {}
  get doc(): Doc {
    return (this.parsed ??= parseEjson(this.text) as Doc);
  }
}

/** What a write changed, per document, for the caller to turn into change events. */
export interface Change {
  op: "insert" | "update" | "replace" | "delete";
  id: unknown;
  before?: Doc;
  after?: Doc;
}

function boundSql(expr: string, b: Bound): [string, unknown[]] {
  if (b.op === "in") return [`${expr} IN (SELECT value FROM json_each(?))`, [JSON.stringify(b.values)]];
  return [`${expr} ${b.op} ?`, [b.value]];
}

function serialize(doc: Doc): string {
  const text = stringify(doc);
  const bytes = new TextEncoder().encode(text).length;
  if (bytes > LIMITS.maxDocumentBytes) {
    throw new AppError(
      413,
      "DOCUMENT_TOO_LARGE",
      `document is ${bytes} bytes; the limit is ${LIMITS.maxDocumentBytes} bytes`,
      {
        size: bytes,
        limit: LIMITS.maxDocumentBytes,
      },
    );
  }
  return text;
}

/** Maps SQLite constraint failures to the 409 MongoDB users know as E11000. */
function duplicateKey(err: unknown, meta: CollectionMeta): never {
  const text = String(err);
  if (!text.includes("UNIQUE constraint failed")) throw err;
  const index = meta.indexes.find((i) => new RegExp(`\\b${i.sqlName}\\b`).test(text));
  const name = index ? index.name : "_id_";
  throw new AppError(
    409,
    "DUPLICATE_KEY",
    `duplicate key: a document with the same ${index ? `key for index "${name}"` : "_id"} already exists`,
    {
      index: name,
      collection: meta.name,
    },
  );
}

/** The field a $text stage's score travels in through a pipeline; removed again at its end. */
const TEXT_SCORE_VAR = "__docflare_text_score";

/** Replaces {$meta: "textScore"} in pipeline stages with a reference to the carried score. */
function withScoreRefs(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withScoreRefs);
  if (value === null || typeof value !== "object" || Object.getPrototypeOf(value) !== Object.prototype) return value;
  const entries = Object.entries(value as Doc);
  if (entries.length === 1 && entries[0][0] === "$meta") {
    if (entries[0][1] !== "textScore")
      throw badRequest("INVALID_PIPELINE", `$meta "${String(entries[0][1])}" is not supported; use "textScore"`);
    return `$${TEXT_SCORE_VAR}`;
  }
  return Object.fromEntries(entries.map(([k, v]) => [k, withScoreRefs(v)]));
}

/** A stage with its score references resolved; a $sort on the score sorts the carried field, best first. */
function scoreStage(stage: Doc): Doc {
  if (stage.$sort && typeof stage.$sort === "object") {
    return {
      $sort: Object.fromEntries(
        Object.entries(stage.$sort as Doc).map(([k, v]) =>
          v !== null && typeof v === "object" ? [TEXT_SCORE_VAR, -1] : [k, v],
        ),
      ),
    };
  }
  return withScoreRefs(stage) as Doc;
}

export class Engine {
  constructor(
    private sql: SqlStorage,
    private catalog: Catalog,
  ) {}

  /** The WHERE clauses of a plan (after `afterSeq` in insertion order). */
  private where(plan: Plan, afterSeq: number): { clauses: string[]; params: unknown[] } {
    const clauses: string[] = [];
    const params: unknown[] = [];
    if (afterSeq > 0) {
      clauses.push("seq > ?");
      params.push(afterSeq);
    }
    if (plan.kind === "id") {
      if (plan.keys.length <= 16) {
        clauses.push(plan.keys.length === 1 ? "id_key = ?" : `id_key IN (${plan.keys.map(() => "?").join(", ")})`);
        params.push(...plan.keys);
      } else {
        clauses.push("id_key IN (SELECT value FROM json_each(?))");
        params.push(JSON.stringify(plan.keys));
      }
      return { clauses, params };
    }
    for (const p of plan.pushed) {
      const expr = sqlExpr(p.field);
      for (const b of p.bounds) {
        const [clause, values] = boundSql(expr, b);
        clauses.push(clause);
        params.push(...values);
      }
      if (p.guard)
        clauses.push(
          `json_type(doc, '${jsonPath(p.field).replace(/'/g, "''")}') IN (${p.types.map((t) => `'${t}'`).join(", ")})`,
        );
    }
    return { clauses, params };
  }

  /**
   * Streams candidate rows for a plan in insertion order; `afterSeq` continues a natural-order listing. Every query
   * carries a LIMIT, so SQLite can stop early (or walk the table in order instead of sorting an index's matches): an
   * exact plan asks for `max` rows, any other reads in growing batches until the caller has what it needs.
   */
  private *candidates(
    meta: CollectionMeta,
    plan: Plan,
    afterSeq = 0,
    max?: number,
  ): Generator<{ seq: number; text: string }> {
    // One _id key matches at most one row (id_key is UNIQUE): no ordering or limit to plan for.
    if (plan.kind === "id" && plan.keys.length === 1) {
      const { clauses, params } = this.where(plan, afterSeq);
      for (const [seq, text] of this.sql
        .exec(`SELECT seq, doc FROM ${meta.table} WHERE ${clauses.join(" AND ")}`, ...params)
        .raw() as IterableIterator<[number, string]>) {
        charge();
        yield { seq, text };
      }
      return;
    }
    const bounded = plan.exact && max !== undefined && max < Number.MAX_SAFE_INTEGER;
    // An exact plan read whole (a count, an update of every match) is one query; only a matcher needs batches.
    const whole = plan.exact && !bounded;
    let batch = bounded ? Math.floor(max) : Math.max(64, Math.min(4096, 2 * Math.floor(max ?? 64)));
    let after = afterSeq;
    for (;;) {
      const { clauses, params } = this.where(plan, after);
      const where = clauses.length ? ` WHERE ${clauses.join(" AND ")}` : "";
      let n = 0;
      const limit = whole ? "" : ` LIMIT ${batch}`;
      // An index's matches come in key order, so SQLite sorts them by seq; the sort then only needs the seqs, which the
      // index holds. Reading the documents after the LIMIT fetches a page's rows instead of every match's.
      const sql =
        plan.kind === "index" && !whole
          ? `SELECT seq, doc FROM ${meta.table} WHERE seq IN (SELECT seq FROM ${meta.table}${where} ORDER BY seq${limit}) ORDER BY seq`
          : `SELECT seq, doc FROM ${meta.table}${where} ORDER BY seq${limit}`;
      for (const [seq, text] of this.sql.exec(sql, ...params).raw() as IterableIterator<[number, string]>) {
        charge();
        n++;
        after = seq;
        yield { seq, text };
      }
      if (whole || bounded || n < batch) return;
      batch = Math.min(batch * 4, 16_384);
    }
  }

  /** `max` caps the rows read when the plan is exact (every candidate is a match); otherwise the caller stops early. */
  /** `planned`: the plan the caller already chose for this filter (a text query never has one). */
  private *matches(
    meta: CollectionMeta,
    filter: Doc,
    afterSeq = 0,
    stats?: { examined: number; plan?: Plan | { kind: "text" } },
    max?: number,
    planned?: Plan,
  ): Generator<Row> {
    if (!planned && mayHoldText(filter)) {
      const { text, rest } = extractText(filter);
      if (text) {
        if (stats) stats.plan = { kind: "text" };
        yield* this.textMatches(meta, text, rest, afterSeq, stats);
        return;
      }
    }
    const plan = planned ?? choosePlan(filter, meta.indexes);
    if (stats) stats.plan = plan;
    if (plan.exact) {
      for (const c of this.candidates(meta, plan, afterSeq, max)) {
        if (stats) stats.examined++;
        yield new Row(c.seq, c.text);
      }
      return;
    }
    const test = matcher(filter);
    for (const c of this.candidates(meta, plan, afterSeq, max)) {
      if (stats) stats.examined++;
      const doc = parseEjson(c.text) as Doc;
      if (test(doc)) yield new Row(c.seq, c.text, doc);
    }
  }

  /** Rows the text index finds, scored, then checked against the rest of the filter (and case or diacritics). */
  private *textMatches(
    meta: CollectionMeta,
    text: TextQuery,
    rest: Doc,
    afterSeq: number,
    stats?: { examined: number },
  ): Generator<Row> {
    const test = Object.keys(rest).length ? matcher(rest) : null;
    const parsed = parseSearch(text.search);
    const exact = text.caseSensitive || text.diacriticSensitive;
    for (const c of this.catalog.texts.search(meta.text, meta.table, text, afterSeq)) {
      if (stats) stats.examined++;
      const row = new Row(c.seq, c.text);
      if (exact && !exactMatch(parsed, indexedText(row.doc, meta.text!.fields), text)) continue;
      if (test && !test(row.doc)) continue;
      row.score = c.score;
      yield row;
    }
  }

  /**
   * A sort the index answers: one field, whose pushed condition admits one kind of value (numbers, or strings), in an
   * exact plan. SQLite then walks the index in order and stops at the page; ties go by insertion order.
   */
  private indexOrder(
    plan: Plan,
    sort: Record<string, unknown> | undefined,
  ): { plan: Plan; field: string; dir: 1 | -1 } | null {
    if (plan.kind !== "index" || !plan.exact) return null;
    let field: string;
    let dir: unknown = 1;
    if (sort) {
      const entries = Object.entries(sort);
      if (entries.length !== 1) return null;
      [field, dir] = entries[0];
      if ((dir !== 1 && dir !== -1) || field === "_id") return null;
    } else {
      // Without a sort, a range or $in is listed in index order (as MongoDB does): the index then yields the page and
      // stops, where insertion order would have to read and sort every match first. Equality keeps insertion order.
      const best = plan.pushed.find((p) => p.field === plan.field);
      if (!best || (best.equality && !best.bounds.some((b) => b.op === "in"))) return null;
      field = best.field;
    }
    const on = plan.pushed.find((p) => p.field === field);
    if (!on) return null;
    const numeric = on.types.every((t) => t === "integer" || t === "real");
    if (!numeric && !on.types.every((t) => t === "text")) return null;
    return { plan, field, dir: dir as 1 | -1 };
  }

  private indexOrdered(
    meta: CollectionMeta,
    o: { plan: Plan; field: string; dir: 1 | -1 },
    after: { value: unknown; seq: number } | undefined,
    max: number,
  ): Array<{ row: Row; key: unknown }> {
    const { clauses, params } = this.where(o.plan, 0);
    const expr = sqlExpr(o.field);
    if (after) {
      const cmp = o.dir === 1 ? ">" : "<";
      // A row value: SQLite seeks the index (value, rowid) to the position instead of filtering from the start.
      clauses.push(`(${expr}, seq) ${cmp} (?, ?)`);
      params.push(after.value, after.seq);
    }
    const order = o.dir === 1 ? "ASC" : "DESC";
    const out: Array<{ row: Row; key: unknown }> = [];
    const sql = `SELECT seq, doc, ${expr} FROM ${meta.table} WHERE ${clauses.join(" AND ")} ORDER BY ${expr} ${order}, seq ${order} LIMIT ${Math.floor(Math.min(max, Number.MAX_SAFE_INTEGER))}`;
    for (const [seq, text, key] of this.sql.exec(sql, ...params).raw() as IterableIterator<[number, string, unknown]>) {
      charge();
      out.push({ row: new Row(seq, text), key });
    }
    return out;
  }

  find(name: string, q: FindQuery): TextPage {
    const meta = this.catalog.get(name);
    const limit = q.limit ?? Number.MAX_SAFE_INTEGER;
    const skip = q.skip ?? 0;
    const filter = q.filter ?? {};
    const fingerprint = queryFingerprint(name, filter, q.sort);
    const position = q.cursor ? decodeCursor(q.cursor, fingerprint) : undefined;
    if (!meta)
      return {
        json: "[]",
        count: 0,
        total: q.count ? 0 : undefined,
        explain: q.explain ? { strategy: "scan", docsExamined: 0, nReturned: 0 } : undefined,
      };
    const stats = { examined: 0, plan: undefined as Plan | undefined };
    let page: Row[] = [];
    let nextCursor: string | undefined;
    // Planned once here for every path below (a text query plans in its own way).
    const plan = mayHoldText(filter) && extractText(filter).text ? undefined : choosePlan(filter, meta.indexes);
    const ordered = plan ? this.indexOrder(plan, q.sort) : null;
    if (ordered) {
      // The index yields the sort order: read the page and stop, keyed by (sort value, seq) for the next one.
      if (position && position.kind !== "keyed") throw badRequest("INVALID_CURSOR", "cursor does not fit this listing");
      stats.plan = ordered.plan;
      const rows = this.indexOrdered(
        meta,
        ordered,
        position?.kind === "keyed" ? position : undefined,
        skip + limit + 1,
      );
      stats.examined = rows.length;
      page = rows.slice(skip, skip + limit + 1).map((r) => r.row);
      if (page.length > limit) {
        page = page.slice(0, limit);
        const last = rows[skip + limit - 1];
        nextCursor = encodeCursor(fingerprint, { kind: "keyed", value: last.key, seq: last.row.seq });
      }
    } else if (!q.sort) {
      if (position && position.kind !== "row") throw badRequest("INVALID_CURSOR", "cursor does not fit this listing");
      let skipped = 0;
      for (const row of this.matches(meta, filter, position?.rowid ?? 0, stats, skip + limit + 1, plan)) {
        if (skipped < skip) {
          skipped++;
          continue;
        }
        page.push(row);
        if (page.length > limit) break;
      }
      if (page.length > limit) {
        page = page.slice(0, limit);
        nextCursor = encodeCursor(fingerprint, { kind: "row", rowid: page[page.length - 1].seq });
      }
    } else {
      const scored = metaFields(q.sort as Doc);
      const keys = sortKeys(
        Object.fromEntries(
          Object.entries(q.sort).map(([k, v]) => (scored.includes(k) ? [SCORE_FIELD, -1] : [k, v])),
        ) as Record<string, 1 | -1>,
      );
      if (position && position.kind !== "sort") throw badRequest("INVALID_CURSOR", "cursor does not fit this listing");
      let all = [...this.matches(meta, filter, 0, stats, undefined, plan)].map((row) => ({
        row,
        key: keys.map(([f]) => (f === SCORE_FIELD ? (row.score ?? null) : sortValues(row.doc, [[f, 1]])[0])),
      }));
      if (position?.kind === "sort") all = all.filter((e) => compareValues(e.key, position.values, keys) > 0);
      all.sort((a, b) => compareValues(a.key, b.key, keys));
      const slice = all.slice(skip, skip + limit + 1);
      if (slice.length > limit) {
        slice.pop();
        nextCursor = encodeCursor(fingerprint, { kind: "sort", values: slice[slice.length - 1].key });
      }
      page = slice.map((e) => e.row);
    }
    const texts = this.output(page, q.projection);
    const used = stats.plan ?? { kind: "scan" as const };
    return {
      json: `[${texts.join(",")}]`,
      count: texts.length,
      nextCursor,
      total: q.count ? this.count(name, filter) : undefined,
      explain: q.explain
        ? {
            strategy: used.kind,
            index: used.kind === "index" ? used.index : used.kind === "id" ? "_id_" : undefined,
            docsExamined: stats.examined,
            nReturned: texts.length,
          }
        : undefined,
    };
  }

  /** A page's documents as text: stored text when there is no projection; `{$meta: "textScore"}` fields added. */
  private output(page: Row[], projection: Doc | undefined): string[] {
    if (!projection || Object.keys(projection).length === 0) return page.map((r) => r.text);
    const scored = metaFields(projection);
    if (scored.length === 0)
      return project(
        page.map((r) => r.doc),
        projection,
      ).map((d) => stringify(d));
    const rest = Object.fromEntries(Object.entries(projection).filter(([k]) => !scored.includes(k)));
    const docs = Object.keys(rest).length
      ? project(
          page.map((r) => r.doc),
          rest,
        )
      : page.map((r) => ({ ...r.doc }));
    return docs.map((d, i) => {
      for (const f of scored) d[f] = page[i].score ?? null;
      return stringify(d);
    });
  }

  /** Returns the stored text as well, so a plain read by id needs no parse or re-serialization at all. */
  findOne(name: string, filter: Doc, projection?: Doc): { doc?: Doc; text: string; etag: string } | null {
    const meta = this.catalog.get(name);
    if (!meta) return null;
    for (const row of this.matches(meta, filter, 0, undefined, 1)) {
      return {
        ...(projection ? { doc: project([row.doc], projection)[0] } : {}),
        text: row.text,
        etag: etagOf(row.text),
      };
    }
    return null;
  }

  /**
   * The read behind GET /{collection}/{id}: `_id` keys go straight to the unique index, with no filter to parse or
   * plan. Several keys (a path segment that reads as number and string) may match several documents; the first
   * inserted wins, as it would for findOne.
   */
  findByKeys(name: string, keys: string[]): { text: string; etag: string } | null {
    const meta = this.catalog.get(name);
    if (!meta || keys.length === 0) return null;
    // One equality probe per key, joined with UNION ALL: on workerd this is as cheap as a single probe, where
    // `IN (?, ?)` first builds an ephemeral table of the keys.
    const probe = `SELECT seq, doc FROM ${meta.table} WHERE id_key = ?`;
    let first: [number, string] | undefined;
    for (const row of this.sql.exec(keys.map(() => probe).join(" UNION ALL "), ...keys).raw() as IterableIterator<
      [number, string]
    >) {
      if (!first || row[0] < first[0]) first = row;
    }
    return first ? { text: first[1], etag: etagOf(first[1]) } : null;
  }

  count(name: string, filter: Doc): number {
    const meta = this.catalog.get(name);
    if (!meta) return 0;
    if (Object.keys(filter).length === 0) {
      return this.sql.exec<{ n: number }>(`SELECT count(*) AS n FROM ${meta.table}`).one().n;
    }
    const plan = mayHoldText(filter) && extractText(filter).text ? undefined : choosePlan(filter, meta.indexes);
    if (plan?.exact) {
      const { clauses, params } = this.where(plan, 0);
      return this.sql
        .exec<{ n: number }>(`SELECT count(*) AS n FROM ${meta.table} WHERE ${clauses.join(" AND ")}`, ...params)
        .one().n;
    }
    let n = 0;
    for (const _ of this.matches(meta, filter, 0, undefined, undefined, plan)) n++;
    return n;
  }

  private insertRow(meta: CollectionMeta, input: Doc): { id: unknown; text: string; doc: Doc } {
    const doc = ensureId(input);
    if (meta.validator) enforceSchema(meta.validator, doc);
    const text = serialize(doc);
    try {
      this.sql.exec(`INSERT INTO ${meta.table} (id_key, doc) VALUES (?, ?)`, idKey(doc._id), text);
    } catch (err) {
      duplicateKey(err, meta);
    }
    this.catalog.noteWrite(meta, doc);
    if (meta.text)
      this.catalog.texts.put(
        meta.text,
        this.sql.exec<{ seq: number }>("SELECT last_insert_rowid() AS seq").one().seq,
        doc,
        false,
      );
    return { id: doc._id, text, doc };
  }

  private rewrite(meta: CollectionMeta, row: Row, doc: Doc): string {
    if (meta.validator) enforceSchema(meta.validator, doc);
    const text = serialize(doc);
    try {
      this.sql.exec(`UPDATE ${meta.table} SET doc = ? WHERE seq = ?`, text, row.seq);
    } catch (err) {
      duplicateKey(err, meta);
    }
    this.catalog.noteWrite(meta, doc);
    if (meta.text) this.catalog.texts.put(meta.text, row.seq, doc, true);
    return text;
  }

  insert(name: string, docs: Doc[], changes: Change[]): Array<{ id: unknown; etag: string }> {
    const meta = this.catalog.ensure(name);
    return docs.map((d) => {
      const { id, text, doc } = this.insertRow(meta, d);
      changes.push({ op: "insert", id, after: doc });
      return { id, etag: etagOf(text) };
    });
  }

  private targets(meta: CollectionMeta, filter: Doc, many: boolean, opts: WriteOptions): Row[] {
    const rows: Row[] = [];
    for (const row of this.matches(meta, filter, 0, undefined, many ? undefined : 1)) {
      rows.push(row);
      if (!many) break;
    }
    if (opts.ifMatch !== undefined && rows.length === 1 && !ifMatchSatisfied(opts.ifMatch, etagOf(rows[0].text))) {
      throw new AppError(412, "PRECONDITION_FAILED", "the document changed since it was read (ETag mismatch)", {
        etag: etagOf(rows[0].text),
      });
    }
    return rows;
  }

  /** The insert an upsert that matched nothing makes, answered as MongoDB answers it. */
  private upsertRow(meta: CollectionMeta, seeded: Doc, opts: WriteOptions, changes: Change[]): UpdateResult {
    const { id, text, doc } = this.insertRow(meta, seeded);
    changes.push({ op: "insert", id, after: doc });
    return {
      matchedCount: 0,
      modifiedCount: 0,
      upsertedId: id,
      ...(opts.returnDocument ? { document: parseEjson(text) as Doc, etag: etagOf(text) } : {}),
    };
  }

  update(
    name: string,
    filter: Doc,
    update: Doc | Doc[],
    many: boolean,
    opts: WriteOptions,
    changes: Change[],
  ): UpdateResult {
    const meta = opts.upsert ? this.catalog.ensure(name) : this.catalog.get(name);
    if (!meta) return { matchedCount: 0, modifiedCount: 0 };
    const rows = this.targets(meta, filter, many, opts);
    if (rows.length === 0) {
      if (!opts.upsert) return { matchedCount: 0, modifiedCount: 0 };
      const seeded = applyUpdate(upsertSeed(filter), update, opts.arrayFilters, true).doc;
      checkDocument(seeded);
      return this.upsertRow(meta, seeded, opts, changes);
    }
    let modified = 0;
    let last: { doc: Doc; text: string } | undefined;
    for (const row of rows) {
      const outcome = applyUpdate(row.doc, update, opts.arrayFilters, false);
      let text = row.text;
      if (outcome.changed) {
        // An update's result is a document like any other: the same depth, name and size rules as an insert.
        checkDocument(outcome.doc);
        text = this.rewrite(meta, row, outcome.doc);
        modified++;
        changes.push({ op: "update", id: row.doc._id, before: row.doc, after: outcome.doc });
      }
      last = { doc: outcome.doc, text };
    }
    return {
      matchedCount: rows.length,
      modifiedCount: modified,
      ...(opts.returnDocument && last ? { document: last.doc, etag: etagOf(last.text) } : {}),
    };
  }

  replace(name: string, filter: Doc, replacement: Doc, opts: WriteOptions, changes: Change[]): UpdateResult {
    const meta = opts.upsert ? this.catalog.ensure(name) : this.catalog.get(name);
    if (!meta) return { matchedCount: 0, modifiedCount: 0 };
    const [row] = this.targets(meta, filter, false, opts);
    if (!row) {
      if (!opts.upsert) return { matchedCount: 0, modifiedCount: 0 };
      const seed = upsertSeed(filter);
      return this.upsertRow(
        meta,
        { ...(seed._id !== undefined ? { _id: seed._id } : {}), ...replacement },
        opts,
        changes,
      );
    }
    if (replacement._id !== undefined && idKey(replacement._id) !== idKey(row.doc._id)) {
      throw badRequest("IMMUTABLE_FIELD", "the replacement would change the immutable field '_id'", { path: "_id" });
    }
    const doc = { _id: row.doc._id, ...replacement };
    const text = this.rewrite(meta, row, doc);
    const modified = text !== row.text ? 1 : 0;
    if (modified) changes.push({ op: "replace", id: row.doc._id, before: row.doc, after: doc });
    return {
      matchedCount: 1,
      modifiedCount: modified,
      ...(opts.returnDocument ? { document: doc, etag: etagOf(text) } : {}),
    };
  }

  delete(name: string, filter: Doc, many: boolean, opts: WriteOptions, changes: Change[]): number {
    const meta = this.catalog.get(name);
    if (!meta) return 0;
    const rows = this.targets(meta, filter, many, opts);
    if (rows.length === 0) return 0;
    this.sql.exec(
      `DELETE FROM ${meta.table} WHERE seq IN (SELECT value FROM json_each(?))`,
      JSON.stringify(rows.map((r) => r.seq)),
    );
    if (meta.text)
      this.catalog.texts.remove(
        meta.text,
        rows.map((r) => r.seq),
      );
    for (const r of rows) changes.push({ op: "delete", id: r.doc._id, before: r.doc });
    return rows.length;
  }

  all(name: string): Doc[] {
    const meta = this.catalog.get(name);
    if (!meta) return [];
    return [...this.matches(meta, {})].map((r) => r.doc);
  }

  aggregate(name: string, pipeline: Doc[]): Doc[] {
    const first = pipeline[0] as { $match?: Doc } | undefined;
    const meta = this.catalog.get(name);
    const rows = !meta ? [] : first?.$match ? [...this.matches(meta, first.$match)] : null;
    const scored = rows?.some((r) => r.score !== undefined) ?? false;
    // A $text first stage: later stages read the score through {$meta: "textScore"}, carried in a hidden field.
    const input = rows ? rows.map((r) => (scored ? { ...r.doc, [TEXT_SCORE_VAR]: r.score } : r.doc)) : this.all(name);
    let rest = first?.$match ? pipeline.slice(1) : pipeline;
    if (scored) rest = [...rest.map(scoreStage), { $unset: TEXT_SCORE_VAR }];
    // A $lookup or $unionWith asks for its collection once per input document: read each collection once per run.
    const read = new Map<string, Doc[]>();
    const lookup = (other: string) => {
      let docs = read.get(other);
      if (!docs) read.set(other, (docs = this.all(other)));
      return docs;
    };
    return runPipeline(input, rest, lookup);
  }

  distinct(name: string, field: string, filter: Doc): unknown[] {
    const meta = this.catalog.get(name);
    if (!meta) return [];
    const seen = new Map<string, unknown>();
    for (const row of this.matches(meta, filter)) {
      const value = resolve(row.doc, field);
      for (const v of Array.isArray(value) ? value : [value]) {
        if (v !== undefined) seen.set(stringify({ v }, true), v);
      }
    }
    return [...seen.values()];
  }

  stats(name: string): { count: number; sizeBytes: number } | null {
    const meta = this.catalog.get(name);
    if (!meta) return null;
    const row = this.sql
      .exec<{ n: number; size: number | null }>(`SELECT count(*) AS n, sum(length(doc)) AS size FROM ${meta.table}`)
      .one();
    return { count: row.n, sizeBytes: row.size ?? 0 };
  }

  sample(name: string, size: number): Doc[] {
    const meta = this.catalog.get(name);
    if (!meta) return [];
    return this.sql
      .exec<{ doc: string }>(`SELECT doc FROM ${meta.table} ORDER BY random() LIMIT ?`, size)
      .toArray()
      .map((r) => parseEjson(r.doc) as Doc);
  }
}
