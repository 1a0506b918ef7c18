import { describe, expect, it } from "vitest";
import { call, uniqueName } from "../helpers/api";

const PEOPLE = [
  { _id: 1, name: "ann", age: 31, tags: ["a", "b"], address: { city: "Oslo" }, scores: [80, 95], flag: true },
  { _id: 2, name: "bob", age: 25, tags: ["b"], address: { city: "Rome" }, scores: [55], flag: false },
  { _id: 3, name: "Cy", age: 40, tags: [], address: { city: "oslo" }, scores: [70, 71, 72] },
  { _id: 4, name: "dee", age: null, tags: ["c", "a"], scores: [] },
  { _id: 5, name: "eve", age: "unknown", tags: ["x"], address: { city: "Paris" }, scores: [100] },
];

async function withPeople() {
  const c = uniqueName("people");
  expect((await call("POST", `/api/db/${c}`, { body: PEOPLE })).status).toBe(201);
  return c;
}

async function ids(c: string, filter: unknown): Promise<number[]> {
  const res = await call("POST", `/api/db/${c}/query`, { body: { filter, sort: { _id: 1 }, limit: 100 } });
  expect(res.status, JSON.stringify(res.json)).toBe(200);
  return res.json.documents.map((d: { _id: number }) => d._id);
}

describe("query operators", () => {
  it("comparison: $eq $ne $gt $gte $lt $lte $in $nin (type-bracketed like MongoDB)", async () => {
    const c = await withPeople();
    expect(await ids(c, { age: 31 })).toEqual([1]);
    expect(await ids(c, { age: { $eq: 25 } })).toEqual([2]);
    expect(await ids(c, { age: { $ne: 25 } })).toEqual([1, 3, 4, 5]);
    expect(await ids(c, { age: { $gt: 30 } })).toEqual([1, 3]);
    expect(await ids(c, { age: { $gte: 25, $lt: 40 } })).toEqual([1, 2]);
    expect(await ids(c, { age: { $lte: 25 } })).toEqual([2]);
    expect(await ids(c, { name: { $in: ["ann", "eve"] } })).toEqual([1, 5]);
    expect(await ids(c, { name: { $nin: ["ann", "eve"] } })).toEqual([2, 3, 4]);
    expect(await ids(c, { age: null })).toEqual([4]);
  });

  it("logical: $and $or $nor $not", async () => {
    const c = await withPeople();
    expect(await ids(c, { $and: [{ age: { $gt: 20 } }, { tags: "b" }] })).toEqual([1, 2]);
    expect(await ids(c, { $or: [{ name: "bob" }, { age: 40 }] })).toEqual([2, 3]);
    expect(await ids(c, { $nor: [{ tags: "a" }, { tags: "x" }] })).toEqual([2, 3]);
    expect(await ids(c, { age: { $not: { $gt: 30 } } })).toEqual([2, 4, 5]);
  });

  it("element: $exists $type", async () => {
    const c = await withPeople();
    expect(await ids(c, { address: { $exists: false } })).toEqual([4]);
    expect(await ids(c, { flag: { $exists: true } })).toEqual([1, 2]);
    expect(await ids(c, { age: { $type: "string" } })).toEqual([5]);
    expect(await ids(c, { age: { $type: "null" } })).toEqual([4]);
  });

  it("evaluation: $regex (with options) $mod $expr", async () => {
    const c = await withPeople();
    expect(await ids(c, { name: { $regex: "^c", $options: "i" } })).toEqual([3]);
    expect(await ids(c, { "address.city": { $regex: "^oslo$", $options: "i" } })).toEqual([1, 3]);
    expect(await ids(c, { age: { $mod: [5, 0], $type: "number" } })).toEqual([2, 3]);
    expect(await ids(c, { $expr: { $gt: [{ $size: "$scores" }, 1] } })).toEqual([1, 3]);
  });

  it("array: $all $elemMatch $size and element matching", async () => {
    const c = await withPeople();
    expect(await ids(c, { tags: { $all: ["a", "b"] } })).toEqual([1]);
    expect(await ids(c, { scores: { $elemMatch: { $gte: 90, $lt: 100 } } })).toEqual([1]);
    expect(await ids(c, { tags: { $size: 0 } })).toEqual([3]);
    expect(await ids(c, { tags: "a" })).toEqual([1, 4]);
    expect(await ids(c, { "scores.0": { $gte: 70 } })).toEqual([1, 3, 5]);
  });

  it("shorthands in the query string", async () => {
    const c = await withPeople();
    const get = async (qs: string) =>
      (await call("GET", `/api/db/${c}?${qs}&sort=_id`)).json.documents.map((d: { _id: number }) => d._id);
    expect(await get("name=bob")).toEqual([2]);
    expect(await get("age[$gte]=31")).toEqual([1, 3]);
    expect(await get("name[$in]=ann,Cy")).toEqual([1, 3]);
    expect(await get("address.city=Rome")).toEqual([2]);
    expect(await get("flag=true")).toEqual([1]);
    expect(await get(`filter=${encodeURIComponent('{"age":{"$lt":30}}')}&tags=b`)).toEqual([2]);
  });

  it("projection and sort", async () => {
    const c = await withPeople();
    const res = await call("GET", `/api/db/${c}?fields=name&sort=-name&limit=2`);
    expect(res.json.documents.map((d: { name: string }) => d.name)).toEqual(["eve", "dee"]);
    expect(Object.keys(res.json.documents[0]).sort()).toEqual(["_id", "name"]);
    const excl = await call("GET", `/api/db/${c}/1?fields=-scores,-tags`);
    expect(excl.json).toEqual({ _id: 1, name: "ann", age: 31, address: { city: "Oslo" }, flag: true });
  });
});

