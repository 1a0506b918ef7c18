import Papa from "papaparse";
import { AppError, badRequest } from "./errors";
import { isPlainObject, parseEjson, type Doc } from "./ejson";
import { LIMITS } from "./limits";

/**
 * A text file's records read from a stream a piece at a time, so an import never holds the whole file: CSV and TSV
 * are cut at newlines outside quotes and each complete run of records is parsed by papaparse; NDJSON is cut at
 * newlines; a JSON array at its top-level elements. Rows are numbered as a person reading the file would (a CSV's
 * first data row is row 2, an NDJSON line is its line number, a JSON element its position from 1).
 */
export type TextFormat = "csv" | "tsv" | "ndjson" | "json";

export interface RowError {
  row: number;
  reason: string;
  code: string;
  path?: string;
}

export interface RawRow {
  row: number;
  values?: Doc;
  error?: RowError;
}

export const MAX_IMPORT_COLUMNS = 1000;
/** One record (a CSV row, an NDJSON line, a JSON element) may not exceed what one document may hold, with room for quoting. */
export const MAX_RECORD_CHARS = 2 * LIMITS.maxDocumentBytes;

function recordTooLarge(row: number): AppError {
  return new AppError(
    413,
    "RECORD_TOO_LARGE",
    `the record starting at row ${row} is longer than ${MAX_RECORD_CHARS} characters (an unclosed quote, or a line that is not one record); nothing after it was read`,
    { row },
  );
}

/** Decodes UTF-8 (or UTF-16 when the file starts with its byte-order mark); anything else is refused, not guessed. */
async function* decode(stream: ReadableStream<Uint8Array>): AsyncGenerator<string> {
  let decoder: TextDecoder | null = null;
  let offset = 0;
  const reader = stream.getReader();
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      if (!decoder) {
        const utf16 =
          value[0] === 0xff && value[1] === 0xfe
            ? "utf-16le"
            : value[0] === 0xfe && value[1] === 0xff
              ? "utf-16be"
              : null;
        decoder = new TextDecoder(utf16 ?? "utf-8", { fatal: true, ignoreBOM: false });
      }
      try {
        const text = decoder.decode(value, { stream: true });
        if (text) yield text;
      } catch {
        throw badRequest(
          "INVALID_UTF8",
          `the file is not valid UTF-8 (near byte ${offset}); save it as UTF-8 and import it again`,
          { byte: offset },
        );
      }
      offset += value.byteLength;
    }
    if (decoder) {
      try {
        const rest = decoder.decode();
        if (rest) yield rest;
      } catch {
        throw badRequest("INVALID_UTF8", "the file ends inside a UTF-8 character (truncated?)", { byte: offset });
      }
    }
  } finally {
    reader.releaseLock();
  }
}

/** Where the last record that ends in this text ends (after its newline), tracking quotes from `state`. */
function lastRecordEnd(text: string, from: number, state: { quoted: boolean }): number {
  let end = -1;
  for (let i = from; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    if (ch === 34) state.quoted = !state.quoted;
    else if (ch === 10 && !state.quoted) end = i + 1;
  }
  return end;
}

async function* delimited(
  pieces: AsyncIterable<string>,
  format: "csv" | "tsv",
): AsyncGenerator<{ columns?: string[]; rows: RawRow[] }> {
  let pending = "";
  let scanned = 0;
  const state = { quoted: false };
  let delimiter = format === "tsv" ? "\t" : "";
  let columns: string[] | null = null;
  let record = 1;
  const parse = (text: string): { columns?: string[]; rows: RawRow[] } => {
    const parsed = Papa.parse<string[]>(text, { delimiter, skipEmptyLines: "greedy", header: false });
    if (!delimiter) delimiter = parsed.meta.delimiter || ",";
    const broken = new Map<number, string>();
    for (const e of parsed.errors)
      if (e.row !== undefined && e.code !== "UndetectableDelimiter") broken.set(e.row, e.message);
    const out: { columns?: string[]; rows: RawRow[] } = { rows: [] };
    parsed.data.forEach((fields, i) => {
      if (!columns) {
        if (fields.length > MAX_IMPORT_COLUMNS)
          throw badRequest(
            "TOO_MANY_COLUMNS",
            `a file has at most ${MAX_IMPORT_COLUMNS} columns; this one has ${fields.length}`,
          );
        columns = out.columns = fields;
        return;
      }
      const row = ++record;
      if (broken.has(i)) out.rows.push({ row, error: { row, reason: broken.get(i)!, code: "MALFORMED_ROW" } });
      else if (fields.length !== columns.length) {
        out.rows.push({
          row,
          error: {
            row,
            reason: `the row has ${fields.length} fields; the header has ${columns.length}`,
            code: "MALFORMED_ROW",
          },
        });
      } else {
        const values: Doc = {};
        columns.forEach((c, j) => (values[c] = fields[j]));
        out.rows.push({ row, values });
      }
    });
    return out;
  };
  for await (const piece of pieces) {
    pending += piece;
    const end = lastRecordEnd(pending, scanned, state);
    if (end < 0) {
      scanned = pending.length;
      if (pending.length > MAX_RECORD_CHARS) throw recordTooLarge(record + 1);
      continue;
    }
    const complete = pending.slice(0, end);
    pending = pending.slice(end);
    // The remainder starts a record and holds no complete one, so its quote state is counted again from its start.
    state.quoted = false;
    lastRecordEnd(pending, 0, state);
    scanned = pending.length;
    if (pending.length > MAX_RECORD_CHARS) throw recordTooLarge(record + 1);
    yield parse(complete);
  }
  if (pending.trim()) yield parse(pending);
  if (!columns) throw badRequest("EMPTY_FILE", "the file has no header row");
}

