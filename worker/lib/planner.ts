import { ObjectId } from "bson";
import { idKey } from "./ids";
import { isPlainObject, type Doc } from "./ejson";

export interface IndexInfo {
  name: string;
  keys: Record<string, 1 | -1>;
  unique: boolean;
  /** False once any document holds an array (or a number SQLite cannot compare) on the leading field. */
  usable: boolean;
}

export type Bound =
  { op: "=" | ">" | ">=" | "<" | "<="; value: string | number } | { op: "in"; values: (string | number)[] };

/** JSON types (as SQLite's json_type names them) a pushed condition admits. */
export type JsonType = "text" | "integer" | "real";

/**
 * A condition on one indexed field that SQLite evaluates: bounds on json_extract (answered from the field's expression
 * index) and the JSON types its values admit (`json_extract` yields 1 for true and the JSON text of an object or an
 * array, so the stored type is checked too). Every pushed condition is implied by the filter: a superset of matches.
 */
export interface Pushed {
  field: string;
  bounds: Bound[];
  types: JsonType[];
  /** Whether the stored type must be checked (it costs parsing the document): numbers (true reads as 1), text ranges, and text that could spell an object or array. */
  guard: boolean;
  /** Whether the condition is equality (one value or $in) rather than a range. */
  equality: boolean;
}

/**
 * `exact` plans select precisely the documents Mongo would match, so the engine can skip parsing and evaluating them
 * and let SQLite stop at the page's LIMIT: every condition of the filter is pushed (an _id lookup, or equality, $in and
 * ranges on strings and numbers over fields whose index has never seen an array there).
 */
export type Plan =
  | { kind: "id"; keys: string[]; exact: boolean }
  | { kind: "index"; index: string; field: string; pushed: Pushed[]; exact: boolean }
  | { kind: "scan"; pushed: Pushed[]; exact: boolean };

type Scalar = string | number;

/** Values SQLite's json_extract yields unchanged: strings and finite numbers (booleans become 0/1). */
function sqlScalar(v: unknown): Scalar | undefined {
  if (typeof v === "string") return v;
  if (typeof v === "number" && Number.isFinite(v)) return v;
  if (typeof v === "boolean") return v ? 1 : 0;
  return undefined;
}

function idValue(v: unknown): boolean {
  return typeof v === "string" || (typeof v === "number" && Number.isFinite(v)) || v instanceof ObjectId;
}

/** Collects the conjunctive conditions on top-level fields, looking through a top-level $and. */
function conjuncts(filter: Doc): Array<[string, unknown]> {
  const out: Array<[string, unknown]> = [];
  for (const [k, v] of Object.entries(filter)) {
    if (k === "$and" && Array.isArray(v)) {
      for (const part of v) if (isPlainObject(part)) out.push(...conjuncts(part));
    } else if (!k.startsWith("$")) {
      out.push([k, v]);
    }
  }
  return out;
}

function idKeys(cond: unknown): string[] | undefined {
  if (idValue(cond)) return [idKey(cond)];
  if (!isPlainObject(cond)) return undefined;
  const ops = Object.keys(cond);
  if (ops.length !== 1) return undefined;
  if (ops[0] === "$eq" && idValue(cond.$eq)) return [idKey(cond.$eq)];
  if (ops[0] === "$in" && Array.isArray(cond.$in) && cond.$in.every(idValue)) return [...new Set(cond.$in.map(idKey))];
  return undefined;
}

const typesOf = (v: Scalar): JsonType[] => (typeof v === "number" ? ["integer", "real"] : ["text"]);

/**
 * Bounds that select a superset of the documents Mongo would match, the JSON types they admit, and whether they are
 * the whole condition (every operator translated), or undefined when SQLite cannot help.
 */
