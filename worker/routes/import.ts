import { createRoute, z } from "@hono/zod-openapi";
import type { Context } from "hono";
import type { AppEnv } from "../app-env";
import { AppError, badRequest } from "../lib/errors";
import { toJson, type Doc } from "../lib/ejson";
import { idKey } from "../lib/ids";
import { LIMITS } from "../lib/limits";
import { checkDocument } from "../lib/query-policy";
import { compileValidator, enforceSchema } from "../lib/json-schema";
import { parseJsonParam } from "../lib/list-params";
import { detectFormat, ImportOptions, inferTypes, parseRows, toDocument, upsertFilter, type RowError } from "../lib/import-rows";
import { decodeUtf8 } from "../middleware/body-guard";
import type { DocumentStore } from "../store/types";
import { AnyJson, bearer, documented, errorResponses, resourceApp } from "./openapi";

const app = resourceApp();
/** Rows written per transaction; a refused chunk is retried row by row so only its bad rows fail. */
const CHUNK = 500;
/** Bad rows listed in an answer; the counts cover all of them. */
const MAX_LISTED = 1000;
const PREVIEW = 20;

const importRoute = createRoute({
  method: "post", path: "/{collection}/import", tags: ["Documents"], security: bearer,
  summary: "Import CSV, TSV, NDJSON or a JSON array, with a column mapping, field types, upsert keys and a dry run",
  description:
    "The body is the file (format from Content-Type or `format`). Options: `mapping` (JSON: column → field, dotted paths nest, \"\" skips), `types` (JSON: field → auto|string|number|integer|decimal|boolean|date|objectId|json), `nullIfEmpty`, `upsertKeys` (comma-separated), `onError` (skip|stop), `dryRun=true` (a preview; writes nothing).",
  request: {
    params: z.object({ collection: z.string() }),
    query: z.object({
      format: z.string().optional(), dryRun: z.string().optional(), mapping: z.string().optional(), types: z.string().optional(),
      nullIfEmpty: z.string().optional(), upsertKeys: z.string().optional(), onError: z.string().optional(),
    }),
  },
  responses: { 200: { description: "What was (or, in a dry run, would be) written, and every bad row", content: { "application/json": { schema: AnyJson } } }, ...errorResponses },
});

function optionsOf(params: URLSearchParams): ImportOptions {
  const parsed = ImportOptions.safeParse({
    mapping: params.has("mapping") ? parseJsonParam("mapping", params.get("mapping")!) : undefined,
    types: params.has("types") ? parseJsonParam("types", params.get("types")!) : undefined,
    nullIfEmpty: params.has("nullIfEmpty") ? params.get("nullIfEmpty") !== "false" : undefined,
    upsertKeys: params.get("upsertKeys")?.split(",").map((k) => k.trim()).filter(Boolean),
    onError: params.get("onError") ?? undefined,
  });
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw badRequest("INVALID_PARAMETER", `${issue.path.join(".")}: ${issue.message}`, { parameter: String(issue.path[0]) });
  }
  return parsed.data;
}

/** A refusal of the row itself (invalid, a duplicate, too large); anything else (403, 5xx) ends the import. */
function rowProblem(err: unknown): boolean {
  return err instanceof AppError && (err.status === 400 || err.status === 409 || err.status === 413);
}

function describe(err: unknown): { reason: string; code: string; path?: string } {
  if (err instanceof AppError) {
    const details = err.details as { path?: string; errors?: { path: string }[] } | undefined;
    return { reason: err.message, code: err.code, path: details?.errors?.[0]?.path ?? details?.path };
  }
  return { reason: (err as Error).message, code: "IMPORT_FAILED" };
}

type Candidate = { row: number; doc: Doc };

/** The dry run's checks beyond types: document rules, the collection's validator, and _ids that would collide. */
async function dryRunChecks(store: DocumentStore, collection: string, candidates: Candidate[], upsert: boolean): Promise<{ valid: Candidate[]; errors: RowError[] }> {
  const errors: RowError[] = [];
  const info = await store.collectionStats(collection);
  const validator = info?.validator ? compileValidator(info.validator) : null;
  const seen = new Set<string>();
  const valid: Candidate[] = [];
  for (const c of candidates) {
    try {
      checkDocument(c.doc);
      if (validator) enforceSchema(validator, c.doc);
      if (!upsert && c.doc._id !== undefined) {
        const key = idKey(c.doc._id);
        if (seen.has(key)) throw new AppError(409, "DUPLICATE_KEY", "duplicate _id within the file", { path: "_id" });
        seen.add(key);
      }
      valid.push(c);
    } catch (err) {
      errors.push({ row: c.row, ...describe(err) });
    }
  }
  if (!upsert) {
    const withIds = valid.filter((c) => c.doc._id !== undefined);
    const taken = new Set<string>();
    for (let i = 0; i < withIds.length; i += CHUNK) {
      const ids = withIds.slice(i, i + CHUNK).map((c) => c.doc._id);
      const found = await store.find(collection, { filter: { _id: { $in: ids } }, projection: { _id: 1 }, limit: LIMITS.maxPageSize });
      for (const d of found.documents) taken.add(idKey(d._id));
    }
    for (const c of withIds) if (taken.has(idKey(c.doc._id))) errors.push({ row: c.row, reason: "a document with this _id already exists", code: "DUPLICATE_KEY", path: "_id" });
    return { valid: valid.filter((c) => c.doc._id === undefined || !taken.has(idKey(c.doc._id))), errors };
  }
  return { valid, errors };
}