function jsonRow(text: string, row: number): RawRow {
  try {
    const value = parseEjson(text, `row ${row}`);
    if (isPlainObject(value)) return { row, values: value as Doc };
    return { row, error: { row, reason: "a row must be a JSON object", code: "INVALID_DOCUMENT" } };
  } catch (err) {
    return { row, error: { row, reason: (err as Error).message, code: "MALFORMED_ROW" } };
  }
}

async function* ndjson(pieces: AsyncIterable<string>): AsyncGenerator<{ rows: RawRow[] }> {
  let pending = "";
  let line = 0;
  for await (const piece of pieces) {
    pending += piece;
    const parts = pending.split("\n");
    pending = parts.pop()!;
    if (pending.length > MAX_RECORD_CHARS) throw recordTooLarge(line + parts.length + 1);
    const rows: RawRow[] = [];
    for (const part of parts) {
      line++;
      if (part.trim()) rows.push(jsonRow(part, line));
    }
    yield { rows };
  }
  if (pending.trim()) yield { rows: [jsonRow(pending, line + 1)] };
}

/** Cuts a JSON array into its elements' texts without parsing the whole array. */
class ArraySplitter {
  private started = false;
  private ended = false;
  private depth = 0;
  private quoted = false;
  private escaped = false;
  private element = "";
  count = 0;

  push(text: string): string[] {
    const out: string[] = [];
    let start = 0;
    for (let i = 0; i < text.length; i++) {
      const ch = text[i];
      if (this.ended) {
        if (!/\s/.test(ch))
          throw badRequest("INVALID_BODY", "a JSON import is one array of documents; text follows its closing bracket");
        continue;
      }
      if (!this.started) {
        if (/\s/.test(ch)) continue;
        if (ch !== "[") throw badRequest("INVALID_BODY", "a JSON import is an array of documents");
        this.started = true;
        start = i + 1;
        continue;
      }
      if (this.quoted) {
        if (this.escaped) this.escaped = false;
        else if (ch === "\\") this.escaped = true;
        else if (ch === '"') this.quoted = false;
        continue;
      }
      if (ch === '"') this.quoted = true;
      else if (ch === "{" || ch === "[") this.depth++;
      else if (ch === "}" || ch === "]") {
        if (this.depth === 0) {
          this.finish(this.element + text.slice(start, i), out);
          this.ended = true;
          continue;
        }
        this.depth--;
      } else if (ch === "," && this.depth === 0) {
        this.finish(this.element + text.slice(start, i), out, true);
        start = i + 1;
      }
    }
    if (this.started && !this.ended) {
      this.element += text.slice(start);
      if (this.element.length > MAX_RECORD_CHARS) throw recordTooLarge(this.count + 1);
    }
    return out;
  }

  private finish(text: string, out: string[], needed = false): void {
    this.element = "";
    if (!text.trim()) {
      if (needed || this.count > 0) throw badRequest("INVALID_BODY", `element ${this.count + 1} of the array is empty`);
      return;
    }
    this.count++;
    out.push(text);
  }

  end(): void {
    if (!this.started) throw badRequest("INVALID_BODY", "a JSON import is an array of documents; the body is empty");
    if (!this.ended) throw badRequest("INVALID_BODY", "the JSON array is not closed (truncated file?)");
  }
}

async function* jsonArray(pieces: AsyncIterable<string>): AsyncGenerator<{ rows: RawRow[] }> {
  const splitter = new ArraySplitter();
  for await (const piece of pieces) {
    const first = splitter.count + 1;
    yield { rows: splitter.push(piece).map((text, i) => jsonRow(text, first + i)) };
  }
  splitter.end();
}

/** Batches of rows as the stream delivers them; a CSV's first batch carries its columns. */
export function readRecords(
  stream: ReadableStream<Uint8Array>,
  format: TextFormat,
): AsyncGenerator<{ columns?: string[]; rows: RawRow[] }> {
  const pieces = decode(stream);
  if (format === "csv" || format === "tsv") return delimited(stripBom(pieces), format);
  return format === "ndjson" ? ndjson(stripBom(pieces)) : jsonArray(stripBom(pieces));
}

async function* stripBom(pieces: AsyncIterable<string>): AsyncGenerator<string> {
  let first = true;
  for await (const piece of pieces) {
    yield first ? piece.replace(/^\uFEFF/, "") : piece;
    first = false;
  }
}
