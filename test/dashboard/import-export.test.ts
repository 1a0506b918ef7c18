import { describe, expect, it } from "vitest";
import Papa from "papaparse";
import { applyMapping, coerce, defaultMapping, errorReport, inferType } from "../../dashboard/src/lib/import-mapping";
import { runImport } from "../../dashboard/src/lib/import-run";
import { detectFormat, parseJsonRows } from "../../dashboard/src/lib/parse-file";
import { ApiError } from "../../dashboard/src/api/client";

describe("import mapping", () => {
  it("infers a column's type from most of its values, so a few bad cells become bad rows", () => {
    expect(inferType(["1", "2", "3"])).toBe("integer");
    expect(inferType(["1.5", "2", ""])).toBe("number");
    expect(inferType([...Array.from({ length: 19 }, (_, i) => String(i)), "many"])).toBe("integer");
    expect(inferType(["1", "x", "y"])).toBe("string");
    expect(inferType(["true", "FALSE"])).toBe("boolean");
    expect(inferType(["2026-01-02", "2026-01-03T10:00:00Z"])).toBe("date");
    expect(inferType(["6650c0ffee0123456789abcd"])).toBe("objectId");
    expect(inferType([])).toBe("string");
  });

  it("coerces each type to what the API stores, or says why not", () => {
    expect(coerce("42", "integer", true)).toEqual({ value: 42 });
    expect(coerce("4.2", "integer", true).error).toBe('"4.2" is not an integer');
    expect(coerce("9007199254740993", "integer", true).error).toBeDefined();
    expect(coerce("1e3", "number", true)).toEqual({ value: 1000 });
    expect(coerce("yes", "boolean", true)).toEqual({ value: true });
    expect(coerce("2026-01-02", "date", true)).toEqual({ value: { $date: "2026-01-02T00:00:00.000Z" } });
    expect(coerce("6650C0FFEE0123456789ABCD", "objectId", true)).toEqual({
      value: { $oid: "6650c0ffee0123456789abcd" },
    });
    expect(coerce('{"a":[1]}', "json", true)).toEqual({ value: { a: [1] } });
    expect(coerce("", "integer", true)).toEqual({ value: null });
    expect(coerce("", "integer", false).error).toBe("empty value");
    expect(coerce("007", "string", true)).toEqual({ value: "007" });
  });

  it("maps rows to documents with dotted paths nested, and numbers each bad row as the file does", () => {
    const rows = [
      { id: "1", city: "Paris", zip: "75001", n: "3" },
      { id: "2", city: "Lyon", zip: "69001", n: "three" },
    ];
    const mapping = defaultMapping(["id", "city", "zip", "n"], rows);
    mapping[1].field = "address.city";
    mapping[2] = { ...mapping[2], field: "address.zip", type: "string" };
    mapping[3].type = "integer";
    const out = applyMapping(rows, mapping);
    expect(out.documents).toEqual([{ id: 1, address: { city: "Paris", zip: "75001" }, n: 3 }]);
    expect(out.rowNumbers).toEqual([2]);
    expect(out.errors).toEqual([{ row: 3, reason: 'n: "three" is not an integer' }]);
    const clash = applyMapping(
      [{ a: "1", b: "2" }],
      [
        { column: "a", field: "x", type: "integer", nullIfEmpty: true },
        { column: "b", field: "x.y", type: "integer", nullIfEmpty: true },
      ],
    );
    expect(clash.errors[0].reason).toContain('collides with "x"');
    expect(
      applyMapping([{ a: "1" }], [{ column: "a", field: "$set", type: "string", nullIfEmpty: true }]).errors[0].reason,
    ).toContain("not a valid path");
  });

  it("reports failed rows as CSV with formula cells neutralised", () => {
    const csv = errorReport([{ row: 4, reason: "bad", data: { name: "=HYPERLINK(1)", note: 'say "hi", ok' } }]);
    expect(csv).toBe(`row,reason,name,note\n4,bad,'=HYPERLINK(1),"say ""hi"", ok"\n`);
  });
});

