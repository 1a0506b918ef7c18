import { describe, expect, it } from "vitest";
import {
  asCurl,
  asDataApi,
  asSdk,
  checkQuery,
  fromSearch,
  toListParams,
  toSearch,
} from "../../dashboard/src/lib/query-state";
import {
  displayValue,
  ejsonKind,
  formatBytes,
  formatDuration,
  formatPercent,
  getPath,
  idToPath,
} from "../../dashboard/src/lib/format";
import { explainInWords } from "../../dashboard/src/lib/explain";
import { parseMetrics } from "../../dashboard/src/lib/metrics";
import { percentile, successTrend } from "../../dashboard/src/lib/trend";
import { excludePaths } from "../../dashboard/src/lib/exclude-fields";

describe("query state in the URL", () => {
  it("round-trips through the router's search object, dropping empty fields and the default page size", () => {
    const q = { filter: '{"age":{"$gte":30}}', sort: '{"age":-1}', projection: "", limit: 50, cursor: "abc" };
    expect(toSearch(q)).toEqual({ filter: q.filter, sort: q.sort, cursor: "abc" });
    expect(fromSearch(toSearch(q))).toEqual({ ...q, projection: undefined, limit: undefined });
    // The router parses JSON-looking search values into objects; they come back as text.
    expect(fromSearch({ filter: { a: 1 }, limit: "20" })).toMatchObject({ filter: '{"a":1}', limit: 20 });
    expect(fromSearch({ limit: "100000" }).limit).toBeUndefined();
  });

  it("names the field that is not valid JSON or not an object", () => {
    expect(checkQuery({ filter: "{age: 1}", sort: "[1]" }).map((e) => e.field)).toEqual(["filter", "sort"]);
    expect(checkQuery({ filter: "  ", projection: '{"a":1}' })).toEqual([]);
  });

  it("builds the list API's parameters, and the same query as curl, a Data API call and TypeScript", () => {
    const q = { filter: '{ "status": "open" }', sort: '{"total": -1}', limit: 20 };
    expect(toListParams(q, { count: "true" })).toEqual({
      filter: '{"status":"open"}',
      sort: '{"total":-1}',
      limit: "20",
      count: "true",
    });
    expect(toListParams({ filter: "{}" })).toEqual({ limit: "50" });
    const curl = asCurl("http://127.0.0.1:8787", "orders", q, "acme");
    expect(curl).toContain("'http://127.0.0.1:8787/api/db/orders?filter=%7B%22status%22%3A%22open%22%7D&sort=");
    expect(curl).toContain("-H 'X-Docflare-Tenant: acme'");
    const body = JSON.parse(/-d '(.*)'$/.exec(asDataApi("http://x", "orders", q))![1]);
    expect(body).toEqual({
      dataSource: "docflare",
      database: "main",
      collection: "orders",
      filter: { status: "open" },
      sort: { total: -1 },
      limit: 20,
    });
    expect(asSdk("http://x", "orders", q)).toContain('api.GET("/api/db/{collection}"');
    expect(asCurl("http://x", "it's", {})).toContain(`'http://x/api/db/it'\\''s?limit=50'`);
  });
});

describe("formatting", () => {
  it("shows relaxed EJSON wrappers as their types and values", () => {
    expect(ejsonKind({ $oid: "6650c0ffee0123456789abcd" })).toBe("ObjectId");
    expect(displayValue({ $oid: "6650c0ffee0123456789abcd" })).toBe("6650c0ffee0123456789abcd");
    expect(displayValue({ $date: "2026-01-01T00:00:00Z" })).toBe("2026-01-01T00:00:00Z");
    expect(displayValue({ $date: { $numberLong: "0" } })).toBe("1970-01-01T00:00:00.000Z");
    expect(displayValue({ $numberDecimal: "1.10" })).toBe("1.10");
    expect(displayValue({ $numberLong: "9007199254740993" })).toBe("9007199254740993");
    expect(displayValue({ $regularExpression: { pattern: "^a", options: "i" } })).toBe("/^a/i");
    expect(displayValue([1, 2])).toBe("[2 items]");
    expect(displayValue({ a: 1, b: 2 })).toBe("{2 fields}");
    expect(displayValue(null)).toBe("null");
    expect(getPath({ a: { b: { c: 3 } } }, "a.b.c")).toBe(3);
    expect(getPath({ a: [{ b: 1 }] }, "a.b")).toBeUndefined();
  });

  it("formats sizes, rates, durations and ids for paths", () => {
    expect([formatBytes(0), formatBytes(1536), formatBytes(50 * 1024 * 1024), formatBytes(undefined)]).toEqual([
      "0 B",
      "1.5 KB",
      "50 MB",
      "—",
    ]);
    expect([formatPercent(1), formatPercent(0.9876), formatPercent(null)]).toEqual(["100%", "98.8%", "—"]);
    expect([formatDuration(12.4), formatDuration(2500), formatDuration(125_000)]).toEqual([
      "12 ms",
      "2.5 s",
      "2 min 5 s",
    ]);
    expect([idToPath({ $oid: "6650c0ffee0123456789abcd" }), idToPath("a/b"), idToPath(42), idToPath({ k: 1 })]).toEqual(
      ["6650c0ffee0123456789abcd", "a%2Fb", "42", "%7B%22k%22%3A1%7D"],
    );
  });

  it("explains a plan in words", () => {
    expect(explainInWords({ strategy: "index", index: "age_1", docsExamined: 2, nReturned: 2 }, 2)).toBe(
      "Used index age_1, examined 2 documents, returned 2.",
    );
    expect(explainInWords({ strategy: "scan", docsExamined: 1, nReturned: 0 }, 0)).toBe(
      "Scanned the collection (no index fits this filter), examined 1 document, returned 0.",
    );
  });

  it("reads request and error totals out of Prometheus text", () => {
    const text =
      '# HELP x\ndocflare_http_requests_total{method="GET",status="200"} 10\ndocflare_http_requests_total{method="POST",status="201"} 3\ndocflare_http_errors_total{code="X"} 2\ndocflare_locks_held 1\n';
    expect(parseMetrics(text)).toEqual({ requests: 13, errors: 2, locksHeld: 1 });
  });

  it("summarises deliveries for sparklines and latency charts", () => {
    const d = (status: string, i: number) => ({ status, createdAt: `2026-01-01T00:00:${String(i).padStart(2, "0")}Z` });
    expect(successTrend([d("delivered", 1), d("failed", 2), d("delivered", 3), d("pending", 4)], 2)).toEqual([0.5, 1]);
    expect([percentile([5, 1, 3], 50), percentile([1, 2, 3, 4], 95), percentile([], 50)]).toEqual([3, 4, null]);
  });

  it("previews a payload after excludeFields without touching the document", () => {
    const doc = { a: 1, card: { number: "4111", exp: "12/30" }, password: "x" };
    expect(excludePaths(doc, ["password", "card.number", "missing.path"])).toEqual({ a: 1, card: { exp: "12/30" } });
    expect(doc.password).toBe("x");
  });
});
