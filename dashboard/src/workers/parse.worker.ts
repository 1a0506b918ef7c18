/// <reference lib="webworker" />
/**
 * Parses an import file off the main thread: CSV/TSV with papaparse, XLSX with @e965/xlsx (see lib/xlsx-file.ts),
 * JSON arrays and NDJSON. Answers with the column names and header-keyed rows.
 */
import Papa from "papaparse";
import { detectFormat, parseJsonRows, type ParseRequest, type ParseResult } from "../lib/parse-file";

self.onmessage = async (e: MessageEvent<ParseRequest>) => {
  const { file, sheet } = e.data;
  const format = e.data.format ?? detectFormat(file.name, file.type);
  try {
    let result: ParseResult;
    if (format === "csv" || format === "tsv") {
      const text = await file.text();
      const parsed = Papa.parse<Record<string, unknown>>(text, {
        header: true,
        skipEmptyLines: "greedy",
        delimiter: format === "tsv" ? "\t" : "",
      });
      const problems = parsed.errors
        .filter((err) => err.code !== "UndetectableDelimiter")
        .slice(0, 20)
        .map((err) => ({ row: (err.row ?? 0) + 2, reason: err.message }));
      result = { format, columns: parsed.meta.fields ?? [], rows: parsed.data, problems };
    } else if (format === "xlsx") {
      const { readSheet } = await import("../lib/xlsx-file");
      const { columns, rows } = readSheet(await file.arrayBuffer(), sheet);
      result = { format, columns, rows, problems: [] };
    } else {
      result = { format, ...parseJsonRows(await file.text(), format), problems: [] };
    }
    (self as DedicatedWorkerGlobalScope).postMessage({ ok: true, result });
  } catch (err) {
    (self as DedicatedWorkerGlobalScope).postMessage({ ok: false, error: (err as Error).message });
  }
};
