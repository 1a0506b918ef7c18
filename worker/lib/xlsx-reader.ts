import { Inflate, unzipSync } from "fflate";
import { SaxesParser } from "saxes";
import { badRequest } from "./errors";
import type { Doc } from "./ejson";
import { MAX_IMPORT_COLUMNS, type RawRow } from "./import-stream";

/**
 * Reads one sheet of an XLSX workbook as rows, for imports on the server. Built on fflate (zip) and saxes (XML, no
 * DTD processing) rather than SheetJS: the sheet is inflated and parsed a piece at a time, so a large sheet is never
 * held decompressed, and the parts are small enough to stay in the Worker's budget. Formulas are never evaluated:
 * a formula cell gives its cached value. A DOCTYPE in any part is refused (entity expansion tricks need one).
 */
export const MAX_XLSX_BYTES = 32 * 1_048_576;
/** Decompressed bytes of the parts read whole (workbook, relationships, styles, shared strings). */
const MAX_PART_BYTES = 48 * 1_048_576;
/** Decompressed bytes of the sheet, streamed: bounds the work a small zip may ask for. */
const MAX_SHEET_BYTES = 1024 * 1_048_576;
/** Compressed bytes of the sheet inflated between two yields, so rows are written as they are read. */
const STEP = 64 * 1024;

const invalid = (why: string) => badRequest("INVALID_XLSX", `the file is not a readable XLSX workbook: ${why}`);

interface Entry {
  name: string;
  method: number;
  compressedSize: number;
  size: number;
  offset: number;
}

/** The zip's central directory: every entry's name, sizes and where its data starts. */
function entries(bytes: Uint8Array): Map<string, Entry> {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.length < 22 || view.getUint32(0, true) !== 0x04034b50) throw invalid("it is not a zip file");
  let eocd = -1;
  for (let i = bytes.length - 22; i >= Math.max(0, bytes.length - 65557); i--) {
    if (view.getUint32(i, true) === 0x06054b50) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) throw invalid("the zip is truncated (no central directory)");
  const count = view.getUint16(eocd + 10, true);
  let at = view.getUint32(eocd + 16, true);
  const out = new Map<string, Entry>();
  const names = new TextDecoder();
  for (let n = 0; n < count; n++) {
    if (at + 46 > bytes.length || view.getUint32(at, true) !== 0x02014b50)
      throw invalid("the zip's directory is damaged");
    const nameLength = view.getUint16(at + 28, true);
    const name = names.decode(bytes.subarray(at + 46, at + 46 + nameLength));
    const local = view.getUint32(at + 42, true);
    const compressedSize = view.getUint32(at + 20, true);
    const size = view.getUint32(at + 24, true);
    if (compressedSize === 0xffffffff || size === 0xffffffff) throw invalid("zip64 workbooks are not supported");
    if (local + 30 > bytes.length || view.getUint32(local, true) !== 0x04034b50)
      throw invalid(`the zip is truncated (entry ${name})`);
    const offset = local + 30 + view.getUint16(local + 26, true) + view.getUint16(local + 28, true);
    if (offset + compressedSize > bytes.length) throw invalid(`the zip is truncated (entry ${name})`);
    out.set(name, { name, method: view.getUint16(at + 10, true), compressedSize, size, offset });
    at += 46 + nameLength + view.getUint16(at + 30, true) + view.getUint16(at + 32, true);
  }
  return out;
}

function sax(
  onOpen: (name: string, attrs: Record<string, string>) => void,
  onText: (text: string) => void,
  onClose: (name: string) => void,
): SaxesParser {
  const parser = new SaxesParser({ position: false });
  parser.on("doctype", () => {
    throw badRequest("UNSAFE_XLSX", "the workbook's XML declares a DOCTYPE; entity declarations are refused");
  });
  parser.on("opentag", (tag) => onOpen(localName(tag.name), tag.attributes as Record<string, string>));
  parser.on("text", onText);
  parser.on("cdata", onText);
  parser.on("closetag", (tag) => onClose(localName(tag.name)));
  parser.on("error", (err) => {
    throw invalid(`damaged XML (${err.message.slice(0, 120)})`);
  });
  return parser;
}

const localName = (name: string) => name.slice(name.indexOf(":") + 1);

function parseWhole(
  text: string,
  onOpen: Parameters<typeof sax>[0],
  onText: Parameters<typeof sax>[1] = () => {},
  onClose: Parameters<typeof sax>[2] = () => {},
) {
  sax(onOpen, onText, onClose).write(text).close();
}

function parts(bytes: Uint8Array, listed: Map<string, Entry>, names: string[]): Record<string, string> {
  for (const n of names)
    if ((listed.get(n)?.size ?? 0) > MAX_PART_BYTES) throw invalid(`${n} is larger than ${MAX_PART_BYTES} bytes`);
  let files: Record<string, Uint8Array>;
  try {
    files = unzipSync(bytes, { filter: (f) => names.includes(f.name) && f.originalSize <= MAX_PART_BYTES });
  } catch (err) {
    throw invalid(`the zip is damaged (${(err as Error).message})`);
  }
  const text = new TextDecoder();
  return Object.fromEntries(Object.entries(files).map(([k, v]) => [k, text.decode(v)]));
}

