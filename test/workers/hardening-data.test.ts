import { describe, expect, it } from "vitest";
import { call, uniqueName } from "../helpers/api";

const BIG = "9007199254740993";
const EJSON_HEADERS = { "Content-Type": "application/ejson", Accept: "application/ejson" };

describe("exact numbers on every input path", () => {
  it("keeps a 64-bit integer, a Decimal128 and awkward doubles exact through REST", async () => {
    const c = uniqueName();
    const doc = {
      _id: "n",
      long: { $numberLong: BIG },
      neg: { $numberLong: "-9223372036854775808" },
      dec: { $numberDecimal: "0.1000000000000000000000000000000001" },
      negZero: { $numberDouble: "-0.0" },
      small: { $numberLong: "42" },
      third: 1 / 3,
    };
    expect((await call("POST", `/api/db/${c}`, { body: doc })).status).toBe(201);
    const got = await call("GET", `/api/db/${c}/n`);
    expect(got.json.long).toEqual({ $numberLong: BIG });
    expect(got.json.neg).toEqual({ $numberLong: "-9223372036854775808" });
    expect(got.json.dec).toEqual({ $numberDecimal: "0.1000000000000000000000000000000001" });
    expect(got.json.negZero).toEqual({ $numberDouble: "-0.0" });
    expect(got.json.small).toBe(42);
    expect(got.json.third).toBe(1 / 3);
    const canonical = await call("GET", `/api/db/${c}/n`, { headers: { Accept: "application/ejson" } });
    expect(canonical.json.long).toEqual({ $numberLong: BIG });
    // An update of another field rewrites the document: the long must survive that too.
    expect((await call("PATCH", `/api/db/${c}/n`, { body: { $set: { touched: true } } })).status).toBe(200);
    expect((await call("GET", `/api/db/${c}/n`)).json.long).toEqual({ $numberLong: BIG });
    // And it can be found by its exact value.
    const found = await call("POST", `/api/db/${c}/query`, { body: { filter: { long: { $numberLong: BIG } } } });
    expect(found.json.documents.map((d: { _id: string }) => d._id)).toEqual(["n"]);
  });

  it("keeps a 64-bit integer exact through the Data API in JSON and in EJSON", async () => {
    const c = uniqueName();
    const base = { dataSource: "x", database: "main", collection: c };
    expect(
      (await call("POST", "/action/insertOne", { body: { ...base, document: { _id: 1, v: { $numberLong: BIG } } } }))
        .status,
    ).toBe(201);
    const json = await call("POST", "/action/findOne", { body: { ...base, filter: { _id: 1 } } });
    expect(json.json.document.v).toBe(BIG);
    const raw = JSON.stringify({ ...base, document: { _id: 2, v: { $numberLong: BIG } } });
    expect((await call("POST", "/action/insertOne", { rawBody: raw, headers: EJSON_HEADERS })).status).toBe(201);
    const ejson = await call("POST", "/action/findOne", {
      rawBody: JSON.stringify({ ...base, filter: { _id: 2 } }),
      headers: EJSON_HEADERS,
    });
    expect(ejson.json.document.v).toEqual({ $numberLong: BIG });
  });
});

describe("JSON Merge Patch follows RFC 7396", () => {
  // RFC 7396 appendix A: original, patch, result.
  const examples: Array<[object, object, object]> = [
    [{ a: "b" }, { a: "c" }, { a: "c" }],
    [{ a: "b" }, { b: "c" }, { a: "b", b: "c" }],
    [{ a: "b" }, { a: null }, {}],
    [{ a: "b", b: "c" }, { a: null }, { b: "c" }],
    [{ a: ["b"] }, { a: "c" }, { a: "c" }],
    [{ a: "c" }, { a: ["b"] }, { a: ["b"] }],
    [{ a: { b: "c" } }, { a: { b: "d", c: null } }, { a: { b: "d" } }],
    [{ a: [{ b: "c" }] }, { a: [1] }, { a: [1] }],
    [{ e: null }, { a: 1 }, { e: null, a: 1 }],
    [{}, { a: { bb: { ccc: null } } }, { a: { bb: {} } }],
    // And the case the issue names: an empty object changes nothing under an object, and replaces a non-object.
    [{ address: { city: "Oslo" } }, { address: {} }, { address: { city: "Oslo" } }],
    [{ address: "none" }, { address: { city: "Oslo" } }, { address: { city: "Oslo" } }],
    [{ "a.b": 1, a: { b: 2 } }, { "a.b": 3 }, { "a.b": 3, a: { b: 2 } }],
  ];
  it.each(examples.map((e, i) => [i, ...e]))("example %i", async (_i, original, patch, result) => {
    const c = uniqueName();
    expect((await call("POST", `/api/db/${c}`, { body: { _id: "d", ...original } })).status).toBe(201);
    const res = await call("PATCH", `/api/db/${c}/d`, { body: patch });
    expect(res.status).toBe(200);
    expect((await call("GET", `/api/db/${c}/d`)).json).toEqual({ _id: "d", ...result });
  });
});

