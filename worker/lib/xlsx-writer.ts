import { Zip, ZipDeflate } from "fflate";
import type { Doc } from "./ejson";
import { cellText, valueAt } from "./export-format";

/**
 * Writes an XLSX workbook of one sheet as a stream (fflate's streaming zip): rows go out as they are encoded, so an
 * export holds one page at a time. Strings are inline (no shared-string table to hold), dates are date-formatted
 * serial numbers, ObjectIds, decimals and longs are their exact text, arrays and objects their JSON.
 */
const encoder = new TextEncoder();
/** Excel's limit on the characters of one cell. */
const MAX_CELL_CHARS = 32_767;

const escape = (text: string) =>
  text
    .replace(/[&<>"]/g, (ch) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[ch]!)
    .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/g, "");

function columnName(i: number): string {
  let name = "";
  for (let n = i + 1; n > 0; n = Math.floor((n - 1) / 26)) name = String.fromCharCode(65 + ((n - 1) % 26)) + name;
  return name;
}

function cell(ref: string, v: unknown): string {
  if (v === undefined || v === null) return "";
  if (typeof v === "number") return Number.isFinite(v) ? `<c r="${ref}"><v>${v}</v></c>` : "";
  if (typeof v === "boolean") return `<c r="${ref}" t="b"><v>${v ? 1 : 0}</v></c>`;
  if (v instanceof Date) {
    if (Number.isNaN(v.getTime())) return "";
    return `<c r="${ref}" s="1"><v>${v.getTime() / 86_400_000 + 25569}</v></c>`;
  }
  const text = cellText(v);
  return `<c r="${ref}" t="inlineStr"><is><t xml:space="preserve">${escape(text.slice(0, MAX_CELL_CHARS))}</t></is></c>`;
}

const STATIC_PARTS: Record<string, string> = {
  "[Content_Types].xml":
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/><Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/></Types>',
  "_rels/.rels":
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>',
  "xl/_rels/workbook.xml.rels":
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/><Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/></Relationships>',
  "xl/styles.xml":
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?><styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><numFmts count="1"><numFmt numFmtId="164" formatCode="yyyy-mm-dd hh:mm:ss"/></numFmts><fonts count="1"><font><sz val="11"/><name val="Calibri"/></font></fonts><fills count="2"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill></fills><borders count="1"><border/></borders><cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs><cellXfs count="2"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/><xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/></cellXfs></styleSheet>',
};

function workbookXml(sheet: string): string {
  return `<?xml version="1.0" encoding="UTF-8" standalone="yes"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="${escape(sheet.slice(0, 31).replace(/[\\/?*[\]:]/g, "_"))}" sheetId="1" r:id="rId1"/></sheets></workbook>`;
}

/**
 * The workbook's bytes, piece by piece: `columns` are the header row (dotted paths), `pages` yields pages of documents.
 */
export async function* xlsxStream(
  sheet: string,
  columns: string[],
  pages: AsyncIterable<Doc[]>,
): AsyncGenerator<Uint8Array> {
  const out: Uint8Array[] = [];
  let failure: Error | null = null;
  const zip = new Zip((err, data) => {
    if (err) failure = err;
    else out.push(data);
  });
  const drain = function* () {
    if (failure) throw failure;
    while (out.length) yield out.shift()!;
  };
  for (const [name, text] of Object.entries({ ...STATIC_PARTS, "xl/workbook.xml": workbookXml(sheet) })) {
    // Deflated, not stored: entries streamed with data descriptors need an end marker for readers that scan them.
    const part = new ZipDeflate(name, { level: 6 });
    zip.add(part);
    part.push(encoder.encode(text), true);
  }
  yield* drain();
  const body = new ZipDeflate("xl/worksheets/sheet1.xml", { level: 6 });
  zip.add(body);
  const refs = columns.map((_, i) => columnName(i));
  body.push(
    encoder.encode(
      `<?xml version="1.0" encoding="UTF-8" standalone="yes"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData><row r="1">${columns.map((c, i) => cell(`${refs[i]}1`, c)).join("")}</row>`,
    ),
  );
  let r = 1;
  for await (const docs of pages) {
    let xml = "";
    for (const d of docs) {
      r++;
      xml += `<row r="${r}">${columns.map((c, i) => cell(`${refs[i]}${r}`, valueAt(d, c))).join("")}</row>`;
    }
    body.push(encoder.encode(xml));
    yield* drain();
  }
  body.push(encoder.encode("</sheetData></worksheet>"), true);
  zip.end();
  yield* drain();
}
