import type { ErrorCode } from "../lib/error-codes";
import { ObjectId } from "bson";
import { AppError } from "../lib/errors";
import { readCapped } from "../lib/capped-read";
import { toJson, type Doc } from "../lib/ejson";
import { idKey } from "../lib/ids";
import { LIMITS } from "../lib/limits";
import { checkDocument } from "../lib/query-policy";
import { compileValidator, enforceSchema } from "../lib/json-schema";
import {
  formulaField,
  inferTypes,
  toDocument,
  unneutralise,
  type ImportFormat,
  type ImportOptions,
} from "../lib/import-rows";
import { readRecords, type RawRow, type RowError } from "../lib/import-stream";
import { readXlsx, MAX_XLSX_BYTES } from "../lib/xlsx-reader";
import { rowFailure, upsertFilter, type ChunkRow, type ImportJob, type JobOptions } from "../lib/import-job";
import type { DocumentStore } from "../store/types";

/** Rows written per chunk (one transaction on the embedded store). */
export const CHUNK_ROWS = 500;
/** Bad rows listed in an answer; the counts cover every row and the report lists up to MAX_REPORTED_FAILURES. */
export const MAX_LISTED = 1000;
/** A dry run reads at most this many rows: enough to judge a file, without holding a large one's keys. */
export const DRY_RUN_ROWS = 100_000;
const PREVIEW = 20;

type Batches = AsyncGenerator<{ columns?: string[]; rows: RawRow[] }>;

export async function batchesOf(
  body: ReadableStream<Uint8Array> | null,
  format: ImportFormat,
  sheet?: string,
): Promise<Batches> {
  const stream = body ?? new ReadableStream<Uint8Array>({ start: (c) => c.close() });
  if (format === "xlsx") {
    const tooLarge = () =>
      new AppError(
        413,
        "FILE_TOO_LARGE",
        `an XLSX import takes at most ${MAX_XLSX_BYTES} bytes; save large sheets as CSV`,
        { limit: MAX_XLSX_BYTES },
      );
    return readXlsx(await readCapped(stream, MAX_XLSX_BYTES, tooLarge), sheet);
  }
  return readRecords(stream, format);
}

const spreadsheet = (format: ImportFormat) => format === "csv" || format === "tsv" || format === "xlsx";

/** The file's columns: its header's, or for JSON formats the keys of the rows read (the first 1,000 of them). */
class Columns {
  private header: string[] | null = null;
  private keys = new Set<string>();

  note(batch: { columns?: string[]; rows: RawRow[] }): void {
    if (batch.columns) this.header = batch.columns;
    if (this.header) return;
    for (const raw of batch.rows) {
      if (raw.values && this.keys.size < 1000) for (const k of Object.keys(raw.values)) this.keys.add(k);
    }
  }

  list(): string[] {
    return this.header ?? [...this.keys];
  }
}

/**
 * A file row as the document to write, or the reason it cannot be one. With `assignIds`, a row without an _id gets one
 * here, before its first write, so a replayed chunk on a backend without transactions recognises its own rows.
 */
function rowToDoc(
  raw: RawRow,
  options: ImportOptions,
  format: ImportFormat,
  assignIds: boolean,
): { doc: Doc; generatedId: boolean } | RowError {
  if (raw.error) return raw.error;
  let values = raw.values!;
  if (format === "csv" || format === "tsv") {
    values = Object.fromEntries(
      Object.entries(values).map(([k, v]) => [k, typeof v === "string" ? unneutralise(v) : v]),
    );
  }
  const { doc, error } = toDocument(values, options);
  if (error) return { row: raw.row, reason: error.reason, code: "TYPE_MISMATCH", path: error.path };
  if (spreadsheet(format) && options.formulas === "reject") {
    const field = formulaField(doc!);
    if (field)
      return {
        row: raw.row,
        reason: `${field}: a cell a spreadsheet would run as a formula; pass formulas=keep to store it as text`,
        code: "FORMULA_CELL",
        path: field,
      };
  }
  if (options.upsertKeys.length) {
    const f = upsertFilter(doc!, options.upsertKeys);
    if ("error" in f) return { row: raw.row, reason: String(f.error), code: "MISSING_UPSERT_KEY" };
    return { doc: doc!, generatedId: false };
  }
  if (doc!._id !== undefined || !assignIds) return { doc: doc!, generatedId: false };
  return { doc: { _id: new ObjectId(), ...doc! }, generatedId: true };
}