describe("the same depth and size rules on every write path", () => {
  const deep = (n: number): Record<string, unknown> => {
    let v: Record<string, unknown> = { leaf: 1 };
    for (let i = 0; i < n; i++) v = { a: v };
    return v;
  };
  it("refuses a 3,000-level merge patch, $set path and pipeline result, and the document stays updatable", async () => {
    const c = uniqueName();
    await call("POST", `/api/db/${c}`, { body: { _id: "d", n: 1 } });
    const patch = await call("PATCH", `/api/db/${c}/d`, { body: deep(3000) });
    expect(patch.status).toBe(400);
    expect(patch.json.error.code).toBe("DOCUMENT_TOO_DEEP");
    const path = Array.from({ length: 3000 }, () => "a").join(".");
    const set = await call("PATCH", `/api/db/${c}/d`, { body: { $set: { [path]: 1 } } });
    expect(set.status).toBe(400);
    expect(set.json.error.code).toBe("DOCUMENT_TOO_DEEP");
    const moderate = Array.from({ length: 60 }, () => "a").join(".");
    // Two 60-level writes nest 120 levels deep only together: the result is what gets checked.
    expect((await call("PATCH", `/api/db/${c}/d`, { body: { $set: { [moderate]: { x: 1 } } } })).status).toBe(200);
    const deeper = await call("PATCH", `/api/db/${c}/d`, { body: { $set: { [`${moderate}.x`]: deep(60) } } });
    expect(deeper.status).toBe(400);
    expect(deeper.json.error.code).toBe("DOCUMENT_TOO_DEEP");
    const many = await call("PATCH", `/api/db/${c}?allowEmptyFilter=true`, { body: { update: { $inc: { n: 1 } } } });
    expect(many.status).toBe(200);
    expect((await call("PATCH", `/api/db/${c}/d`, { body: { $inc: { n: 1 } } })).status).toBe(200);
    expect((await call("GET", `/api/db/${c}/d`)).json.n).toBe(3);
  });
});

describe("MongoDB's rules for _id and field names", () => {
  it("accepts _id: null as a real _id, once", async () => {
    const c = uniqueName();
    const first = await call("POST", `/api/db/${c}`, { body: { _id: null, v: 1 } });
    expect(first.status).toBe(201);
    expect(first.json.insertedId).toBeNull();
    expect((await call("POST", `/api/db/${c}`, { body: { _id: null, v: 2 } })).status).toBe(409);
    const found = await call("POST", `/api/db/${c}/query`, { body: { filter: { _id: null } } });
    expect(found.json.documents).toEqual([{ _id: null, v: 1 }]);
  });

  it("keeps the _id through an update pipeline that drops it", async () => {
    const c = uniqueName();
    await call("POST", `/api/db/${c}`, { body: { _id: "p", inner: { x: 1 } } });
    const res = await call("PATCH", `/api/db/${c}`, {
      body: { filter: { _id: "p" }, update: [{ $replaceRoot: { newRoot: "$inner" } }] },
    });
    expect(res.status).toBe(200);
    expect((await call("GET", `/api/db/${c}/p`)).json).toEqual({ _id: "p", x: 1 });
    const project = await call("PATCH", `/api/db/${c}`, {
      body: { filter: { _id: "p" }, update: [{ $project: { _id: 0, x: 1 } }] },
    });
    expect(project.status).toBe(200);
    expect((await call("GET", `/api/db/${c}/p`)).json).toEqual({ _id: "p", x: 1 });
  });

  it("refuses an _id holding $-prefixed keys and top-level $ field names on every route", async () => {
    const c = uniqueName();
    const id = await call("POST", `/api/db/${c}`, { body: { _id: { $gt: 1 }, v: 1 } });
    expect(id.status).toBe(400);
    expect(id.json.error.code).toBe("INVALID_ID");
    const nested = await call("POST", `/api/db/${c}`, { body: { _id: { a: { $b: 1 } } } });
    expect(nested.json.error.code).toBe("INVALID_ID");
    expect((await call("POST", `/api/db/${c}`, { body: { $top: 1 } })).status).toBe(400);
    expect(
      (await call("POST", "/action/insertOne", { body: { database: "main", collection: c, document: { $top: 1 } } }))
        .status,
    ).toBe(400);
    await call("POST", `/api/db/${c}`, { body: { _id: "x" } });
    expect((await call("PUT", `/api/db/${c}/x`, { body: { $top: 1 } })).status).toBe(400);
    const pipeline = await call("PATCH", `/api/db/${c}`, {
      body: {
        filter: { _id: "x" },
        update: [{ $replaceWith: { $setField: { field: { $literal: "$top" }, input: "$$ROOT", value: 1 } } }],
      },
    });
    expect(pipeline.status).toBe(400);
    expect((await call("GET", `/api/db/${c}/x`)).json).toEqual({ _id: "x" });
  });

  it("refuses NUL in field names, documents and indexes alike, and malformed UTF-8 bodies", async () => {
    const c = uniqueName();
    const doc = await call("POST", `/api/db/${c}`, { body: { "a\u0000b": 1 } });
    expect(doc.status).toBe(400);
    expect(doc.json.error.code).toBe("INVALID_FIELD_NAME");
    const index = await call("POST", `/api/management/collections/${c}/indexes`, { body: { keys: { "a\u0000b": 1 } } });
    expect(index.status).toBe(400);
    const bytes = new Uint8Array([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xff, 0xfe, 0x22, 0x7d]);
    const bad = await call("POST", `/api/db/${c}`, { rawBody: bytes, headers: { "Content-Type": "application/json" } });
    expect(bad.status).toBe(400);
    expect(bad.json.error.code).toBe("INVALID_UTF8");
    const control = await call("POST", "/api/webhooks", {
      rawBody: bytes,
      headers: { "Content-Type": "application/json" },
    });
    expect(control.json.error.code).toBe("INVALID_UTF8");
  });
});
