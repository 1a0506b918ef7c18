import { describe, expect, it } from "vitest";
import { EJSON } from "bson";
import { exports } from "cloudflare:workers";
import { ADMIN, call, createKey, uniqueName } from "../helpers/api";

const csvHeaders = { "content-type": "text/csv" };

describe("import", () => {
  it("maps columns to dotted fields with types; a dry run previews every bad row and writes nothing", async () => {
    const c = uniqueName();
    await call("POST", "/api/management/collections", {
      body: { name: c, validator: { type: "object", properties: { qty: { type: "integer", minimum: 0 } } } },
    });
    await call("POST", `/api/db/${c}`, { body: { _id: "sku-3", qty: 1 } });
    const file = [
      "sku,qty,city,added,active,$bad",
      "sku-1,5,Oslo,2026-01-02,yes,",
      "sku-2,many,Lima,2026-01-03,no,",
      "sku-3,7,Rome,2026-01-04,yes,",
      "sku-4,-2,Pisa,2026-01-05,yes,",
      "sku-1,9,Oslo,2026-01-06,no,",
    ].join("\n");
    const options = new URLSearchParams({
      dryRun: "true",
      mapping: JSON.stringify({ sku: "_id", city: "address.city", $bad: "" }),
      types: JSON.stringify({ qty: "integer", added: "date", active: "boolean" }),
    });
    const dry = await call("POST", `/api/db/${c}/import?${options}`, { rawBody: file, headers: csvHeaders });
    expect(dry.status, dry.text).toBe(200);
    expect(dry.json.columns).toEqual(["sku", "qty", "city", "added", "active", "$bad"]);
    // Inferred from the text: a column takes a type when 90% of its values read as it (qty's one bad cell in five is not).
    expect(dry.json.types).toMatchObject({ sku: "string", qty: "string", added: "date", active: "string" });
    expect(dry.json.preview[0]).toEqual({
      _id: "sku-1",
      qty: 5,
      address: { city: "Oslo" },
      added: { $date: "2026-01-02T00:00:00Z" },
      active: true,
    });
    expect(dry.json.errors.map((e: { row: number; code: string; path?: string }) => [e.row, e.code, e.path])).toEqual([
      [3, "TYPE_MISMATCH", "qty"],
      [4, "DUPLICATE_KEY", "_id"],
      [5, "SCHEMA_VALIDATION_FAILED", "qty"],
      [6, "DUPLICATE_KEY", "_id"],
    ]);
    expect(dry.json.rows).toEqual({ read: 5, valid: 1, failed: 4 });
    expect((await call("GET", `/api/db/${c}/count`)).json.count).toBe(1);

    options.delete("dryRun");
    const done = await call("POST", `/api/db/${c}/import?${options}`, { rawBody: file, headers: csvHeaders });
    expect(done.json.rows).toEqual({ read: 5, inserted: 1, updated: 0, skipped: 1, failed: 3 });
    expect(done.json.errors.map((e: { row: number }) => e.row)).toEqual([3, 4, 5, 6]);
    expect((await call("GET", `/api/db/${c}/sku-1`)).json).toMatchObject({
      qty: 5,
      address: { city: "Oslo" },
      added: { $date: "2026-01-02T00:00:00Z" },
    });
  });

  it("upserts by key: updates what it finds, inserts the rest", async () => {
    const c = uniqueName();
    await call("POST", `/api/db/${c}`, { body: [{ email: "a@x", name: "old" }] });
    const ndjson = '{"email":"a@x","name":"Ada"}\n{"email":"b@x","name":"Bo"}\n{"name":"no key"}\n';
    const res = await call("POST", `/api/db/${c}/import?upsertKeys=email`, {
      rawBody: ndjson,
      headers: { "content-type": "application/x-ndjson" },
    });
    expect(res.json.rows).toEqual({ read: 3, inserted: 1, updated: 1, skipped: 1, failed: 0 });
    expect(res.json.errors[0]).toMatchObject({ row: 3, code: "MISSING_UPSERT_KEY" });
    const all = (await call("GET", `/api/db/${c}?sort=email`)).json.documents.map(
      (d: { email: string; name: string }) => [d.email, d.name],
    );
    expect(all).toEqual([
      ["a@x", "Ada"],
      ["b@x", "Bo"],
    ]);
  });

  it("round-trips every export format: CSV back through types, NDJSON, JSON and EJSON as they are", async () => {
    const c = uniqueName();
    const docs = Array.from({ length: 30 }, (_, i) => ({
      _id: { $oid: `65f0000000000000000000${String(i).padStart(2, "0")}` },
      n: i,
      price: { $numberDecimal: `${i}.5` },
      at: { $date: `2026-02-0${(i % 9) + 1}T08:00:00.000Z` },
      tags: ["x", i],
      address: { city: `c${i}`, zip: `0${i}` },
    }));
    await call("POST", `/api/db/${c}`, {
      rawBody: EJSON.stringify(docs, { relaxed: false }),
      headers: { "content-type": "application/ejson" },
    });
    const original = (await call("GET", `/api/db/${c}?sort=n`, { headers: { accept: "application/ejson" } })).json
      .documents;
    const csvTypes = JSON.stringify({
      _id: "objectId",
      n: "integer",
      price: "decimal",
      at: "date",
      tags: "json",
      "address.zip": "string",
    });
    for (const [format, type, extra] of [
      ["csv", "text/csv", `&types=${encodeURIComponent(csvTypes)}`],
      [
        "xlsx",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        `&types=${encodeURIComponent(csvTypes)}`,
      ],
      ["ndjson", "application/x-ndjson", ""],
      ["json", "application/json", ""],
      ["ejson", "application/json", ""],
    ]) {
      const res = await exports.default.fetch(
        new Request(`http://docflare.test/api/db/${c}/export?format=${format}`, {
          headers: { Authorization: `Bearer ${ADMIN}` },
        }),
      );
      const exported = new Uint8Array(await res.arrayBuffer());
      const copy = `${c}_${format}`;
      const back = await call("POST", `/api/db/${copy}/import?format=${format === "ejson" ? "json" : format}${extra}`, {
        rawBody: exported,
        headers: { "content-type": type },
      });
      expect(back.json.rows, `${format}: ${back.text.slice(0, 300)}`).toMatchObject({
        inserted: 30,
        failed: 0,
        skipped: 0,
      });
      const again = (await call("GET", `/api/db/${copy}?sort=n`, { headers: { accept: "application/ejson" } })).json
        .documents;
      expect(again, format).toEqual(original);
    }
  });

  it("refuses bad input with a clear 4xx: wrong type, not UTF-8, too many columns, not an array, a limited key", async () => {
    const c = uniqueName();
    expect(
      (await call("POST", `/api/db/${c}/import`, { rawBody: "a,b\n1,2", headers: { "content-type": "image/png" } }))
        .status,
    ).toBe(415);
    expect(
      (await call("POST", `/api/db/${c}/import?format=csv`, { rawBody: new Uint8Array([0x61, 0x0a, 0xff, 0xfe]) })).json
        .error.code,
    ).toBe("INVALID_UTF8");
    const wide = Array.from({ length: 1001 }, (_, i) => `c${i}`).join(",");
    expect(
      (await call("POST", `/api/db/${c}/import`, { rawBody: `${wide}\n`, headers: csvHeaders })).json.error.code,
    ).toBe("TOO_MANY_COLUMNS");
    expect(
      (
        await call("POST", `/api/db/${c}/import`, {
          rawBody: '{"a":1}',
          headers: { "content-type": "application/json" },
        })
      ).json.error.code,
    ).toBe("INVALID_BODY");
    expect(
      (
        await call("POST", `/api/db/${c}/import?types=${encodeURIComponent('{"a":"blob"}')}`, {
          rawBody: "a\n1",
          headers: csvHeaders,
        })
      ).json.error.code,
    ).toBe("INVALID_PARAMETER");
    const injected = await call("POST", `/api/db/${c}/import`, {
      rawBody: '{"$where":"1"}\n{"ok":1}\n',
      headers: { "content-type": "application/x-ndjson" },
    });
    // Refused before writing (operator keys are checked for every row), so skipped rather than failed by the store.
    expect(injected.json.rows).toMatchObject({ inserted: 1, skipped: 1, failed: 0 });
    expect(injected.json.errors[0]).toMatchObject({ row: 1, code: "INVALID_DOCUMENT" });
    const stop = await call("POST", `/api/db/${c}/import?onError=stop&types=${encodeURIComponent('{"n":"integer"}')}`, {
      rawBody: "n\n1\nx\n3",
      headers: csvHeaders,
    });
    expect(stop.json.error).toMatchObject({ code: "IMPORT_ROW_INVALID", details: { row: 3 } });
    const tenant = `im-${uniqueName("t").replace(/_/g, "-").toLowerCase()}`.slice(0, 40);
    const limited = await createKey("write", tenant, ["orders"]);
    expect(
      (await call("POST", "/api/db/secrets/import", { token: limited, rawBody: "a\n1", headers: csvHeaders })).status,
    ).toBe(403);
  });
});
