import { byteStream } from "./byte-stream";
import { csvHeader, csvRows } from "./export-format";
import type { RowError } from "./import-stream";

const COLUMNS = ["row", "code", "path", "reason"];

/** An import job's failed rows as a CSV download, page by page. */
export function failuresCsv(pages: AsyncGenerator<RowError[]>): ReadableStream<Uint8Array> {
  async function* text() {
    yield csvHeader(COLUMNS);
    for await (const page of pages) yield csvRows(page as unknown as Record<string, unknown>[], COLUMNS);
  }
  return byteStream(text(), "import report");
}