const BUILTIN_DATE_FORMATS = new Set([14, 15, 16, 17, 18, 19, 20, 21, 22, 27, 30, 36, 45, 46, 47, 50, 57]);

/** Whether a number format shows a date or time: y, m, d, h or s outside quoted text and [colour] brackets. */
function isDateFormat(code: string): boolean {
  const bare = code
    .replace(/"[^"]*"/g, "")
    .replace(/\[[^\]]*\]/g, "")
    .replace(/\\./g, "");
  return /[ymdhs]/i.test(bare) && !/^[#0.,%\s]*$/.test(bare);
}

function columnIndex(ref: string): number {
  let n = 0;
  for (const ch of ref) {
    const code = ch.charCodeAt(0);
    if (code < 65 || code > 90) break;
    n = n * 26 + (code - 64);
  }
  return n - 1;
}

interface Workbook {
  sheetPath: string;
  date1904: boolean;
  shared: string[];
  dateStyles: Set<number>;
}

function workbook(bytes: Uint8Array, listed: Map<string, Entry>, sheet: string | undefined): Workbook {
  const meta = parts(bytes, listed, [
    "xl/workbook.xml",
    "xl/_rels/workbook.xml.rels",
    "xl/styles.xml",
    "xl/sharedStrings.xml",
  ]);
  if (!meta["xl/workbook.xml"]) throw invalid("xl/workbook.xml is missing");
  const sheets: { name: string; rel: string }[] = [];
  let date1904 = false;
  parseWhole(meta["xl/workbook.xml"], (name, a) => {
    if (name === "sheet")
      sheets.push({ name: a.name, rel: a["r:id"] ?? Object.entries(a).find(([k]) => k.endsWith(":id"))?.[1] ?? "" });
    if (name === "workbookPr" && (a.date1904 === "1" || a.date1904 === "true")) date1904 = true;
  });
  const chosen = sheet === undefined ? sheets[0] : sheets.find((s) => s.name === sheet);
  if (!chosen) {
    throw badRequest(
      "SHEET_NOT_FOUND",
      sheet === undefined
        ? "the workbook has no sheets"
        : `no sheet named "${sheet}"; the workbook has ${sheets.map((s) => `"${s.name}"`).join(", ")}`,
      {
        sheets: sheets.map((s) => s.name),
      },
    );
  }
  const targets = new Map<string, string>();
  if (meta["xl/_rels/workbook.xml.rels"])
    parseWhole(meta["xl/_rels/workbook.xml.rels"], (name, a) => name === "Relationship" && targets.set(a.Id, a.Target));
  const target = targets.get(chosen.rel);
  if (!target) throw invalid(`sheet "${chosen.name}" has no part`);
  const sheetPath = target.startsWith("/") ? target.slice(1) : `xl/${target}`;

  const shared: string[] = [];
  if (meta["xl/sharedStrings.xml"]) {
    let inSi = false;
    let inT = false;
    let phonetic = false;
    let current = "";
    parseWhole(
      meta["xl/sharedStrings.xml"],
      (name) => {
        if (name === "si") [inSi, current] = [true, ""];
        else if (name === "rPh") phonetic = true;
        else if (name === "t") inT = inSi && !phonetic;
      },
      (text) => {
        if (inT) current += text;
      },
      (name) => {
        if (name === "si") {
          shared.push(current);
          inSi = false;
        } else if (name === "rPh") phonetic = false;
        else if (name === "t") inT = false;
      },
    );
  }

  const formats = new Map<number, string>();
  const xfFormats: number[] = [];
  if (meta["xl/styles.xml"]) {
    let inCellXfs = false;
    parseWhole(
      meta["xl/styles.xml"],
      (name, a) => {
        if (name === "numFmt") formats.set(Number(a.numFmtId), a.formatCode ?? "");
        else if (name === "cellXfs") inCellXfs = true;
        else if (name === "xf" && inCellXfs) xfFormats.push(Number(a.numFmtId ?? 0));
      },
      undefined,
      (name) => {
        if (name === "cellXfs") inCellXfs = false;
      },
    );
  }
  const dateStyles = new Set<number>();
  xfFormats.forEach((id, i) => {
    if (BUILTIN_DATE_FORMATS.has(id) || (formats.has(id) && isDateFormat(formats.get(id)!))) dateStyles.add(i);
  });
  return { sheetPath, date1904, shared, dateStyles };
}

function serialDate(serial: number, date1904: boolean): Date {
  return new Date(Math.round((serial - (date1904 ? 24107 : 25569)) * 86_400_000));
}

/**
 * The sheet's rows: the first non-empty row names the columns, every later row is numbered as in the sheet. Values
 * keep their cell types: numbers, booleans, dates (numbers shown with a date format), text.
 */