describe("update operators", () => {
  async function apply(doc: Record<string, unknown>, update: unknown, extra: Record<string, unknown> = {}) {
    const c = uniqueName("upd");
    await call("POST", `/api/db/${c}`, { body: { _id: 1, ...doc } });
    const res = await call("PATCH", `/api/db/${c}`, { body: { filter: { _id: 1 }, update, ...extra } });
    expect(res.status, JSON.stringify(res.json)).toBe(200);
    return (await call("GET", `/api/db/${c}/1`)).json;
  }

  it.each([
    ["$set", { a: 1 }, { $set: { a: 2, "b.c": 3 } }, { _id: 1, a: 2, b: { c: 3 } }],
    ["$unset", { a: 1, b: 2 }, { $unset: { b: "" } }, { _id: 1, a: 1 }],
    ["$inc", { n: 1 }, { $inc: { n: 4, m: 1 } }, { _id: 1, n: 5, m: 1 }],
    ["$mul", { n: 3 }, { $mul: { n: 2 } }, { _id: 1, n: 6 }],
    ["$min", { lo: 5 }, { $min: { lo: 3 } }, { _id: 1, lo: 3 }],
    ["$max", { hi: 5 }, { $max: { hi: 9 } }, { _id: 1, hi: 9 }],
    ["$rename", { old: 1 }, { $rename: { old: "new" } }, { _id: 1, new: 1 }],
    ["$push with $each/$slice", { l: [1] }, { $push: { l: { $each: [2, 3, 4], $slice: -2 } } }, { _id: 1, l: [3, 4] }],
    ["$pull", { l: [1, 2, 3, 2] }, { $pull: { l: 2 } }, { _id: 1, l: [1, 3] }],
    ["$addToSet", { l: [1] }, { $addToSet: { l: { $each: [1, 2] } } }, { _id: 1, l: [1, 2] }],
    ["$pop", { l: [1, 2, 3] }, { $pop: { l: -1 } }, { _id: 1, l: [2, 3] }],
  ])("%s", async (_op, doc, update, expected) => {
    expect(await apply(doc, update)).toEqual(expected);
  });

  it("$currentDate sets a date", async () => {
    const doc = await apply({}, { $currentDate: { at: true } });
    expect(Date.parse(doc.at.$date)).toBeGreaterThan(Date.now() - 60_000);
  });

  it("arrayFilters choose the elements to change", async () => {
    const doc = await apply(
      { grades: [85, 95, 100] },
      { $set: { "grades.$[g]": 90 } },
      { arrayFilters: [{ g: { $gte: 95 } }] },
    );
    expect(doc.grades).toEqual([85, 90, 90]);
  });

  it("upsert builds the document from the filter's equality fields and $setOnInsert", async () => {
    const c = uniqueName("ups");
    const res = await call("PATCH", `/api/db/${c}`, {
      body: { filter: { sku: "x1" }, update: { $inc: { qty: 2 }, $setOnInsert: { created: true } }, upsert: true },
    });
    expect(res.json.upsertedId).toBeDefined();
    const docs = (await call("GET", `/api/db/${c}`)).json.documents;
    expect(docs).toHaveLength(1);
    expect(docs[0]).toMatchObject({ sku: "x1", qty: 2, created: true });
    await call("PATCH", `/api/db/${c}`, {
      body: { filter: { sku: "x1" }, update: { $inc: { qty: 2 }, $setOnInsert: { created: false } }, upsert: true },
    });
    expect((await call("GET", `/api/db/${c}`)).json.documents[0]).toMatchObject({ qty: 4, created: true });
  });

  it("an update that would change _id is refused", async () => {
    const c = uniqueName();
    await call("POST", `/api/db/${c}`, { body: { _id: 1 } });
    const res = await call("PATCH", `/api/db/${c}/1`, { body: { $set: { _id: 2 } } });
    expect(res.status).toBe(400);
    expect(res.json.error.code).toBe("IMMUTABLE_FIELD");
  });
});
