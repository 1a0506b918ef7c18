/**
 * Sends mapped documents to the import API as NDJSON, a chunk per request, and turns the API's per-line answers back
 * into the file's row numbers. The API writes 500 rows per transaction and lists each refused row with its code
 * (validator, duplicate key, refused field); a dry run checks the same without writing.
 */
export type Failure = { row: number; reason: string; data?: Record<string, unknown> };
export type ImportSummary = { inserted: number; failed: Failure[]; cancelled: boolean };
/** The API's answer for one chunk: counts, and errors numbered by line within the chunk (1-based). */
export type ChunkAnswer = {
  rows: { inserted?: number; valid?: number };
  errors: { row: number; code: string; reason: string }[];
};
export type Sender = (ndjson: string, dryRun: boolean) => Promise<ChunkAnswer>;

export const toNdjson = (docs: Record<string, unknown>[]) => docs.map((d) => JSON.stringify(d)).join("\n");

export async function runImport(
  docs: Record<string, unknown>[],
  rowNumbers: number[],
  send: Sender,
  options: {
    chunkSize?: number;
    dryRun?: boolean;
    signal?: AbortSignal;
    onProgress?: (done: number, total: number) => void;
  } = {},
): Promise<ImportSummary> {
  const size = options.chunkSize ?? 5000;
  const summary: ImportSummary = { inserted: 0, failed: [], cancelled: false };
  for (let start = 0; start < docs.length; start += size) {
    if (options.signal?.aborted) {
      summary.cancelled = true;
      break;
    }
    const chunk = docs.slice(start, start + size);
    const answer = await send(toNdjson(chunk), options.dryRun ?? false);
    summary.inserted += (options.dryRun ? answer.rows.valid : answer.rows.inserted) ?? 0;
    for (const e of answer.errors)
      summary.failed.push({
        row: rowNumbers[start + e.row - 1],
        reason: `${e.code}: ${e.reason}`,
        data: chunk[e.row - 1],
      });
    options.onProgress?.(Math.min(start + size, docs.length), docs.length);
  }
  return summary;
}