function boundsFor(
  cond: unknown,
): { bounds: Bound[]; types: JsonType[]; equality: boolean; complete: boolean } | undefined {
  const eq = sqlScalar(cond);
  if (eq !== undefined && typeof cond !== "boolean")
    return { bounds: [{ op: "=", value: eq }], types: typesOf(eq), equality: true, complete: true };
  if (!isPlainObject(cond)) return undefined;
  const bounds: Bound[] = [];
  const types = new Set<JsonType>();
  let equality = false;
  let complete = true;
  const ops = Object.entries(cond);
  for (const [op, raw] of ops) {
    if (op === "$eq") {
      const v = sqlScalar(raw);
      if (v === undefined || typeof raw === "boolean") {
        complete = false;
        continue;
      }
      bounds.push({ op: "=", value: v });
      typesOf(v).forEach((t) => types.add(t));
      equality = true;
    } else if (op === "$in" && Array.isArray(raw) && raw.length > 0) {
      const values = raw.map(sqlScalar);
      if (values.some((v, i) => v === undefined || typeof raw[i] === "boolean")) {
        complete = false;
        continue;
      }
      bounds.push({ op: "in", values: values as Scalar[] });
      (values as Scalar[]).forEach((v) => typesOf(v).forEach((t) => types.add(t)));
      equality = true;
    } else if (op === "$gt" || op === "$gte" || op === "$lt" || op === "$lte") {
      if (typeof raw !== "string" && !(typeof raw === "number" && Number.isFinite(raw))) {
        complete = false;
        continue;
      }
      const sqlOp = ({ $gt: ">", $gte: ">=", $lt: "<", $lte: "<=" } as const)[op];
      bounds.push({ op: sqlOp, value: raw });
      // Mongo compares only within a type; SQLite orders numbers before text, so fence the other side for the index.
      if (typeof raw === "number" && (op === "$gt" || op === "$gte")) bounds.push({ op: "<", value: "" });
      if (typeof raw === "string" && (op === "$lt" || op === "$lte")) bounds.push({ op: ">=", value: "" });
      typesOf(raw).forEach((t) => types.add(t));
    } else complete = false;
  }
  if (!bounds.length) return undefined;
  // Two operators of different types (a number and a string bound) admit nothing Mongo would match: keep them all.
  return { bounds, types: [...types], equality, complete };
}

/** The `_id` keys when a filter is nothing but an `_id` equality or `$in` of plain ids (the GET-by-id shape). */
export function exactIdKeys(filter: Doc, max = 16): string[] | undefined {
  let only: string | undefined;
  for (const k in filter) {
    if (only !== undefined || k !== "_id") return undefined;
    only = k;
  }
  if (only === undefined) return undefined;
  const keys = idKeys(filter._id);
  return keys && keys.length <= max ? keys : undefined;
}

/**
 * Picks the access path: an _id lookup, else every condition on an indexed field pushed to SQLite (the best one named
 * for `explain`), else a scan. The plan is exact when nothing is left for the matcher.
 */
export function choosePlan(filter: Doc, indexes: IndexInfo[]): Plan {
  const conds = conjuncts(filter);
  const onlyConjuncts = Object.keys(filter).every((k) => !k.startsWith("$") || k === "$and");
  const single = conds.length === 1 && Object.keys(filter).length === 1;
  for (const [field, cond] of conds) {
    if (field === "_id") {
      const keys = idKeys(cond);
      if (keys) return { kind: "id", keys, exact: single };
    }
  }
  const indexed = new Map<string, IndexInfo>();
  for (const index of indexes) {
    const field = Object.keys(index.keys)[0];
    if (index.usable && (!indexed.has(field) || index.unique)) indexed.set(field, index);
  }
  const pushed: Pushed[] = [];
  let exact = onlyConjuncts && conds.length > 0;
  let best: { index: IndexInfo; field: string; score: number } | undefined;
  for (const [field, cond] of conds) {
    const index = indexed.get(field);
    const found = index ? boundsFor(cond) : undefined;
    if (!index || !found) {
      exact = false;
      continue;
    }
    if (!found.complete) exact = false;
    const values = found.bounds.flatMap((b) => (b.op === "in" ? b.values : [b.value]));
    const ranged = found.bounds.some((b) => b.op !== "=" && b.op !== "in");
    const guard =
      values.some((v) => typeof v === "number") ||
      (ranged && values.some((v) => v !== "")) ||
      values.some((v) => typeof v === "string" && /^[[{]/.test(v));
    pushed.push({ field, bounds: found.bounds, types: found.types, guard, equality: found.equality && !ranged });
    const score = (found.equality ? 2 : 1) + (index.unique ? 0.5 : 0);
    if (!best || score > best.score) best = { index, field, score };
  }
  if (best) return { kind: "index", index: best.index.name, field: best.field, pushed, exact };
  // An empty filter matches everything: a scan in insertion order with nothing to check.
  return { kind: "scan", pushed, exact: Object.keys(filter).length === 0 };
}

/** JSON path for SQLite's json_extract with every segment quoted, so dots and dashes in names stay literal. */
export function jsonPath(field: string): string {
  return (
    "$" +
    field
      .split(".")
      .map((seg) => `."${seg}"`)
      .join("")
  );
}

export function validIndexField(field: string): boolean {
  // NUL would end the CREATE INDEX text early; other control characters have no business in a field name either.
  return (
    field.length > 0 && !field.startsWith("$") && !/["\\\u0000-\u001f]/.test(field) && !field.split(".").includes("")
  );
}
