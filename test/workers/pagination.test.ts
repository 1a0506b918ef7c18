import { describe, expect, it } from "vitest";
import { call, uniqueName } from "../helpers/api";

async function seed(c: string, n: number) {
  const docs = Array.from({ length: n }, (_, i) => ({
    _id: i,
    rank: (i * 7) % 13,
    group: i % 3 === 0 ? "a" : "b",
    label: `d${i}`,
  }));
  expect((await call("POST", `/api/db/${c}`, { body: docs })).status).toBe(201);
}

async function walk(first: string): Promise<{ ids: number[]; pages: number }> {
  const ids: number[] = [];
  let url: string | null = first;
  let pages = 0;
  while (url) {
    const res = await call("GET", url);
    expect(res.status, res.text).toBe(200);
    ids.push(...res.json.documents.map((d: { _id: number }) => d._id));
    pages++;
    const link = res.headers.get("link");
    url = res.json.nextCursor ? link!.match(/<([^>]+)>/)![1] : null;
    if (pages > 100) throw new Error("pagination does not end");
  }
  return { ids, pages };
}

describe("pagination", () => {
  it("walks natural order with cursors: no duplicates, no gaps", async () => {
    const c = uniqueName();
    await seed(c, 95);
    const { ids, pages } = await walk(`/api/db/${c}?limit=10`);
    expect(pages).toBe(10);
    expect(ids).toEqual(Array.from({ length: 95 }, (_, i) => i));
  });

  it("walks a sorted, filtered listing with ties broken by _id", async () => {
    const c = uniqueName();
    await seed(c, 60);
    const { ids } = await walk(`/api/db/${c}?group=b&sort=-rank&limit=7`);
    const expected = Array.from({ length: 60 }, (_, i) => i)
      .filter((i) => i % 3 !== 0)
      .sort((a, b) => ((b * 7) % 13) - ((a * 7) % 13) || a - b);
    expect(ids).toEqual(expected);
  });

  it("keeps cursors stable while documents are inserted behind and ahead of the page", async () => {
    const c = uniqueName();
    await seed(c, 20);
    const first = await call("GET", `/api/db/${c}?limit=10`);
    await call("POST", `/api/db/${c}`, { body: { _id: 1000 } });
    const second = await call("GET", `/api/db/${c}?limit=10&cursor=${first.json.nextCursor}`);
    expect(second.json.documents.map((d: { _id: number }) => d._id)).toEqual([10, 11, 12, 13, 14, 15, 16, 17, 18, 19]);
  });

  it("reports a total on request and refuses a cursor used with a different query", async () => {
    const c = uniqueName();
    await seed(c, 30);
    const res = await call("GET", `/api/db/${c}?group=a&limit=3&count=true`);
    expect(res.json.total).toBe(10);
    const reused = await call("GET", `/api/db/${c}?group=b&limit=3&cursor=${res.json.nextCursor}`);
    expect(reused.status).toBe(400);
    expect(reused.json.error.code).toBe("CURSOR_MISMATCH");
    expect((await call("GET", `/api/db/${c}?cursor=garbage`)).json.error.code).toBe("INVALID_CURSOR");
  });

  it("skip and limit page like MongoDB", async () => {
    const c = uniqueName();
    await seed(c, 10);
    const res = await call("GET", `/api/db/${c}?sort=_id&skip=4&limit=3`);
    expect(res.json.documents.map((d: { _id: number }) => d._id)).toEqual([4, 5, 6]);
  });
});

describe("explain and indexes", () => {
  it("serves an equality or range on an indexed field from the index without scanning", async () => {
    const c = uniqueName();
    const docs = Array.from({ length: 500 }, (_, i) => ({
      _id: i,
      sku: `s${i}`,
      price: i,
      kind: i % 10 === 0 ? "rare" : "common",
    }));
    await call("POST", `/api/db/${c}`, { body: docs });
    const scan = await call("GET", `/api/db/${c}?kind=rare&explain=true`);
    expect(scan.json.explain).toMatchObject({ strategy: "scan", docsExamined: 201, nReturned: 20 });
    await call("POST", `/api/management/collections/${c}/indexes`, { body: { keys: { kind: 1 } } });
    await call("POST", `/api/management/collections/${c}/indexes`, { body: { keys: { price: -1 }, name: "by_price" } });
    const eq = await call("GET", `/api/db/${c}?kind=rare&limit=50&explain=true`);
    expect(eq.json.explain).toMatchObject({ strategy: "index", index: "kind_1", docsExamined: 50, nReturned: 50 });
    const range = await call("POST", `/api/db/${c}/query`, {
      body: { filter: { price: { $gte: 100, $lt: 110 } }, explain: true },
    });
    expect(range.json.explain).toMatchObject({ strategy: "index", index: "by_price", docsExamined: 10, nReturned: 10 });
    const byId = await call("POST", `/api/db/${c}/query`, {
      body: { filter: { _id: { $in: [3, 4, 999] } }, explain: true },
    });
    expect(byId.json.explain).toMatchObject({ strategy: "id", docsExamined: 2, nReturned: 2 });
  });

  it("falls back to a correct scan once an indexed field holds an array", async () => {
    const c = uniqueName();
    await call("POST", `/api/management/collections/${c}/indexes`, { body: { keys: { tag: 1 } } });
    await call("POST", `/api/db/${c}`, {
      body: [
        { _id: 1, tag: "x" },
        { _id: 2, tag: "y" },
      ],
    });
    expect((await call("GET", `/api/db/${c}?tag=x&explain=true`)).json.explain.strategy).toBe("index");
    await call("POST", `/api/db/${c}`, { body: { _id: 3, tag: ["x", "z"] } });
    const res = await call("GET", `/api/db/${c}?tag=x&explain=true&sort=_id`);
    expect(res.json.explain.strategy).toBe("scan");
    expect(res.json.documents.map((d: { _id: number }) => d._id)).toEqual([1, 3]);
  });

  it("answers exact index lookups without type confusion (numbers, booleans, JSON-looking strings)", async () => {
    const c = uniqueName();
    await call("POST", `/api/management/collections/${c}/indexes`, { body: { keys: { v: 1 } } });
    const docs = [
      { _id: 1, v: 1 },
      { _id: 2, v: true },
      { _id: 3, v: "1" },
      { _id: 4, v: 1.0 },
      { _id: 5, v: '{"a":1}' },
      { _id: 6, v: { a: 1 } },
      { _id: 7, v: "c1" },
      { _id: 8, v: null },
      { _id: 9 },
    ];
    await call("POST", `/api/db/${c}`, { body: docs });
    const ids = async (filter: unknown) => {
      const res = await call("POST", `/api/db/${c}/query`, { body: { filter, explain: true } });
      expect(res.json.explain.strategy).toBe("index");
      return res.json.documents.map((d: { _id: number }) => d._id);
    };
    expect(await ids({ v: 1 })).toEqual([1, 4]);
    expect(await ids({ v: "1" })).toEqual([3]);
    expect(await ids({ v: '{"a":1}' })).toEqual([5]);
    expect(await ids({ v: { $in: ["c1", 1] } })).toEqual([1, 4, 7]);
    expect(await ids({ v: { $eq: "c1" } })).toEqual([7]);
    const page = await call("GET", `/api/db/${c}?v=c1&fields=v`);
    expect(page.json.documents).toEqual([{ _id: 7, v: "c1" }]);
  });
});
