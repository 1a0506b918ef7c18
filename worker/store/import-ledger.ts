import { unwrap } from "../lib/errors";
import { stringify } from "../lib/ejson";
import { isRowProblem, rowFailure, upsertFilter, type ChunkOutcome, type ImportChunk } from "../lib/import-job";
import type { Doc } from "../lib/ejson";
import type { DatabaseStub } from "./embedded";
import type { DocumentStore, ImportJobs } from "./types";

/** The import jobs kept by a tenant database's DatabaseDO, whatever backend holds its documents. */
export function importJobsOf(stub: DatabaseStub): ImportJobs {
  return {
    start: async (id, collection, format, options) =>
      unwrap(await stub.importStart(id, collection, format, JSON.stringify(options))),
    get: (id) => stub.importJob(id),
    list: (collection, limit) => stub.importJobs(collection, limit),
    cancel: (id) => stub.importCancel(id),
    finish: (id, status, error) => stub.importFinish(id, status, error),
    failures: (id, afterRow, limit) => stub.importFailures(id, afterRow, limit),
  };
}

/**
 * A chunk for a backend without transactions (the data-api upstream): rows written one by one, then the chunk
 * recorded. A retry after a crash between the two writes the rows again, which is safe: upserts set the same values,
 * and an insert whose _id the importer chose answers "duplicate" only when an earlier attempt wrote it.
 */
export async function importRowByRow(
  store: DocumentStore,
  stub: DatabaseStub,
  collection: string,
  chunk: ImportChunk,
): Promise<ChunkOutcome> {
  const job = await stub.importJob(chunk.job);
  if (job?.status !== "running")
    return { read: 0, inserted: 0, updated: 0, rejected: [], failures: [], cancelled: true };
  const replay = await stub.importApplied(chunk.job, chunk.seq);
  if (replay) return replay;
  const outcome: ChunkOutcome = { read: chunk.read, inserted: 0, updated: 0, rejected: chunk.rejected, failures: [] };
  for (const { row, doc, generatedId } of chunk.docs) {
    try {
      if (chunk.upsertKeys.length === 0) {
        await store.insertOne(collection, doc);
        outcome.inserted++;
      } else {
        const r = await store.updateOne(
          collection,
          upsertFilter(doc, chunk.upsertKeys) as Doc,
          { $set: doc },
          { upsert: true },
        );
        outcome[r.upsertedId !== undefined ? "inserted" : "updated"]++;
      }
    } catch (err) {
      if (!isRowProblem(err)) throw err;
      // Only this row could have written a document with the _id the importer chose for it.
      if (
        generatedId &&
        err.code === "DUPLICATE_KEY" &&
        (await store.findOne(collection, { _id: doc._id }, { _id: 1 }))
      ) {
        outcome.inserted++;
        continue;
      }
      outcome.failures.push(rowFailure(row, err));
      if (chunk.stopOnError) {
        outcome.stoppedAt = row;
        break;
      }
    }
  }
  unwrap(await stub.importRecord(chunk.job, chunk.seq, JSON.parse(stringify(outcome))));
  return outcome;
}