/** The options as the job's record keeps them (an absent sheet left out rather than stored as undefined). */
export function jobOptions(options: ImportOptions): JobOptions {
  const { sheet, ...rest } = options;
  return { ...rest, ...(sheet ? { sheet } : {}) };
}

/** The answer to a finished request: the job's counters and its first failed rows. */
async function summary(store: DocumentStore, job: ImportJob, columns: string[]) {
  const errors = await store.importJobs.failures(job.id, 0, MAX_LISTED);
  return {
    jobId: job.id,
    status: job.status,
    format: job.format,
    columns,
    rows: job.rows,
    ...(job.error ? { error: job.error } : {}),
    errors,
  };
}

/**
 * Runs an import job over a stream of rows: chunks of CHUNK_ROWS go to the store keyed (job, seq), so sending the
 * same file again under the same job id resumes it (applied chunks answer their recorded outcome). Stops when the
 * job is cancelled, on the first bad row with onError=stop, or on a bad file; the job then says why and how far it got.
 */
export async function runImport(
  store: DocumentStore,
  collection: string,
  jobId: string,
  format: ImportFormat,
  options: ImportOptions,
  batches: () => Promise<Batches>,
) {
  await store.importJobs.start(jobId, collection, format, jobOptions(options));
  const columns = new Columns();
  let seq = 0;
  let pending: ChunkRow[] = [];
  let rejected: RowError[] = [];
  let read = 0;
  let stop = null as { code: ErrorCode; message: string; row?: number } | null;

  const flush = async () => {
    if (read === 0) return;
    const outcome = await store.importChunk(collection, {
      job: jobId,
      seq: seq++,
      read,
      docs: pending,
      rejected,
      upsertKeys: options.upsertKeys,
      events: options.events,
      stopOnError: options.onError === "stop",
    });
    pending = [];
    rejected = [];
    read = 0;
    if (outcome.cancelled) stop = { code: "IMPORT_CANCELLED", message: "the import was cancelled" };
    else if (outcome.stoppedAt !== undefined || (options.onError === "stop" && outcome.rejected.length)) {
      const first = [...outcome.rejected, ...outcome.failures].sort((a, b) => a.row - b.row)[0];
      stop = {
        code: "IMPORT_ROW_INVALID",
        message: `row ${first?.row ?? outcome.stoppedAt}: ${first?.reason ?? "refused"}`,
        row: first?.row ?? outcome.stoppedAt,
      };
    }
  };

  try {
    for await (const batch of await batches()) {
      columns.note(batch);
      for (const raw of batch.rows) {
        read++;
        const made = rowToDoc(raw, options, format, true);
        if ("code" in made) {
          rejected.push(made);
          // onError=stop: nothing after the first bad row is written, so the chunk ends here.
          if (options.onError === "stop") break;
        } else pending.push({ row: raw.row, ...made });
        if (read >= CHUNK_ROWS) await flush();
        if (stop) break;
      }
      if (rejected.length && options.onError === "stop") await flush();
      if (stop) break;
    }
    if (!stop) await flush();
  } catch (err) {
    const e = err instanceof AppError ? err : null;
    const job = await store.importJobs.finish(jobId, "failed", {
      code: e?.code ?? "IMPORT_FAILED",
      message: e?.message ?? "the import failed",
    });
    if (!e) throw err;
    const written = job ? job.rows.inserted + job.rows.updated : 0;
    const note = written
      ? `; ${written} rows before it were written (job ${jobId} lists them)`
      : "; nothing was written";
    throw new AppError(e.status, e.code, `${e.message}${note}`, {
      ...(e.details as object | undefined),
      jobId,
      rows: job?.rows,
    });
  }
  const job = (await store.importJobs.finish(
    jobId,
    stop ? (stop.code === "IMPORT_CANCELLED" ? "cancelled" : "failed") : "completed",
    stop ?? undefined,
  ))!;
  if (stop) {
    const written = job.rows.inserted + job.rows.updated;
    const note = written ? `rows before it were written (${written}), none after` : "nothing was written";
    throw new AppError(stop.code === "IMPORT_CANCELLED" ? 409 : 400, stop.code, `${stop.message}; ${note}`, {
      jobId,
      row: stop.row,
      rows: job.rows,
      errors: await store.importJobs.failures(jobId, 0, MAX_LISTED),
    });
  }
  return summary(store, job, columns.list());
}

