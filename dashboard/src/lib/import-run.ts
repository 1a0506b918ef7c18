/**
 * Sends mapped documents in batches through the bulk insert. A refused batch is retried one document at a time so
 * that only the bad rows fail (each with the API's code and message) and every good row still lands.
 */
export type Failure = { row: number; reason: string; data?: Record<string, unknown> };
export type ImportSummary = { inserted: number; failed: Failure[]; cancelled: boolean };
export type Sender = (docs: Record<string, unknown>[]) => Promise<void>;

export async function runImport(
  docs: Record<string, unknown>[],
  rowNumbers: number[],
  send: Sender,
  options: { batchSize?: number; signal?: AbortSignal; onProgress?: (done: number, total: number) => void } = {},
): Promise<ImportSummary> {
  const size = options.batchSize ?? 500;
  const summary: ImportSummary = { inserted: 0, failed: [], cancelled: false };
  for (let start = 0; start < docs.length; start += size) {
    if (options.signal?.aborted) {
      summary.cancelled = true;
      break;
    }
    const batch = docs.slice(start, start + size);
    try {
      await send(batch);
      summary.inserted += batch.length;
    } catch (err) {
      if (isNetwork(err)) throw err;
      for (const [i, doc] of batch.entries()) {
        try {
          await send([doc]);
          summary.inserted++;
        } catch (one) {
          if (isNetwork(one)) throw one;
          summary.failed.push({ row: rowNumbers[start + i], reason: describe(one), data: doc });
        }
      }
    }
    options.onProgress?.(Math.min(start + size, docs.length), docs.length);
  }
  return summary;
}

const isNetwork = (err: unknown) => (err as { status?: number }).status === 0 || ((err as { status?: number }).status ?? 0) >= 500;
const describe = (err: unknown) => {
  const e = err as { code?: string; message?: string };
  return e.code ? `${e.code}: ${e.message}` : String(e.message ?? err);
};
