import { describe, expect, it } from "vitest";
import { Code, EJSON } from "bson";
import { checkDocument, checkFilter, checkPipeline, checkRawKeys, checkUpdate } from "../../worker/lib/query-policy";
import { AppError } from "../../worker/lib/errors";
import { LIMITS } from "../../worker/lib/limits";
import { call, uniqueName } from "../helpers/api";

function refusal(fn: () => void): AppError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(AppError);
    expect((err as AppError).status).toBe(400);
    return err as AppError;
  }
  throw new Error("expected a refusal");
}

const nest = (depth: number): Record<string, unknown> => (depth === 0 ? { a: 1 } : { $and: [nest(depth - 1)] });

describe("query policy (worker/lib)", () => {
  it.each([
    ["$where at the top", { $where: "this.a == 1" }, "$where", "filter.$where"],
    ["$where inside $or", { $or: [{ a: 1 }, { $where: "1" }] }, "$where", "filter.$or.1.$where"],
    [
      "$function inside $expr",
      { $expr: { $function: { body: "x", args: [], lang: "js" } } },
      "$function",
      "filter.$expr.$function",
    ],
    [
      "$accumulator deep in $expr",
      { $expr: { $gt: [{ $accumulator: {} }, 1] } },
      "$accumulator",
      "filter.$expr.$gt.0.$accumulator",
    ],
  ])("refuses %s with OPERATOR_FORBIDDEN", (_name, filter, operator, path) => {
    const err = refusal(() => checkFilter(filter));
    expect(err.code).toBe("OPERATOR_FORBIDDEN");
    expect(err.details).toEqual({ operator, path });
  });

  it("refuses $out and $merge stages, also inside $facet and $lookup pipelines", () => {
    expect(refusal(() => checkPipeline([{ $match: {} }, { $out: "x" }])).details).toEqual({
      path: "pipeline.1",
      operator: "$out",
    });
    expect(refusal(() => checkPipeline([{ $facet: { a: [{ $merge: "x" }] } }])).code).toBe("OPERATOR_FORBIDDEN");
    expect(
      refusal(() => checkPipeline([{ $lookup: { from: "b", pipeline: [{ $match: { $where: "1" } }], as: "j" } }])).code,
    ).toBe("OPERATOR_FORBIDDEN");
    expect(refusal(() => checkPipeline([{ $group: { _id: null, x: { $accumulator: {} } } }])).code).toBe(
      "OPERATOR_FORBIDDEN",
    );
  });

  it("refuses server-side JavaScript values ($code) anywhere", () => {
    const filter = EJSON.parse('{"a": {"$code": "function(){}"}}') as Record<string, unknown>;
    expect(filter.a).toBeInstanceOf(Code);
    expect(refusal(() => checkFilter(filter)).code).toBe("JAVASCRIPT_FORBIDDEN");
    expect(refusal(() => checkDocument({ x: [new Code("1")] })).code).toBe("JAVASCRIPT_FORBIDDEN");
  });

  it("refuses unknown operators and unsupported stages with OPERATOR_NOT_ALLOWED", () => {
    expect(refusal(() => checkFilter({ a: { $near: [0, 0] } })).details).toEqual({
      path: "filter.a.$near",
      operator: "$near",
    });
    expect(refusal(() => checkPipeline([{ $indexStats: {} }])).code).toBe("OPERATOR_NOT_ALLOWED");
    expect(refusal(() => checkUpdate({ $setWindow: {} })).code).toBe("OPERATOR_NOT_ALLOWED");
  });

  it("limits depth, key count, $in size and regex length and options", () => {
    expect(refusal(() => checkFilter(nest(LIMITS.maxFilterDepth))).code).toBe("QUERY_TOO_DEEP");
    expect(() => checkFilter(nest(5))).not.toThrow();
    const many = Object.fromEntries(Array.from({ length: LIMITS.maxFilterKeys + 1 }, (_, i) => [`f${i}`, 1]));
    expect(refusal(() => checkFilter(many)).code).toBe("QUERY_TOO_LARGE");
    expect(
      refusal(() => checkFilter({ a: { $in: Array.from({ length: LIMITS.maxInItems + 1 }, (_, i) => i) } })).code,
    ).toBe("IN_TOO_LARGE");
    expect(
      refusal(() => checkFilter({ a: { $nin: Array.from({ length: LIMITS.maxInItems + 1 }, (_, i) => i) } })).code,
    ).toBe("IN_TOO_LARGE");
    expect(refusal(() => checkFilter({ a: { $regex: "x".repeat(LIMITS.maxRegexLength + 1) } })).code).toBe(
      "REGEX_TOO_LONG",
    );
    expect(refusal(() => checkFilter({ a: { $regex: "x", $options: "g" } })).code).toBe("REGEX_INVALID_OPTIONS");
    expect(refusal(() => checkFilter({ a: { $regex: "(" } })).code).toBe("REGEX_INVALID");
    expect(refusal(() => checkFilter({ a: new RegExp("y".repeat(LIMITS.maxRegexLength + 1)) })).code).toBe(
      "REGEX_TOO_LONG",
    );
    expect(() => checkFilter({ a: { $regex: "^ab", $options: "i" } })).not.toThrow();
  });

  it("refuses __proto__, constructor and prototype keys anywhere", () => {
    const raw = JSON.parse('{"a": {"b": [{"__proto__": {"polluted": true}}]}}');
    expect(refusal(() => checkRawKeys(raw)).details).toEqual({ path: "body.a.b.0.__proto__" });
    expect(refusal(() => checkFilter({ constructor: 1 })).code).toBe("FORBIDDEN_KEY");
    expect(refusal(() => checkDocument({ x: { prototype: 1 } })).code).toBe("FORBIDDEN_KEY");
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it("tells update operators from replacement documents", () => {
    expect(checkUpdate({ $set: { a: 1 } })).toBe("operators");
    expect(checkUpdate([{ $set: { a: 1 } }])).toBe("pipeline");
    expect(refusal(() => checkUpdate({ a: 1 })).code).toBe("INVALID_UPDATE");
    expect(refusal(() => checkUpdate({})).code).toBe("INVALID_UPDATE");
    expect(refusal(() => checkDocument({ $set: 1 })).code).toBe("INVALID_DOCUMENT");
  });
});

describe("query policy over HTTP", () => {
  it.each([
    [
      "GET filter with $where",
      "GET",
      (c: string) => `/api/db/${c}?filter=${encodeURIComponent('{"$where":"1"}')}`,
      undefined,
      "OPERATOR_FORBIDDEN",
    ],
    [
      "POST query with $function in $expr",
      "POST",
      (c: string) => `/api/db/${c}/query`,
      { filter: { $expr: { $function: {} } } },
      "OPERATOR_FORBIDDEN",
    ],
    ["aggregate with $out", "POST", (c: string) => `/api/db/${c}/aggregate`, [{ $out: "other" }], "OPERATOR_FORBIDDEN"],
    [
      "aggregate with $merge in $facet",
      "POST",
      (c: string) => `/api/db/${c}/aggregate`,
      { pipeline: [{ $facet: { x: [{ $merge: "o" }] } }] },
      "OPERATOR_FORBIDDEN",
    ],
    ["insert with __proto__", "POST", (c: string) => `/api/db/${c}`, undefined, "FORBIDDEN_KEY"],
    [
      "limit over the maximum",
      "GET",
      (c: string) => `/api/db/${c}?limit=${LIMITS.maxPageSize + 1}`,
      undefined,
      "LIMIT_TOO_LARGE",
    ],
    [
      "shorthand regex too long",
      "GET",
      (c: string) => `/api/db/${c}?name[$regex]=${"a".repeat(LIMITS.maxRegexLength + 1)}`,
      undefined,
      "REGEX_TOO_LONG",
    ],
    [
      "update by filter with $where",
      "PATCH",
      (c: string) => `/api/db/${c}`,
      { filter: { $where: "1" }, update: { $set: { a: 1 } } },
      "OPERATOR_FORBIDDEN",
    ],
  ])("%s is a 400 with its code", async (_name, method, path, body, code) => {
    const c = uniqueName();
    const rawBody = code === "FORBIDDEN_KEY" ? '{"a": 1, "__proto__": {"admin": true}}' : undefined;
    const res = await call(method, path(c), {
      body,
      rawBody,
      headers: rawBody ? { "Content-Type": "application/json" } : undefined,
    });
    expect(res.status).toBe(400);
    expect(res.json.error.code).toBe(code);
    expect(res.json.error.message).toBeTruthy();
  });

  it("refuses a body over the size limit with 413 and a malformed body with 400", async () => {
    const c = uniqueName();
    const big = await call("POST", `/api/db/${c}`, {
      rawBody: `{"a":"${"x".repeat(LIMITS.maxBodyBytes)}"}`,
      headers: { "Content-Type": "application/json" },
    });
    expect(big.status).toBe(413);
    expect(big.json.error.code).toBe("BODY_TOO_LARGE");
    const bad = await call("POST", `/api/db/${c}`, {
      rawBody: "{not json",
      headers: { "Content-Type": "application/json" },
    });
    expect(bad.status).toBe(400);
    expect(bad.json.error.code).toBe("INVALID_JSON");
    const form = await call("POST", `/api/db/${c}`, { rawBody: "a=1", headers: { "Content-Type": "text/plain" } });
    expect(form.status).toBe(415);
  });
});