type Candidate = { row: number; doc: Doc };

/**
 * A dry run: every row checked as the import would check it (types, document rules, the collection's validator,
 * _ids that collide in the file or with stored documents), nothing written. Reads at most DRY_RUN_ROWS rows.
 */
export async function dryRun(
  store: DocumentStore,
  collection: string,
  format: ImportFormat,
  options: ImportOptions,
  batches: () => Promise<Batches>,
) {
  // Asked before the body is read: a caller who may not see the collection is refused without uploading the file.
  const info = await store.collectionStats(collection);
  const validator = info?.validator ? compileValidator(info.validator) : null;
  const upsert = options.upsertKeys.length > 0;
  const seen = new Set<string>();
  const errors: RowError[] = [];
  const preview: Doc[] = [];
  const sample: RawRow[] = [];
  const columns = new Columns();
  let read = 0;
  let valid = 0;
  let truncated = false;

  const check = async (candidates: Candidate[]) => {
    const ok: Candidate[] = [];
    for (const c of candidates) {
      try {
        checkDocument(c.doc);
        if (validator) enforceSchema(validator, c.doc);
        if (!upsert && c.doc._id !== undefined) {
          const key = idKey(c.doc._id);
          if (seen.has(key)) throw new AppError(409, "DUPLICATE_KEY", "duplicate _id within the file", { path: "_id" });
          seen.add(key);
        }
        ok.push(c);
      } catch (err) {
        if (!(err instanceof AppError)) throw err;
        errors.push(rowFailure(c.row, err));
      }
    }
    const withIds = upsert ? [] : ok.filter((c) => c.doc._id !== undefined);
    const taken = new Set<string>();
    if (withIds.length) {
      const found = await store.find(collection, {
        filter: { _id: { $in: withIds.map((c) => c.doc._id) } },
        projection: { _id: 1 },
        limit: LIMITS.maxPageSize,
      });
      for (const d of found.documents) taken.add(idKey(d._id));
    }
    for (const c of ok) {
      if (c.doc._id !== undefined && taken.has(idKey(c.doc._id))) {
        errors.push({
          row: c.row,
          reason: "a document with this _id already exists",
          code: "DUPLICATE_KEY",
          path: "_id",
        });
        continue;
      }
      valid++;
      if (preview.length < PREVIEW) preview.push(toJson(c.doc) as Doc);
    }
  };

  let candidates: Candidate[] = [];
  for await (const batch of await batches()) {
    columns.note(batch);
    for (const raw of batch.rows) {
      if (read >= DRY_RUN_ROWS) {
        truncated = true;
        break;
      }
      read++;
      if (raw.values && sample.length < 500) sample.push(raw);
      const made = rowToDoc(raw, options, format, false);
      if ("code" in made) errors.push(made);
      else candidates.push({ row: raw.row, doc: made.doc });
      if (candidates.length >= CHUNK_ROWS) {
        await check(candidates);
        candidates = [];
      }
    }
    if (truncated) break;
  }
  await check(candidates);
  errors.sort((a, b) => a.row - b.row);
  return {
    dryRun: true,
    format,
    columns: columns.list(),
    types: inferTypes(
      sample.map((r) => ({ values: r.values! })),
      columns.list(),
    ),
    preview,
    rows: { read, valid, failed: errors.length },
    ...(truncated ? { truncated: true, note: `a dry run reads the first ${DRY_RUN_ROWS} rows` } : {}),
    errors: errors.slice(0, MAX_LISTED),
  };
}