documented(app, importRoute, async (c: Context<AppEnv>) => {
  const collection = c.req.param("collection")!;
  const params = new URL(c.req.url).searchParams;
  const format = detectFormat(c.req.header("content-type") ?? "", params.get("format"));
  const options = optionsOf(params);
  const length = Number(c.req.header("content-length") ?? 0);
  if (length > LIMITS.maxBodyBytes) throw new AppError(413, "BODY_TOO_LARGE", `an import request takes at most ${LIMITS.maxBodyBytes} bytes`);
  const bytes = await c.req.arrayBuffer();
  if (bytes.byteLength > LIMITS.maxBodyBytes) throw new AppError(413, "BODY_TOO_LARGE", `an import request takes at most ${LIMITS.maxBodyBytes} bytes`);
  const text = decodeUtf8(bytes).replace(/^\uFEFF/, "");
  const store = c.get("store")();

  const { columns, rows, errors: parseErrors } = parseRows(text, format);
  const skipped: RowError[] = [...parseErrors];
  const candidates: Candidate[] = [];
  for (const r of rows) {
    const { doc, error } = toDocument(r.values, options);
    if (error) skipped.push({ row: r.row, reason: error.reason, code: "TYPE_MISMATCH", path: error.path });
    else if (options.upsertKeys.length) {
      const f = upsertFilter(doc!, options.upsertKeys);
      if ("error" in f) skipped.push({ row: r.row, reason: String(f.error), code: "MISSING_UPSERT_KEY" });
      else candidates.push({ row: r.row, doc: doc! });
    } else candidates.push({ row: r.row, doc: doc! });
  }
  const upsert = options.upsertKeys.length > 0;
  const read = rows.length + parseErrors.length;

  if (params.get("dryRun") === "true") {
    const checked = await dryRunChecks(store, collection, candidates, upsert);
    const all = [...skipped, ...checked.errors].sort((a, b) => a.row - b.row);
    return c.json({
      dryRun: true, format, columns, types: inferTypes(rows, columns),
      preview: checked.valid.slice(0, PREVIEW).map((x) => toJson(x.doc)),
      rows: { read, valid: checked.valid.length, failed: all.length },
      errors: all.slice(0, MAX_LISTED),
    });
  }

  if (options.onError === "stop" && skipped.length) {
    const first = skipped.sort((a, b) => a.row - b.row)[0];
    throw badRequest("IMPORT_ROW_INVALID", `row ${first.row}: ${first.reason}; nothing was written`, { row: first.row, errors: skipped.slice(0, MAX_LISTED) });
  }
  let inserted = 0;
  let updated = 0;
  const failed: RowError[] = [];
  let stoppedAt: number | null = null;
  const fail = (row: number, err: unknown) => {
    if (!rowProblem(err)) throw err;
    failed.push({ row, ...describe(err) });
    if (options.onError === "stop") stoppedAt = row;
  };
  for (let i = 0; i < candidates.length && stoppedAt === null; i += CHUNK) {
    const chunk = candidates.slice(i, i + CHUNK);
    if (upsert) {
      for (const cand of chunk) {
        try {
          const r = await store.updateOne(collection, upsertFilter(cand.doc, options.upsertKeys) as Doc, { $set: cand.doc }, { upsert: true });
          if (r.upsertedId !== undefined) inserted++;
          else updated++;
        } catch (err) {
          fail(cand.row, err);
          if (stoppedAt !== null) break;
        }
      }
      continue;
    }
    try {
      await store.insertMany(collection, chunk.map((x) => x.doc));
      inserted += chunk.length;
    } catch (err) {
      if (!rowProblem(err)) throw err;
      for (const cand of chunk) {
        try {
          await store.insertOne(collection, cand.doc);
          inserted++;
        } catch (err) {
          fail(cand.row, err);
          if (stoppedAt !== null) break;
        }
      }
    }
  }
  const all = [...skipped, ...failed].sort((a, b) => a.row - b.row);
  return c.json({
    format, columns,
    rows: { read, inserted, updated, skipped: skipped.length, failed: failed.length },
    ...(stoppedAt !== null ? { stoppedAtRow: stoppedAt, note: "onError=stop: rows before this one were written; none after" } : {}),
    errors: all.slice(0, MAX_LISTED),
  });
});

export default app;
