import { env } from "cloudflare:workers";
import { describe, expect, inject, it } from "vitest";
import { call, uniqueName } from "../helpers/api";
import { RemoteStore } from "../../worker/store/remote";
import { DataApiClient } from "../../worker/store/data-api-client";
import { databaseStub } from "../../worker/store/embedded";
import { extractText, ftsQuery, parseSearch } from "../../worker/lib/text-search";

const ARTICLES = [
  { _id: 1, title: "Cold brew coffee at home", body: "Steep ground beans overnight.", tags: ["drinks"], year: 2024 },
  { _id: 2, title: "Tea ceremonies", body: "A guide that mentions coffee once.", tags: ["drinks"], year: 2023 },
  {
    _id: 3,
    title: "Iced coffee recipes",
    body: "Iced coffee, brewed strong, poured over ice.",
    tags: ["recipes"],
    year: 2024,
  },
  { _id: 4, title: "Decaf coffee explained", body: "How decaf is made.", tags: ["science"], year: 2022 },
  { _id: 5, title: "Gardening", body: "Nothing about drinks here. Café culture aside.", tags: [], year: 2021 },
];

async function seeded() {
  const c = uniqueName();
  const index = await call("POST", `/api/management/collections/${c}/indexes`, {
    body: { keys: { title: "text", body: "text" }, weights: { title: 5 }, name: "search" },
  });
  expect(index.status, index.text).toBe(201);
  expect((await call("POST", `/api/db/${c}`, { body: ARTICLES })).status).toBe(201);
  return c;
}

const find = async (c: string, filter: unknown, extra = "") =>
  call("GET", `/api/db/${c}?filter=${encodeURIComponent(JSON.stringify(filter))}${extra}`);
const ids = (res: { json: { documents: { _id: number }[] } }) => res.json.documents.map((d) => d._id);

