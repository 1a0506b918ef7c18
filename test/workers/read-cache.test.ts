import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { databaseStub } from "../../worker/store/embedded";
import { call, uniqueName } from "../helpers/api";
import { ReadCache, cacheableRead } from "../../worker/lib/read-cache";

describe("ReadCache", () => {
  it("answers until its collection is invalidated, and only that collection", () => {
    const cache = new ReadCache<string>(1000);
    cache.set("a", "k1", "one", 10);
    cache.set("b", "k2", "two", 10);
    expect(cache.get("a", "k1")).toBe("one");
    cache.invalidate("a");
    expect(cache.get("a", "k1")).toBeUndefined();
    expect(cache.get("b", "k2")).toBe("two");
    cache.set("a", "k1", "one again", 10);
    expect(cache.get("a", "k1")).toBe("one again");
  });

  it("stays within its byte budget, evicting the least recently used first, and skips oversized answers", () => {
    const cache = new ReadCache<string>(100, 40);
    cache.set("c", "x", "x", 30);
    cache.set("c", "y", "y", 30);
    cache.set("c", "z", "z", 30);
    expect(cache.get("c", "x")).toBe("x");
    cache.set("c", "w", "w", 30);
    expect(cache.get("c", "y")).toBeUndefined();
    expect(cache.get("c", "x")).toBe("x");
    expect(cache.size.bytes).toBeLessThanOrEqual(100);
    cache.set("c", "big", "big", 41);
    expect(cache.get("c", "big")).toBeUndefined();
  });

  it("is off with a zero budget", () => {
    const cache = new ReadCache<string>(0);
    expect(cache.enabled).toBe(false);
    cache.set("c", "k", "v", 1);
    expect(cache.get("c", "k")).toBeUndefined();
  });

  it("never keeps reads whose answer can change without a write", () => {
    expect(cacheableRead('{"filter":{"category":"c1"},"limit":20}')).toBe(true);
    expect(cacheableRead('{"filter":{"$expr":{"$lt":["$at","$$NOW"]}}}')).toBe(false);
    expect(cacheableRead('{"filter":{"$sampleRate":0.5}}')).toBe(false);
    expect(cacheableRead('{"filter":{"$expr":{"$lt":[{"$rand":{}},0.5]}}}')).toBe(false);
  });
});

/**
 * Every write path must be seen by the very next read of the same query, whichever route made it. Each repeated read
 * is first shown to come from the cache (its hit count moves), so these tests fail if a write stops invalidating it,
 * rather than passing because nothing was cached.
 */
describe("cached reads stay coherent with writes", () => {
  const list = async (c: string, query = "category=a&limit=10") =>
    (await call("GET", `/api/db/${c}?${query}`)).json.documents;
  const hits = () => databaseStub(env.DATABASE, "default", "main").readCacheHits();
  /** Runs `read` twice; the second must be answered by the cache. */
  async function cachedTwice<T>(read: () => Promise<T>): Promise<T> {
    const first = await read();
    const before = await hits();
    const second = await read();
    expect(await hits()).toBeGreaterThan(before);
    expect(second).toEqual(first);
    return second;
  }

  it("a list reflects inserts, updates, replaces and deletes made between two identical reads", async () => {
    const c = uniqueName();
    await call("POST", `/api/db/${c}`, {
      body: [
        { _id: 1, category: "a", v: 1 },
        { _id: 2, category: "b", v: 2 },
      ],
    });
    await call("POST", `/api/management/collections/${c}/indexes`, { body: { keys: { category: 1 } } });
    expect(await cachedTwice(() => list(c))).toEqual([{ _id: 1, category: "a", v: 1 }]);

    await call("POST", `/api/db/${c}`, { body: { _id: 3, category: "a", v: 3 } });
    expect((await cachedTwice(() => list(c))).map((d: { _id: number }) => d._id)).toEqual([1, 3]);

    await call("PATCH", `/api/db/${c}/1`, { body: { v: 10 } });
    expect((await cachedTwice(() => list(c)))[0]).toEqual({ _id: 1, category: "a", v: 10 });

    await call("PATCH", `/api/db/${c}`, { body: { filter: { _id: 2 }, update: { $set: { category: "a" } } } });
    expect((await cachedTwice(() => list(c))).map((d: { _id: number }) => d._id)).toEqual([1, 2, 3]);

    await call("PUT", `/api/db/${c}/3`, { body: { category: "z" } });
    expect((await cachedTwice(() => list(c))).map((d: { _id: number }) => d._id)).toEqual([1, 2]);

    await call("DELETE", `/api/db/${c}/1`);
    expect((await cachedTwice(() => list(c))).map((d: { _id: number }) => d._id)).toEqual([2]);

    await call("DELETE", `/api/db/${c}?filter=${encodeURIComponent('{"category":"a"}')}`);
    expect(await list(c)).toEqual([]);
  });

  it("GET by id reflects every write to the document, including a miss turning into a hit", async () => {
    const c = uniqueName();
    expect((await call("GET", `/api/db/${c}/7`)).status).toBe(404);
    await call("POST", `/api/db/${c}`, { body: { _id: 7, n: 1 } });
    const first = await call("GET", `/api/db/${c}/7`);
    expect(first.json).toEqual({ _id: 7, n: 1 });
    expect(await cachedTwice(async () => (await call("GET", `/api/db/${c}/7`)).headers.get("etag"))).toBe(
      first.headers.get("etag"),
    );

    await call("PATCH", `/api/db/${c}/7`, { body: { $inc: { n: 1 } } });
    const second = await call("GET", `/api/db/${c}/7`);
    expect(second.json).toEqual({ _id: 7, n: 2 });
    expect(second.headers.get("etag")).not.toBe(first.headers.get("etag"));

    await call("DELETE", `/api/db/${c}/7`);
    expect((await call("GET", `/api/db/${c}/7`)).status).toBe(404);
  });

  it("a failed write (duplicate key) leaves reads correct, and dropping a collection empties its reads", async () => {
    const c = uniqueName();
    await call("POST", `/api/db/${c}`, { body: [{ _id: 1, category: "a" }] });
    expect(await cachedTwice(() => list(c))).toHaveLength(1);
    const dup = await call("POST", `/api/db/${c}`, {
      body: [
        { _id: 2, category: "a" },
        { _id: 1, category: "a" },
      ],
    });
    expect(dup.status).toBe(409);
    expect(await list(c)).toEqual([{ _id: 1, category: "a" }]);

    expect((await call("DELETE", `/api/management/collections/${c}`)).status).toBe(200);
    expect(await list(c)).toEqual([]);
    expect((await call("GET", `/api/db/${c}/1`)).status).toBe(404);
  });

  it("the Data API and REST share one coherent view", async () => {
    const c = uniqueName();
    const action = (name: string, body: object) =>
      call("POST", `/action/${name}`, { body: { dataSource: "docflare", database: "main", collection: c, ...body } });
    await call("POST", `/api/db/${c}`, { body: { _id: "k", v: 1 } });
    expect(await cachedTwice(async () => (await action("findOne", { filter: { _id: "k" } })).json.document)).toEqual({
      _id: "k",
      v: 1,
    });
    await action("updateOne", { filter: { _id: "k" }, update: { $set: { v: 2 } } });
    expect((await action("findOne", { filter: { _id: "k" } })).json.document).toEqual({ _id: "k", v: 2 });
    expect((await call("GET", `/api/db/${c}/k`)).json).toEqual({ _id: "k", v: 2 });
  });
});
