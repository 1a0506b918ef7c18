/**
 * Reading XLSX in the browser (the import screen's preview and mapping) with @e965/xlsx: SheetJS 0.20.3 republished
 * on npm. The `xlsx` package on npm stopped at 0.18.5, which has CVE-2023-30533 (prototype pollution on read) and
 * CVE-2024-22363 (ReDoS); 0.20.3 fixes both. Loaded only when a user imports a spreadsheet; exports come from the API.
 */
import { read, utils } from "@e965/xlsx";

export function sheetNames(data: ArrayBuffer): string[] {
  return read(data, { type: "array", bookSheets: true }).SheetNames;
}

/** The first sheet (or a named one) as header-keyed rows; cells keep their types (numbers, booleans, dates). */
export function readSheet(data: ArrayBuffer, sheet?: string): { columns: string[]; rows: Record<string, unknown>[] } {
  const book = read(data, { type: "array", cellDates: true, dense: true });
  const ws = book.Sheets[sheet ?? book.SheetNames[0]];
  if (!ws) throw new Error(`the workbook has no sheet named "${sheet}"`);
  const rows = utils.sheet_to_json<Record<string, unknown>>(ws, { defval: null, raw: true });
  const header = (utils.sheet_to_json<unknown[]>(ws, { header: 1, range: 0 })[0] ?? []).map(String);
  return { columns: header, rows };
}
