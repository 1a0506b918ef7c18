import { env } from "cloudflare:workers";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { call, uniqueName } from "../helpers/api";
import { eventually } from "../helpers/webhooks";
import { databaseStub } from "../../worker/store/embedded";

const N = 3_000;
let big: string;

beforeAll(async () => {
  big = uniqueName("big");
  const docs = Array.from({ length: N }, (_, i) => ({
    _id: i,
    s: `${"a".repeat(28)}${i % 7 === 0 ? "!" : ""}`,
    k: i % 100,
  }));
  for (let i = 0; i < N; i += 1000)
    expect((await call("POST", `/api/db/${big}`, { body: docs.slice(i, i + 1000) })).status).toBe(201);
}, 60_000);

// The 3,000 inserts' events are still being fanned out in the background: let them finish before the runtime closes.
afterAll(async () => {
  await eventually(
    async () =>
      expect(await databaseStub(env.DATABASE, "default", "main").outboxBacklog()).toMatchObject({
        pending: 0,
        inFlight: 0,
      }),
    60_000,
  );
}, 90_000);

/** Runs a request and, while it runs, checks that /health keeps answering quickly. */
async function whileHealthy(request: Promise<{ status: number; json: any }>) {
  const started = Date.now();
  const probes: number[] = [];
  let done = false;
  const probing = (async () => {
    while (!done) {
      const t = Date.now();
      expect((await call("GET", "/health", { token: null })).status).toBe(200);
      probes.push(Date.now() - t);
      await new Promise((r) => setTimeout(r, 20));
    }
  })();
  const res = await request;
  done = true;
  await probing;
  return { res, elapsed: Date.now() - started, probes };
}

describe("no request stalls the runtime", () => {
  it("matches a catastrophic pattern in linear time, on filters and in expressions", async () => {
    const filter = encodeURIComponent(JSON.stringify({ s: { $regex: "(a+)+$" } }));
    const { res } = await whileHealthy(call("GET", `/api/db/${big}?filter=${filter}&count=true&limit=1`));
    expect(res.status).toBe(200);
    expect(res.json.total).toBe(N - Math.ceil(N / 7));
    const agg = await call("POST", `/api/db/${big}/aggregate`, {
      body: [{ $match: { $expr: { $regexMatch: { input: "$s", regex: "(a|aa)+$" } } } }, { $count: "n" }],
    });
    expect(agg.status).toBe(200);
    expect(agg.json.documents).toEqual([{ n: N - Math.ceil(N / 7) }]);
    const find = await call("POST", `/api/db/${big}/aggregate`, {
      body: [
        { $match: { _id: 7 } },
        {
          $project: {
            m: { $regexFind: { input: "$s", regex: "(a+)(!)" } },
            all: { $regexFindAll: { input: "a1a2", regex: "a(\\d)" } },
          },
        },
      ],
    });
    expect(find.json.documents[0].m).toEqual({ match: `${"a".repeat(28)}!`, idx: 0, captures: ["a".repeat(28), "!"] });
    expect(find.json.documents[0].all.map((m: { captures: string[] }) => m.captures[0])).toEqual(["1", "2"]);
  });

  it("refuses backreferences and lookaround, which need backtracking", async () => {
    const res = await call("POST", `/api/db/${big}/query`, { body: { filter: { s: { $regex: "(a)\\1" } } } });
    expect(res.status).toBe(400);
    expect(res.json.error.code).toBe("REGEX_UNSUPPORTED");
  });

  it("ends a quadratic $lookup with QUERY_BUDGET_EXCEEDED, and honours a client's smaller maxTimeMS", async () => {
    const pipeline = [
      { $lookup: { from: big, pipeline: [{ $match: { k: { $gte: 0 } } }], as: "all" } },
      { $count: "n" },
    ];
    const { res } = await whileHealthy(call("POST", `/api/db/${big}/aggregate`, { body: pipeline }));
    expect(res.status).toBe(400);
    expect(res.json.error.code).toBe("QUERY_BUDGET_EXCEEDED");
    const quick = await call("POST", `/api/db/${big}/aggregate`, { body: { pipeline, maxTimeMS: 50 } });
    expect(quick.json.error.details.maxTimeMS).toBe(50);
    const capped = await call("GET", `/api/db/${big}?maxTimeMS=999999&limit=1`);
    expect(capped.status).toBe(200);
    const invalid = await call("GET", `/api/db/${big}?maxTimeMS=-1`);
    expect(invalid.json.error.code).toBe("INVALID_PARAMETER");
  });

  it("bounds what one expression may build", async () => {
    const res = await call("POST", `/api/db/${big}/aggregate`, {
      body: [{ $limit: 1 }, { $project: { r: { $range: [0, 1e9] } } }],
    });
    expect(res.status).toBe(400);
    expect(res.json.error.code).toBe("EXPRESSION_TOO_LARGE");
  });
});

describe("never a 500 on hostile input", () => {
  /** Built as text: JSON.stringify itself overflows the stack on 10,000 levels. */
  const nest = (depth: number, open: string, close: string) =>
    `${open.repeat(depth)}[{"$match":{}}]${close.repeat(depth)}`;
  it("refuses deeply nested $facet and $lookup pipelines", async () => {
    const headers = { "Content-Type": "application/json" };
    const facet = await call("POST", `/api/db/${big}/aggregate`, {
      rawBody: nest(10_000, '[{"$facet":{"f":', "}}]"),
      headers,
    });
    expect(facet.status).toBe(400);
    expect(facet.json.error.code).toBe("PIPELINE_TOO_DEEP");
    const lookup = await call("POST", `/api/db/${big}/aggregate`, {
      rawBody: nest(2_000, `[{"$lookup":{"from":"${big}","as":"x","pipeline":`, "}}]"),
      headers,
    });
    expect(lookup.status).toBe(400);
    expect(lookup.json.error.code).toBe("PIPELINE_TOO_DEEP");
  });

  it("answers unknown Data API actions named like Object.prototype members with 404", async () => {
    for (const action of ["toString", "constructor", "hasOwnProperty", "__proto__", "valueOf"]) {
      const res = await call("POST", `/action/${action}`, { body: { database: "main", collection: "x" } });
      expect(res.status, action).toBe(404);
    }
  });

  it("answers 413 to an oversized control-plane body before parsing, and 400 to an oversized filter", async () => {
    const huge = JSON.stringify({ url: "http://127.0.0.1:9/x", filter: { s: "x".repeat(9 * 1024 * 1024) } });
    const res = await call("POST", "/api/webhooks", { rawBody: huge, headers: { "Content-Type": "application/json" } });
    expect(res.status).toBe(413);
    expect(res.json.error.code).toBe("BODY_TOO_LARGE");
    const large = await call("POST", "/api/webhooks", {
      body: { url: "http://127.0.0.1:9/x", filter: { s: "x".repeat(100_000) } },
    });
    expect(large.status).toBe(400);
    expect(large.json.error.code).toBe("FILTER_TOO_LARGE");
  });
});
