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

export type Bound = { op: "=" | ">" | ">=" | "<" | "<="; value: string | number } | { op: "in"; values: (string | number)[] };

/**
 * `exact` plans select precisely the documents Mongo would match, so the engine can skip parsing and evaluating them:
 * the filter is nothing but that one condition, an _id lookup or an equality / $in on strings and numbers
 * (`typeGuard` then asks the index query to check the stored JSON type too: json_extract yields 1 for true and the
 * JSON text of an object or array, so numbers, and strings that could spell such text, need it).
 */
export type Plan =
  | { kind: "id"; keys: string[]; exact: boolean }
  | { kind: "index"; index: string; field: string; bounds: Bound[]; exact: boolean; typeGuard: boolean }
  | { kind: "scan" };

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

/** Bounds that select a superset of the documents Mongo would match, or undefined when SQLite cannot help. */
function boundsFor(cond: unknown): { bounds: Bound[]; equality: boolean; onlyEquality: boolean } | undefined {
  const eq = sqlScalar(cond);
  if (eq !== undefined && typeof cond !== "boolean") return { bounds: [{ op: "=", value: eq }], equality: true, onlyEquality: true };
  if (!isPlainObject(cond)) return undefined;
  const bounds: Bound[] = [];
  let equality = false;
  const ops = Object.entries(cond);
  for (const [op, raw] of ops) {
    if (op === "$eq") {
      const v = sqlScalar(raw);
      if (v === undefined || typeof raw === "boolean") continue;
      bounds.push({ op: "=", value: v });
      equality = true;
    } else if (op === "$in" && Array.isArray(raw) && raw.length > 0) {
      const values = raw.map(sqlScalar);
      if (values.some((v, i) => v === undefined || typeof raw[i] === "boolean")) continue;
      bounds.push({ op: "in", values: values as Scalar[] });
      equality = true;
    } else if (op === "$gt" || op === "$gte" || op === "$lt" || op === "$lte") {
      if (typeof raw !== "string" && !(typeof raw === "number" && Number.isFinite(raw))) continue;
      const sqlOp = ({ $gt: ">", $gte: ">=", $lt: "<", $lte: "<=" } as const)[op];
      bounds.push({ op: sqlOp, value: raw });
      // Mongo compares only within a type; SQLite orders numbers before text, so fence the other side.
      if (typeof raw === "number" && (op === "$gt" || op === "$gte")) bounds.push({ op: "<", value: "" });
      if (typeof raw === "string" && (op === "$lt" || op === "$lte")) bounds.push({ op: ">=", value: "" });
    }
  }
  return bounds.length ? { bounds, equality, onlyEquality: equality && ops.length === 1 && bounds.length === 1 } : undefined;
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

/** Picks the cheapest access path: _id lookup, then an equality on an index, then a range, else a scan. */
export function choosePlan(filter: Doc, indexes: IndexInfo[]): Plan {
  const conds = conjuncts(filter);
  const single = conds.length === 1 && Object.keys(filter).length === 1;
  for (const [field, cond] of conds) {
    if (field === "_id") {
      const keys = idKeys(cond);
      if (keys) return { kind: "id", keys, exact: single };
    }
  }
  let best: { plan: Plan; score: number } | undefined;
  for (const index of indexes) {
    if (!index.usable) continue;
    const field = Object.keys(index.keys)[0];
    for (const [f, cond] of conds) {
      if (f !== field) continue;
      const found = boundsFor(cond);
      if (!found) continue;
      const score = (found.equality ? 2 : 1) + (index.unique ? 0.5 : 0);
      const exact = single && found.onlyEquality;
      const typeGuard = found.bounds.some((b) => (b.op === "in" ? b.values : [b.value]).some((v) => typeof v === "number" || /^[[{]/.test(v)));
      if (!best || score > best.score) best = { plan: { kind: "index", index: index.name, field, bounds: found.bounds, exact, typeGuard }, score };
    }
  }
  return best ? best.plan : { kind: "scan" };
}

/** JSON path for SQLite's json_extract with every segment quoted, so dots and dashes in names stay literal. */
export function jsonPath(field: string): string {
  return "$" + field.split(".").map((seg) => `."${seg}"`).join("");
}

export function validIndexField(field: string): boolean {
  // NUL would end the CREATE INDEX text early; other control characters have no business in a field name either.
  return field.length > 0 && !field.startsWith("$") && !/["\\\u0000-\u001f]/.test(field) && !field.split(".").includes("");
}
