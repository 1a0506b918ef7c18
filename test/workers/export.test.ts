import { describe, expect, it } from "vitest";
import { EJSON } from "bson";
import { call, createKey, uniqueName } from "../helpers/api";
import { csvCell, collectColumns, MAX_CSV_COLUMNS } from "../../worker/lib/export-format";

/** Documents with every type a round trip must keep: dates, ObjectIds, decimals, longs, nested objects and arrays. */
const rich = (i: number) => ({
  _id: { $oid: `65f0000000000000000000${String(i).padStart(2, "0")}` },
  n: i,
  price: { $numberDecimal: `${i}.10` },
  big: { $numberLong: "9007199254740993" },
  at: { $date: `2026-01-0${(i % 9) + 1}T10:00:00.000Z` },
  tags: ["a", { deep: [i] }],
  address: { city: i % 2 ? "Oslo" : "Lima", geo: { lat: i } },
  note: i === 1 ? '=HYPERLINK("x")' : `plain, "quoted"\nline`,
});

async function seed(collection: string, count: number) {
  const docs = Array.from({ length: count }, (_, i) => rich(i));
  const res = await call("POST", `/api/db/${collection}`, {
    rawBody: EJSON.stringify(docs, { relaxed: false }),
    headers: { "content-type": "application/ejson" },
  });
  expect(res.status, res.text).toBe(201);
}

async function raw(path: string, token?: string) {
  const res = await call("GET", path, token ? { token } : {});
  return res;
}

describe("export", () => {
  it("streams NDJSON, JSON and EJSON with Content-Disposition; each re-imports to the same documents", async () => {
    const c = uniqueName();
    await seed(c, 25);
    const original = (await call("GET", `/api/db/${c}?sort=n&limit=100`, { headers: { accept: "application/ejson" } }))
      .json.documents;
    for (const format of ["ndjson", "json", "ejson"]) {
      const res = await raw(`/api/db/${c}/export?format=${format}&sort=n`);
      expect(res.status, res.text).toBe(200);
      expect(res.headers.get("content-disposition")).toMatch(new RegExp(`attachment; filename="${c}\\.`));
      const docs =
        format === "ndjson"
          ? res.text
              .trim()
              .split("\n")
              .map((l) => JSON.parse(l))
          : JSON.parse(res.text);
      expect(docs).toHaveLength(25);
      const copy = `${c}_${format}`;
      const back = await call("POST", `/api/db/${copy}`, {
        rawBody: format === "ejson" ? res.text : JSON.stringify(docs),
        headers: { "content-type": format === "ejson" ? "application/ejson" : "application/json" },
      });
      expect(back.status, back.text).toBe(201);
      const again = (
        await call("GET", `/api/db/${copy}?sort=n&limit=100`, { headers: { accept: "application/ejson" } })
      ).json.documents;
      expect(again, format).toEqual(original);
    }
  });

  it("pages through more than one page in order, with the listing's filter, sort and fields", async () => {
    const c = uniqueName();
    const docs = Array.from({ length: 2500 }, (_, i) => ({ _id: i, n: i, even: i % 2 === 0, secret: "s" }));
    for (let i = 0; i < docs.length; i += 1000) await call("POST", `/api/db/${c}`, { body: docs.slice(i, i + 1000) });
    const res = await raw(`/api/db/${c}/export?format=ndjson&even=true&sort=-n&fields=n`);
    const lines = res.text
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(lines).toHaveLength(1250);
    expect(lines[0]).toEqual({ _id: 2498, n: 2498 });
    expect(lines.at(-1)).toEqual({ _id: 0, n: 0 });
    expect(new Set(lines.map((l) => l._id)).size).toBe(1250);
    expect(JSON.parse((await raw(`/api/db/${uniqueName()}/export?format=json`)).text)).toEqual([]);
  });

  it("CSV flattens nested fields to dotted columns, writes types plainly and neutralises formulas", async () => {
    const c = uniqueName();
    await seed(c, 3);
    const res = await raw(`/api/db/${c}/export?format=csv&sort=n`);
    expect(res.headers.get("content-type")).toBe("text/csv; charset=utf-8");
    const [header, ...rows] = res.text.split("\r\n");
    expect(header).toBe("_id,n,price,big,at,tags,address.city,address.geo.lat,note");
    expect(rows[0]).toBe(
      `65f000000000000000000000,0,0.10,9007199254740993,2026-01-01T10:00:00.000Z,"[""a"",{""deep"":[0]}]",Lima,0,"plain, ""quoted""\nline"`,
    );
    expect(rows[1]).toContain(`"'=HYPERLINK(""x"")"`);
    expect(csvCell("@SUM(A1)")).toBe("'@SUM(A1)");
    expect(csvCell(-3)).toBe("-3");
    const wide = new Set<string>();
    expect(() =>
      collectColumns(Object.fromEntries(Array.from({ length: MAX_CSV_COLUMNS + 1 }, (_, i) => [`f${i}`, i])), wide),
    ).toThrow(/at most/);
  });

  it("refuses before streaming: a bad format, a bad filter, and what the credential may not read", async () => {
    const c = uniqueName();
    await seed(c, 1);
    expect((await raw(`/api/db/${c}/export?format=xls`)).json.error.code).toBe("INVALID_PARAMETER");
    expect((await raw(`/api/db/${c}/export?filter=${encodeURIComponent('{"$where":"1"}')}`)).status).toBe(400);
    const tenant = `ex-${uniqueName("t").replace(/_/g, "-").toLowerCase()}`.slice(0, 40);
    await call("POST", "/api/db/secrets", { tenant, body: { card: "4111" } });
    const limited = await createKey("read", tenant, ["orders"]);
    const refused = await raw("/api/db/secrets/export?format=csv", limited);
    expect(refused.status).toBe(403);
    expect(refused.text).not.toContain("4111");
  });
});