describe("text search", () => {
  it("parses $search as MongoDB does: terms OR'd, phrases required, -terms excluded", () => {
    expect(parseSearch('cold "iced coffee" -decaf brew')).toEqual({
      terms: ["cold", "brew"],
      phrases: ["iced coffee"],
      negated: ["decaf"],
    });
    expect(ftsQuery(parseSearch("coffee -decaf"))).toBe('("coffee") NOT "decaf"');
    expect(ftsQuery(parseSearch('"a b" "c"'))).toBe('("a b" AND "c")');
    expect(ftsQuery(parseSearch("-only"))).toBeNull();
    expect(ftsQuery(parseSearch('x" OR NEAR(y'))).toBe('("x" OR "OR" OR "NEAR" OR "y")');
    expect(extractText({ $and: [{ $text: { $search: "x" } }, { a: 1 }] })).toMatchObject({
      text: { search: "x" },
      rest: { $and: [{ a: 1 }] },
    });
  });

  it("finds by words with stemming, scores title matches above body matches, and projects and sorts by textScore", async () => {
    const c = await seeded();
    const hits = await find(
      c,
      { $text: { $search: "coffee" } },
      `&sort=${encodeURIComponent('{"score":{"$meta":"textScore"}}')}&fields=${encodeURIComponent('{"score":{"$meta":"textScore"},"title":1}')}`,
    );
    expect(hits.status, hits.text).toBe(200);
    expect(ids(hits)).toHaveLength(4);
    // Title hits (weight 5) rank above the article that mentions coffee only in its body.
    expect(ids(hits).at(-1)).toBe(2);
    const scores = hits.json.documents.map((d: { score: number }) => d.score);
    expect(scores.every((s: number) => s > 0)).toBe(true);
    expect([...scores].sort((a, b) => b - a)).toEqual(scores);
    expect(hits.json.documents[0]).toEqual({
      _id: expect.any(Number),
      title: expect.any(String),
      score: expect.any(Number),
    });
    // "brewing" and "brewed" share the stem "brew" (english index).
    expect(ids(await find(c, { $text: { $search: "brewing" } }, "&sort=_id"))).toEqual([1, 3]);
    expect(ids(await find(c, { $text: { $search: '"iced coffee"' } }))).toEqual([3]);
    expect(ids(await find(c, { $text: { $search: "coffee -decaf" } }, "&sort=_id"))).toEqual([1, 2, 3]);
    expect(ids(await find(c, { $text: { $search: "coffee" }, year: 2024, tags: "recipes" }))).toEqual([3]);
    // Diacritics fold unless asked: "cafe" finds "Café"; with $diacriticSensitive it does not.
    expect(ids(await find(c, { $text: { $search: "cafe" } }))).toEqual([5]);
    expect(ids(await find(c, { $text: { $search: "cafe", $diacriticSensitive: true } }))).toEqual([]);
    expect(ids(await find(c, { $text: { $search: "Iced", $caseSensitive: true } }))).toEqual([3]);
    expect(ids(await find(c, { $text: { $search: "iced", $caseSensitive: true } }))).toEqual([]);
    expect(ids(await find(c, { $text: { $search: "iced" } }))).toEqual([3]);
    const explained = await find(c, { $text: { $search: "decaf" } }, "&explain=true");
    expect(explained.json.explain).toMatchObject({ strategy: "text", docsExamined: 1, nReturned: 1 });
  });

  it("stays in step with every write, in the write's transaction", async () => {
    const c = await seeded();
    await call("PATCH", `/api/db/${c}/5`, { body: { $set: { title: "Coffee gardening" } } });
    expect(ids(await find(c, { $text: { $search: "gardening" } }))).toEqual([5]);
    await call("PATCH", `/api/db/${c}/4`, { body: { $set: { title: "Decaf explained", body: "Water process." } } });
    expect(ids(await find(c, { $text: { $search: "coffee" } }, "&sort=_id"))).toEqual([1, 2, 3, 5]);
    await call("DELETE", `/api/db/${c}/1`);
    expect(ids(await find(c, { $text: { $search: "overnight" } }))).toEqual([]);
    // A refused insert (a duplicate _id second in the batch) rolls back the first document's index entry too.
    expect(
      (
        await call("POST", `/api/db/${c}`, {
          body: [
            { _id: 10, title: "zebra espresso" },
            { _id: 2, title: "dup" },
          ],
        })
      ).status,
    ).toBe(409);
    expect(ids(await find(c, { $text: { $search: "zebra" } }))).toEqual([]);
    await call("DELETE", `/api/management/collections/${c}/indexes/search`);
    expect((await find(c, { $text: { $search: "coffee" } })).json.error.code).toBe("TEXT_INDEX_REQUIRED");
  });

  it("aggregates with $text first, $meta textScore in $sort and $project", async () => {
    const c = await seeded();
    const res = await call("POST", `/api/db/${c}/aggregate`, {
      body: [
        { $match: { $text: { $search: "coffee" } } },
        { $sort: { score: { $meta: "textScore" } } },
        { $project: { title: 1, score: { $meta: "textScore" } } },
        { $limit: 2 },
      ],
    });
    expect(res.status, res.text).toBe(200);
    expect(res.json.documents).toHaveLength(2);
    expect(res.json.documents[0].score).toBeGreaterThanOrEqual(res.json.documents[1].score);
    expect(Object.keys(res.json.documents[0]).sort()).toEqual(["_id", "score", "title"]);
  });

  it("refuses what it cannot answer with clear codes", async () => {
    const c = await seeded();
    expect((await find(c, { $or: [{ $text: { $search: "x" } }, { a: 1 }] })).json.error.code).toBe(
      "TEXT_NOT_TOP_LEVEL",
    );
    expect((await find(c, { $text: { $search: "x", $language: "french" } })).json.error.code).toBe(
      "TEXT_LANGUAGE_UNSUPPORTED",
    );
    expect((await find(c, { $text: { $search: 5 } })).json.error.code).toBe("INVALID_TEXT_QUERY");
    expect((await find(c, { $text: { $search: "x".repeat(2000) } })).json.error.code).toBe("INVALID_TEXT_QUERY");
    const second = await call("POST", `/api/management/collections/${c}/indexes`, { body: { keys: { tags: "text" } } });
    expect(second.json.error.code).toBe("INDEX_CONFLICT");
    const lang = await call("POST", `/api/management/collections/${c}_x/indexes`, {
      body: { keys: { a: "text" }, default_language: "klingon" },
    });
    expect(lang.json.error.code).toBe("TEXT_LANGUAGE_UNSUPPORTED");
    const listed = await call("GET", `/api/management/collections/${c}/indexes`);
    expect(listed.json.indexes).toContainEqual({
      name: "search",
      keys: { title: "text", body: "text" },
      unique: false,
      weights: { title: 5, body: 1 },
      default_language: "english",
    });
  });

  it("passes $text through to a Data API upstream", async () => {
    const store = new RemoteStore(
      new DataApiClient({
        baseUrl: `${inject("upstreamUrl")}/app/docflare-test/endpoint/data/v1`,
        auth: { kind: "apiKey", key: inject("upstreamToken") },
        dataSource: "local",
        format: "ejson",
        timeoutMs: 5_000,
        maxAttempts: 2,
        retryBaseMs: 10,
        failureThreshold: 50,
        cooldownMs: 1_000,
      }),
      "backend_db",
      databaseStub(env.DATABASE, "backend", "db"),
    );
    const c = uniqueName();
    await store.createIndex(c, { "$**": "text" }, {});
    await store.insertMany(c, ARTICLES);
    const found = await store.find(c, {
      filter: { $text: { $search: "iced" } },
      projection: { score: { $meta: "textScore" } },
    });
    expect(found.documents.map((d) => d._id)).toEqual([3]);
    expect(found.documents[0].score).toBeGreaterThan(0);
  });
});
