import { Context, evalExpr } from "mingo/core";
import * as accumulatorOperators from "mingo/operators/accumulator";
import * as expressionOperators from "mingo/operators/expression";
import * as pipelineOperators from "mingo/operators/pipeline";
import * as projectionOperators from "mingo/operators/projection";
import * as queryOperators from "mingo/operators/query";
import * as windowOperators from "mingo/operators/window";
import type { Iterator } from "mingo/lazy";
import type { Options } from "mingo/types";
import { badRequest } from "./errors";
import { charge } from "./budget";
import { LIMITS } from "./limits";
import { compileSafe, searchSafe, toSafe, type SafeMatch } from "./safe-regex";

type Fn = (...args: any[]) => any; // eslint-disable-line @typescript-eslint/no-explicit-any

/** Patterns inside a query operand (`$regex`, `$in: [/a/]`, `$all`, `$not`) become RE2-backed SafeRegExps. */
function safePatterns(value: unknown): unknown {
  if (value instanceof RegExp) return toSafe(value);
  if (Array.isArray(value)) return value.some((v) => v instanceof RegExp) ? value.map(safePatterns) : value;
  return value;
}

/** A query operator compiles once and then tests each document: the test is what gets charged. */
const queryOp =
  (op: Fn): Fn =>
  (selector: string, value: unknown, options: Options) => {
    const test = op(selector, safePatterns(value), options);
    return (doc: unknown) => {
      charge();
      return test(doc);
    };
  };

function tooLarge(what: string): never {
  throw badRequest(
    "EXPRESSION_TOO_LARGE",
    `an expression built ${what}; the limits are ${LIMITS.maxExpressionStringLength} characters and ${LIMITS.maxExpressionArrayLength} array items`,
  );
}

/** Every expression evaluation is charged, and none may build a string or array past the limits. */
const expressionOp =
  (op: Fn): Fn =>
  (obj: unknown, expr: unknown, options: Options) => {
    charge();
    const out = op(obj, expr, options);
    if (typeof out === "string" && out.length > LIMITS.maxExpressionStringLength) tooLarge("a string too long");
    if (Array.isArray(out) && out.length > LIMITS.maxExpressionArrayLength) tooLarge("an array too long");
    return out;
  };

/** A stage is charged once per run (sub-pipelines run once per outer document) and per document it passes on. */
const pipelineOp =
  (op: Fn): Fn =>
  (collection: Iterator, expr: unknown, options: Options) => {
    charge();
    const out = op(collection, expr, options) as Iterator;
    return out.map((doc: unknown) => {
      charge();
      return doc;
    });
  };

/** `$range` is checked before it allocates: `{"$range": [0, 1e9]}` would otherwise build the array first. */
const $range: Fn = (obj: unknown, expr: unknown, options: Options) => {
  const args = evalExpr(obj, expr, options) as number[];
  if (Array.isArray(args) && typeof args[0] === "number" && typeof args[1] === "number") {
    const step = typeof args[2] === "number" && args[2] !== 0 ? Math.abs(args[2]) : 1;
    if (Math.abs(args[1] - args[0]) / step > LIMITS.maxExpressionArrayLength) tooLarge("a $range too long");
  }
  return (expressionOperators.$range as Fn)(obj, expr, options);
};

/** mingo's $regexMatch/$regexFind/$regexFindAll compile native (backtracking) RegExps; these run on RE2. */
function regexSearch(
  obj: unknown,
  expr: unknown,
  options: Options,
  global: boolean,
): Array<{ match: string; idx: number; captures: Array<string | null> }> {
  const val = evalExpr(obj, expr, options) as { input?: unknown; regex?: unknown; options?: unknown };
  if (typeof val?.input !== "string") return [];
  const flags = typeof val.options === "string" ? val.options : val.regex instanceof RegExp ? val.regex.flags : "";
  if (/[^imsu]/.test(flags.replace("x", "")))
    throw badRequest("REGEX_INVALID_OPTIONS", "regex options may only use i, m, s, x");
  const source = val.regex instanceof RegExp ? val.regex.source : String(val.regex ?? "");
  const re = compileSafe(source, flags.replace(/[^ims]/g, ""));
  return searchSafe(re, val.input, global).map((m: SafeMatch) => ({
    match: m.match,
    idx: m.index,
    captures: m.captures,
  }));
}

const regexOps: Record<string, Fn> = {
  $regexMatch: (obj, expr, options) => regexSearch(obj, expr, options, false).length > 0,
  $regexFind: (obj, expr, options) => regexSearch(obj, expr, options, false)[0] ?? null,
  $regexFindAll: (obj, expr, options) => regexSearch(obj, expr, options, true),
};

const wrapAll = (ops: Record<string, unknown>, wrap: (op: Fn) => Fn) =>
  Object.fromEntries(
    Object.entries(ops)
      .filter(([k]) => k.startsWith("$"))
      .map(([k, op]) => [k, wrap(op as Fn)]),
  );

/**
 * The one mingo context Docflare evaluates with: every operator of mingo's, each charging the work budget of the
 * query under evaluation (worker/lib/budget.ts), and every pattern run on RE2.
 */
export const SAFE_CONTEXT = Context.init({
  accumulator: accumulatorOperators as never,
  expression: wrapAll({ ...expressionOperators, $range, ...regexOps }, expressionOp) as never,
  pipeline: wrapAll(pipelineOperators, pipelineOp) as never,
  projection: projectionOperators as never,
  query: wrapAll(queryOperators, queryOp) as never,
  window: windowOperators as never,
});

export const MINGO_OPTIONS = { context: SAFE_CONTEXT } as const;