describe("import through the API", () => {
  const docs = Array.from({ length: 5 }, (_, i) => ({ i }));
  const rows = docs.map((_, i) => i + 2);

  it("sends NDJSON chunks and maps the API's per-line errors back to the file's rows", async () => {
    const sent: string[] = [];
    const send = async (ndjson: string, dryRun: boolean) => {
      sent.push(ndjson);
      const lines = ndjson.split("\n").map((l) => JSON.parse(l));
      const bad = lines.map((d, k) => (d.i === 3 ? k + 1 : 0)).filter(Boolean);
      const ok = lines.length - bad.length;
      return {
        rows: dryRun ? { valid: ok } : { inserted: ok },
        errors: bad.map((row) => ({ row, code: "DUPLICATE_KEY", reason: "duplicate _id" })),
      };
    };
    const progress: number[] = [];
    const summary = await runImport(docs, rows, send, { chunkSize: 2, onProgress: (done) => progress.push(done) });
    expect(summary).toEqual({
      inserted: 4,
      failed: [{ row: 5, reason: "DUPLICATE_KEY: duplicate _id", data: { i: 3 } }],
      cancelled: false,
    });
    expect(sent).toEqual(['{"i":0}\n{"i":1}', '{"i":2}\n{"i":3}', '{"i":4}']);
    expect(progress).toEqual([2, 4, 5]);
    expect((await runImport(docs, rows, send, { dryRun: true })).inserted).toBe(4);
  });

  it("lets network trouble through instead of marking rows failed, and stops between chunks when cancelled", async () => {
    await expect(
      runImport(docs, rows, async () => Promise.reject(new ApiError(0, "NETWORK_ERROR", "down"))),
    ).rejects.toMatchObject({ code: "NETWORK_ERROR" });
    const abort = new AbortController();
    const summary = await runImport(
      docs,
      rows,
      async (nd) => (abort.abort(), { rows: { inserted: nd.split("\n").length }, errors: [] }),
      { chunkSize: 2, signal: abort.signal },
    );
    expect(summary).toMatchObject({ inserted: 2, cancelled: true });
  });
});

describe("re-importing exports", () => {
  const docs = [
    {
      _id: { $oid: "6650c0ffee0123456789abcd" },
      name: "=cmd",
      at: { $date: "2026-01-01T00:00:00Z" },
      addr: { city: "P", geo: { lat: 1 } },
      tags: ["a", "b"],
      price: { $numberDecimal: "9.99" },
    },
    { _id: 2, name: "plain", n: -3 },
  ];

  it("re-imports a spreadsheet export through the mapping with the types chosen, and NDJSON rows as they are", () => {
    // The API's CSV export of `docs`: nested fields as dotted columns, arrays as JSON, formula text neutralised.
    const csv = [
      "_id,name,at,addr.city,addr.geo.lat,tags,price,n",
      `6650c0ffee0123456789abcd,'=cmd,2026-01-01T00:00:00Z,P,1,"[""a"",""b""]",9.99,`,
      "2,plain,,,,,,-3",
    ].join("\r\n");
    const parsed = Papa.parse<Record<string, unknown>>(csv, { header: true, skipEmptyLines: true });
    const mapping = defaultMapping(parsed.meta.fields!, parsed.data);
    const types: Record<string, string> = {
      _id: "string",
      at: "date",
      "addr.geo.lat": "integer",
      tags: "json",
      price: "string",
    };
    for (const m of mapping) if (types[m.column]) m.type = types[m.column] as never;
    const back = applyMapping(parsed.data, mapping);
    expect(back.errors).toEqual([]);
    expect(back.documents[0]).toMatchObject({
      at: { $date: "2026-01-01T00:00:00.000Z" },
      addr: { city: "P", geo: { lat: 1 } },
      tags: ["a", "b"],
    });
    expect(parseJsonRows(docs.map((d) => JSON.stringify(d)).join("\n"), "ndjson").rows).toEqual(docs);
  });

  it("detects the format from the name or type, and refuses JSON that is not rows", () => {
    expect([
      detectFormat("a.CSV"),
      detectFormat("a.tsv"),
      detectFormat("x.jsonl"),
      detectFormat("x", "application/json"),
      detectFormat("b.xlsx"),
    ]).toEqual(["csv", "tsv", "ndjson", "json", "xlsx"]);
    expect(() => parseJsonRows('{"a":1}', "json")).toThrow("array of documents");
    expect(() => parseJsonRows('{"a":1}\n[1]', "ndjson")).toThrow("row 2 is not a JSON object");
    expect(() => parseJsonRows('{"a":1}\n{oops', "ndjson")).toThrow("line 2 is not JSON");
  });
});
