import { env, exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { ObjectId } from "bson";
import * as XLSX from "@e965/xlsx";
import { strToU8, zipSync } from "fflate";
import { ADMIN, call, uniqueName } from "../helpers/api";
import { createWebhook, eventually, received, receiverUrl } from "../helpers/webhooks";
import { EmbeddedStore } from "../../worker/store/embedded";

const ndjsonHeaders = { "content-type": "application/x-ndjson" };
const XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
const lines = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => `{"n":${from + i}}\n`).join("");
const tenantName = () => `ij-${uniqueName("t").replace(/_/g, "-").toLowerCase()}`.slice(0, 40);

/** A request body the test feeds by hand, so it can hold the import between chunks. */
function feed() {
  let controller!: ReadableStreamDefaultController<Uint8Array>;
  let pulled = 0;
  const stream = new ReadableStream<Uint8Array>({ start: (c) => void (controller = c) });
  return {
    stream,
    push: (text: string) => {
      pulled += text.length;
      controller.enqueue(new TextEncoder().encode(text));
    },
    close: () => controller.close(),
    get pulled() {
      return pulled;
    },
  };
}

function post(path: string, body: ReadableStream<Uint8Array> | Uint8Array | string, headers: Record<string, string>) {
  return exports.default.fetch(
    new Request(`http://docflare.test${path}`, {
      method: "POST",
      headers: { Authorization: `Bearer ${ADMIN}`, ...headers },
      body,
    }),
  );
}

function workbook(sheets: Record<string, unknown[][]>): Uint8Array {
  const book = XLSX.utils.book_new();
  for (const [name, rows] of Object.entries(sheets))
    XLSX.utils.book_append_sheet(book, XLSX.utils.aoa_to_sheet(rows, { cellDates: true }), name);
  return new Uint8Array(XLSX.write(book, { type: "array", bookType: "xlsx", cellDates: false }));
}

