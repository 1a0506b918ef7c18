/** What the import worker is asked and answers, and the pure parts of parsing (format detection, JSON rows). */
export type ImportFormat = "csv" | "tsv" | "json" | "ndjson" | "xlsx";
export type ParseRequest = { file: File; format?: ImportFormat; sheet?: string };
export type ParseResult = {
  format: ImportFormat;
  columns: string[];
  rows: Record<string, unknown>[];
  problems: { row: number; reason: string }[];
};

export function detectFormat(name: string, type = ""): ImportFormat {
  const ext = name.toLowerCase().split(".").pop() ?? "";
  if (ext === "xlsx" || type.includes("spreadsheetml")) return "xlsx";
  if (ext === "tsv" || type.includes("tab-separated")) return "tsv";
  if (ext === "ndjson" || ext === "jsonl" || type.includes("ndjson")) return "ndjson";
  if (ext === "json" || type.includes("json")) return "json";
  return "csv";
}

/** JSON rows keep their values as they are (nested objects stay objects; the mapping's "auto" type keeps them). */
export function parseJsonRows(
  text: string,
  format: "json" | "ndjson",
): { columns: string[]; rows: Record<string, unknown>[] } {
  let rows: unknown[];
  if (format === "json") {
    const parsed = JSON.parse(text);
    if (!Array.isArray(parsed)) throw new Error("a JSON import is an array of documents");
    rows = parsed;
  } else {
    rows = text
      .split(/\r?\n/)
      .filter((l) => l.trim())
      .map((l, i) => {
        try {
          return JSON.parse(l);
        } catch {
          throw new Error(`line ${i + 1} is not JSON`);
        }
      });
  }
  const bad = rows.findIndex((r) => !r || typeof r !== "object" || Array.isArray(r));
  if (bad >= 0) throw new Error(`row ${bad + 1} is not a JSON object`);
  const objects = rows as Record<string, unknown>[];
  return { columns: [...new Set(objects.flatMap((r) => Object.keys(r)))], rows: objects };
}

export function parseInWorker(request: ParseRequest): Promise<ParseResult> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(new URL("../workers/parse.worker.ts", import.meta.url), { type: "module" });
    worker.onmessage = (e: MessageEvent<{ ok: boolean; result?: ParseResult; error?: string }>) => {
      worker.terminate();
      if (e.data.ok) resolve(e.data.result!);
      else reject(new Error(e.data.error));
    };
    worker.onerror = (e) => (worker.terminate(), reject(new Error(e.message || "the file could not be parsed")));
    worker.postMessage(request);
  });
}