export async function* readXlsx(
  bytes: Uint8Array,
  sheet?: string,
): AsyncGenerator<{ columns?: string[]; rows: RawRow[] }> {
  if (bytes.byteLength > MAX_XLSX_BYTES)
    throw badRequest(
      "FILE_TOO_LARGE",
      `an XLSX import takes at most ${MAX_XLSX_BYTES} bytes; save large sheets as CSV`,
    );
  const listed = entries(bytes);
  const book = workbook(bytes, listed, sheet);
  const entry = listed.get(book.sheetPath);
  if (!entry) throw invalid(`${book.sheetPath} is missing`);
  if (entry.method !== 0 && entry.method !== 8) throw invalid(`unsupported compression method ${entry.method}`);

  let columns: string[] | null = null;
  let pending: { columns?: string[]; rows: RawRow[] } = { rows: [] };
  let rowNumber = 0;
  let cells: Map<number, unknown> | null = null;
  let cell: { index: number; type: string; style: number } | null = null;
  let text = "";
  let collecting = false;
  let inlineString = false;

  const value = (): unknown => {
    const c = cell!;
    switch (c.type) {
      case "s": {
        const i = Number(text);
        if (!Number.isInteger(i) || i < 0 || i >= book.shared.length)
          throw invalid(`a cell refers to shared string ${text.slice(0, 20)}, which does not exist`);
        return book.shared[i];
      }
      case "b":
        return text === "1" || text === "true";
      case "inlineStr":
      case "str":
      case "e":
        return text;
      case "d":
        return new Date(text);
      default: {
        if (text === "") return null;
        const n = Number(text);
        return book.dateStyles.has(c.style) ? serialDate(n, book.date1904) : n;
      }
    }
  };

  const endRow = () => {
    const values = cells!;
    cells = null;
    if (values.size === 0) return;
    if (!columns) {
      const width = Math.max(...values.keys()) + 1;
      if (width > MAX_IMPORT_COLUMNS)
        throw badRequest(
          "TOO_MANY_COLUMNS",
          `a file has at most ${MAX_IMPORT_COLUMNS} columns; this sheet has ${width}`,
        );
      columns = Array.from({ length: width }, (_, i) => String(values.get(i) ?? `column${i + 1}`));
      pending.columns = columns;
      return;
    }
    const doc: Doc = {};
    for (const [i, v] of values) {
      if (i >= columns.length) {
        pending.rows.push({
          row: rowNumber,
          error: {
            row: rowNumber,
            reason: `a value in column ${i + 1}, beyond the header's ${columns.length}`,
            code: "MALFORMED_ROW",
          },
        });
        return;
      }
      doc[columns[i]] = v;
    }
    for (const c of columns) if (!(c in doc)) doc[c] = "";
    pending.rows.push({ row: rowNumber, values: doc });
  };

  const parser = sax(
    (name, a) => {
      if (name === "row") {
        rowNumber = a.r ? Number(a.r) : rowNumber + 1;
        cells = new Map();
      } else if (name === "c" && cells) {
        const index = a.r ? columnIndex(a.r) : cells.size;
        cell = { index, type: a.t ?? "n", style: Number(a.s ?? 0) };
        text = "";
      } else if (cell && (name === "v" || (name === "t" && inlineString))) collecting = true;
      else if (cell && name === "is") inlineString = true;
    },
    (t) => {
      if (collecting) text += t;
    },
    (name) => {
      if (name === "v" || name === "t") collecting = false;
      else if (name === "is") inlineString = false;
      else if (name === "c" && cell && cells) {
        if (cell.index >= MAX_IMPORT_COLUMNS)
          throw badRequest(
            "TOO_MANY_COLUMNS",
            `a file has at most ${MAX_IMPORT_COLUMNS} columns; this sheet has a cell in column ${cell.index + 1}`,
          );
        const v = value();
        if (v !== null && v !== "") cells.set(cell.index, v);
        cell = null;
      } else if (name === "row" && cells) endRow();
    },
  );

  const decoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false });
  let inflated = 0;
  const feed = (chunk: Uint8Array) => {
    inflated += chunk.byteLength;
    if (inflated > MAX_SHEET_BYTES)
      throw badRequest("FILE_TOO_LARGE", `the sheet inflates to more than ${MAX_SHEET_BYTES} bytes`);
    let xml: string;
    try {
      xml = decoder.decode(chunk, { stream: true });
    } catch {
      throw invalid("the sheet's XML is not UTF-8");
    }
    parser.write(xml);
  };
  const data = bytes.subarray(entry.offset, entry.offset + entry.compressedSize);
  const inflate = entry.method === 8 ? new Inflate((chunk) => feed(chunk)) : null;
  for (let at = 0; at < data.length || at === 0; at += STEP) {
    const piece = data.subarray(at, at + STEP);
    const last = at + STEP >= data.length;
    try {
      if (inflate) inflate.push(piece, last);
      else feed(piece);
    } catch (err) {
      if ((err as { status?: number }).status) throw err;
      throw invalid(`the sheet's data is damaged (${(err as Error).message})`);
    }
    if (pending.rows.length || pending.columns) {
      yield pending;
      pending = { rows: [] };
    }
    if (last) break;
  }
  parser.close();
  if (inflated !== entry.size) throw invalid("the sheet's data is truncated");
  if (pending.rows.length || pending.columns) yield pending;
  if (!columns) throw badRequest("EMPTY_FILE", "the sheet has no header row");
}