describe("import jobs", () => {
  it("writes in chunks as a job with progress, and a resumed job applies no chunk twice", async () => {
    const c = uniqueName();
    const jobId = `job_${uniqueName()}`;
    // The 1,201st line is longer than any document may be: the file is refused there, after two chunks were written.
    const broken = `${lines(0, 1200)}{"n":"${"x".repeat(2_200_000)}"}\n${lines(1201, 1300)}`;
    const first = await call("POST", `/api/db/${c}/import?jobId=${jobId}`, { rawBody: broken, headers: ndjsonHeaders });
    expect(first.status).toBe(413);
    expect(first.json.error.code).toBe("RECORD_TOO_LARGE");
    expect(first.json.error.message).toContain("1000 rows before it were written");
    const failed = await call("GET", `/api/db/${c}/imports/${jobId}`);
    expect(failed.json).toMatchObject({
      status: "failed",
      error: { code: "RECORD_TOO_LARGE" },
      rows: { read: 1000, inserted: 1000 },
    });

    // The same job again with the file fixed: its first two chunks answer their recorded outcome and are not rewritten.
    const again = await call("POST", `/api/db/${c}/import?jobId=${jobId}`, {
      rawBody: lines(0, 1300),
      headers: ndjsonHeaders,
    });
    expect(again.status, again.text).toBe(200);
    expect(again.headers.get("location")).toBe(`/api/db/${c}/imports/${jobId}`);
    expect(again.json).toMatchObject({
      jobId,
      status: "completed",
      rows: { read: 1300, inserted: 1300, updated: 0, skipped: 0, failed: 0 },
    });
    expect((await call("GET", `/api/db/${c}/count`)).json.count).toBe(1300);
    const distinct = await call("POST", `/api/db/${c}/aggregate`, {
      body: [{ $group: { _id: "$n" } }, { $count: "n" }],
    });
    expect(distinct.json.documents[0].n).toBe(1300);
    const finished = await call("POST", `/api/db/${c}/import?jobId=${jobId}`, {
      rawBody: lines(0, 10),
      headers: ndjsonHeaders,
    });
    expect(finished.json.error.code).toBe("IMPORT_JOB_FINISHED");
    expect((await call("GET", `/api/db/${c}/imports`)).json.jobs.map((j: { id: string }) => j.id)).toContain(jobId);
  });

  it("a chunk sent twice under one key is applied once (embedded transaction with its record)", async () => {
    const tenant = tenantName();
    const store = new EmbeddedStore(env.DATABASE, tenant, "main");
    await store.importJobs.start("k1", "items", "ndjson", {
      mapping: {},
      types: {},
      nullIfEmpty: true,
      upsertKeys: [],
      onError: "skip",
      events: false,
      formulas: "reject",
    });
    const chunk = {
      job: "k1",
      seq: 0,
      read: 3,
      rejected: [],
      upsertKeys: [],
      events: false,
      stopOnError: false,
      docs: [1, 2, 3].map((n) => ({ row: n, doc: { _id: new ObjectId(), n }, generatedId: true })),
    };
    const once = await store.importChunk("items", chunk);
    const twice = await store.importChunk("items", chunk);
    expect(once).toMatchObject({ inserted: 3 });
    expect(once.replayed).toBeUndefined();
    expect(twice).toMatchObject({ inserted: 3, replayed: true });
    expect(await store.countDocuments("items", {})).toBe(3);
    expect((await store.importJobs.get("k1"))!.rows).toMatchObject({ read: 3, inserted: 3 });
  });

  it("a refused first row of a new collection is rolled back alone; the rows after it land", async () => {
    const c = uniqueName();
    const huge = `{"blob":"${"x".repeat(1_100_000)}"}`;
    const res = await call("POST", `/api/db/${c}/import`, {
      rawBody: `${huge}\n{"n":1}\n{"n":2}\n`,
      headers: ndjsonHeaders,
    });
    expect(res.status, res.text.slice(0, 300)).toBe(200);
    expect(res.json.rows).toMatchObject({ read: 3, inserted: 2, failed: 1 });
    expect(res.json.errors[0]).toMatchObject({ row: 1, code: "DOCUMENT_TOO_LARGE" });
    expect((await call("GET", `/api/db/${c}/count`)).json.count).toBe(2);
  });

  it("cancel stops a running import after the chunk in flight; the report lists failed rows", async () => {
    const c = uniqueName();
    const jobId = `job_${uniqueName()}`;
    const body = feed();
    const pending = post(`/api/db/${c}/import?jobId=${jobId}`, body.stream, ndjsonHeaders);
    body.push(lines(0, 499) + "not json\n");
    await eventually(async () =>
      expect((await call("GET", `/api/db/${c}/imports/${jobId}`)).json).toMatchObject({
        status: "running",
        rows: { read: 500 },
      }),
    );
    const cancelled = await call("POST", `/api/db/${c}/imports/${jobId}/cancel`);
    expect(cancelled.json.status).toBe("cancelled");
    body.push(lines(500, 1500));
    body.close();
    const res = await pending;
    expect(res.status).toBe(409);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe("IMPORT_CANCELLED");
    expect((await call("GET", `/api/db/${c}/count`)).json.count).toBe(499);
    expect((await call("GET", `/api/db/${c}/imports/${jobId}`)).json).toMatchObject({
      status: "cancelled",
      rows: { read: 500, inserted: 499, skipped: 1 },
    });
    expect((await call("POST", `/api/db/${c}/imports/${jobId}/cancel`)).json.error.code).toBe("IMPORT_JOB_NOT_RUNNING");
    const report = await call("GET", `/api/db/${c}/imports/${jobId}/report`);
    expect(report.headers.get("content-disposition")).toContain(`${jobId}-failed-rows.csv`);
    expect(report.text.split("\r\n")[0]).toBe("row,code,path,reason");
    expect(report.text.split("\r\n")[1]).toMatch(/^500,MALFORMED_ROW,,/);
  });

  it("events=false writes without change events; by default webhooks see every imported row", async () => {
    const tenant = tenantName();
    const path = `/import-events-${tenant}`;
    await createWebhook(tenant, { url: `${receiverUrl()}${path}`, collection: "people" });
    const quiet = await call("POST", "/api/db/people/import?events=false", {
      tenant,
      rawBody: '{"name":"q1"}\n{"name":"q2"}\n',
      headers: ndjsonHeaders,
    });
    expect(quiet.json.rows.inserted).toBe(2);
    const loud = await call("POST", "/api/db/people/import", {
      tenant,
      rawBody: '{"name":"a"}\n{"name":"b"}\n{"name":"c"}\n',
      headers: ndjsonHeaders,
    });
    expect(loud.json.rows.inserted).toBe(3);
    // The outbox is one ordered log: once the later import's three events arrived, the quiet rows would have too.
    const names = await eventually(async () => {
      const got = (await received(path)).map((r) => JSON.parse(r.body).fullDocument.name as string);
      expect(new Set(got)).toEqual(new Set(["a", "b", "c"]));
      return got;
    });
    expect(names).not.toContain("q1");
  });

  it("reads XLSX (first or named sheet) with typed cells, and round-trips an XLSX export", async () => {
    const c = uniqueName();
    const file = workbook({
      Ignored: [["x"], [1]],
      People: [
        ["name", "born", "score", "member", "city"],
        ["Ada", new Date(Date.UTC(2015, 11, 10)), 9.5, true, "London"],
        ["Bo", new Date(Date.UTC(1990, 0, 2, 12, 30)), 7, false, ""],
      ],
    });
    const res = await call(
      "POST",
      `/api/db/${c}/import?sheet=People&mapping=${encodeURIComponent('{"city":"address.city"}')}`,
      { rawBody: file, headers: { "content-type": XLSX_TYPE } },
    );
    expect(res.status, res.text).toBe(200);
    expect(res.json.columns).toEqual(["name", "born", "score", "member", "city"]);
    const docs = (await call("GET", `/api/db/${c}?sort=name&fields=-_id`)).json.documents;
    expect(docs).toEqual([
      { name: "Ada", born: { $date: "2015-12-10T00:00:00Z" }, score: 9.5, member: true, address: { city: "London" } },
      { name: "Bo", born: { $date: "1990-01-02T12:30:00Z" }, score: 7, member: false, address: { city: null } },
    ]);
    const missing = await call("POST", `/api/db/${c}/import?format=xlsx&sheet=Nope`, { rawBody: file });
    expect(missing.json.error).toMatchObject({ code: "SHEET_NOT_FOUND", details: { sheets: ["Ignored", "People"] } });

    const exported = await exports.default.fetch(
      new Request(`http://docflare.test/api/db/${c}/export?format=xlsx&sort=name`, {
        headers: { Authorization: `Bearer ${ADMIN}` },
      }),
    );
    expect(exported.headers.get("content-type")).toBe(XLSX_TYPE);
    const bytes = new Uint8Array(await exported.arrayBuffer());
    // SheetJS, an independent reader, sees the same sheet.
    const read = XLSX.utils.sheet_to_json<Record<string, unknown>>(
      XLSX.read(bytes, { type: "array", cellDates: true }).Sheets[c],
    );
    expect(read.map((r) => r.name)).toEqual(["Ada", "Bo"]);
    const copy = `${c}_copy`;
    const back = await call("POST", `/api/db/${copy}/import?types=${encodeURIComponent('{"_id":"objectId"}')}`, {
      rawBody: bytes,
      headers: { "content-type": XLSX_TYPE },
    });
    expect(back.json.rows, back.text).toMatchObject({ inserted: 2, failed: 0, skipped: 0 });
    const original = (await call("GET", `/api/db/${c}?sort=name`, { headers: { accept: "application/ejson" } })).json
      .documents;
    expect(
      (await call("GET", `/api/db/${copy}?sort=name`, { headers: { accept: "application/ejson" } })).json.documents,
    ).toEqual(original);
  });

  it("bad files end in a clear 4xx and a failed job", async () => {
    const c = uniqueName();
    const valid = workbook({ S: [["a"], [1], [2]] });
    const billionLaughs = zipSync({
      "xl/workbook.xml": strToU8(
        '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">]><workbook><sheets><sheet name="S" r:id="rId1"/></sheets></workbook>',
      ),
      "xl/_rels/workbook.xml.rels": strToU8(
        '<Relationships><Relationship Id="rId1" Target="worksheets/sheet1.xml"/></Relationships>',
      ),
      "xl/worksheets/sheet1.xml": strToU8(
        '<worksheet><sheetData><row r="1"><c t="inlineStr"><is><t>&lol2;</t></is></c></row></sheetData></worksheet>',
      ),
    });
    const wide = `${Array.from({ length: 100_000 }, (_, i) => `c${i}`).join(",")}\n1\n`;
    const latin1 = new Uint8Array([...new TextEncoder().encode("name\nJos"), 0xe9, 0x0a]);
    const cases: Array<[string, string, Uint8Array | string, Record<string, string>, number, string]> = [
      ["truncated zip", "format=xlsx", valid.slice(0, valid.length - 200), {}, 400, "INVALID_XLSX"],
      ["not a zip", "format=xlsx", "name\nAda\n", {}, 400, "INVALID_XLSX"],
      ["XML entities", "format=xlsx", billionLaughs, {}, 400, "UNSAFE_XLSX"],
      ["Latin-1 text", "", latin1, { "content-type": "text/csv" }, 400, "INVALID_UTF8"],
      ["100,000 columns", "", wide, { "content-type": "text/csv" }, 400, "TOO_MANY_COLUMNS"],
      [
        "formula cells, stop",
        "onError=stop",
        'name,total\nAda,"=HYPERLINK(""http://x"",""y"")"\n',
        { "content-type": "text/csv" },
        400,
        "IMPORT_ROW_INVALID",
      ],
      ["unclosed JSON array", "", '[{"a":1},{"a":2}', { "content-type": "application/json" }, 400, "INVALID_BODY"],
    ];
    for (const [what, query, body, headers, status, code] of cases) {
      const jobId = `bad_${uniqueName()}`;
      const res = await call("POST", `/api/db/${c}/import?jobId=${jobId}&${query}`, { rawBody: body, headers });
      expect(res.status, `${what}: ${res.text.slice(0, 300)}`).toBe(status);
      expect(res.json.error.code, what).toBe(code);
      expect(res.json.error.details.jobId, what).toBe(jobId);
      expect((await call("GET", `/api/db/${c}/imports/${jobId}`)).json, what).toMatchObject({
        status: "failed",
        error: { code },
      });
    }
    // Formula cells are refused row by row (formulas=keep stores them as text); a CSV export neutralises them again.
    const skipped = await call("POST", `/api/db/${c}/import`, {
      rawBody: "name,total\nAda,=1+1\nBo,-5\nCy,@handle\n",
      headers: { "content-type": "text/csv" },
    });
    expect(skipped.json.rows).toMatchObject({ inserted: 2, skipped: 1 });
    expect(skipped.json.errors[0]).toMatchObject({ row: 2, code: "FORMULA_CELL", path: "total" });
    expect((await call("GET", `/api/db/${c}/count`)).json.count).toBe(2);
  });

  it("a line of a gigabyte is refused after reading a few megabytes of it", async () => {
    const c = uniqueName();
    let sent = 0;
    const endless = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent >= 1 << 30) return controller.close();
        const piece = new Uint8Array(65_536).fill(0x61);
        sent += piece.length;
        controller.enqueue(piece);
      },
    });
    const res = await post(`/api/db/${c}/import`, endless, ndjsonHeaders);
    expect(res.status).toBe(413);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe("RECORD_TOO_LARGE");
    expect(sent).toBeLessThan(16 * 1_048_576);
  });

  it("a dry run of an XLSX sheet previews typed rows and writes nothing", async () => {
    const c = uniqueName();
    const file = workbook({
      S: [
        ["sku", "qty"],
        ["a", 1],
        ["b", "x"],
      ],
    });
    const dry = await call("POST", `/api/db/${c}/import?dryRun=true&types=${encodeURIComponent('{"qty":"integer"}')}`, {
      rawBody: file,
      headers: { "content-type": XLSX_TYPE },
    });
    expect(dry.json).toMatchObject({
      dryRun: true,
      format: "xlsx",
      columns: ["sku", "qty"],
      rows: { read: 2, valid: 1, failed: 1 },
    });
    expect(dry.json.preview).toEqual([{ sku: "a", qty: 1 }]);
    expect(dry.json.errors[0]).toMatchObject({ row: 3, code: "TYPE_MISMATCH", path: "qty" });
    expect((await call("GET", `/api/db/${c}/count`)).json.count).toBe(0);
  });
});
