import { badRequest } from "./errors";
import { checkRawKeys } from "./query-policy";
import { isPlainObject, type Doc } from "./ejson";
import { parseJsonText } from "./body";
import { LIMITS } from "./limits";

/** Query-string parameters with a meaning of their own; every other parameter is a filter shorthand. */
export const RESERVED_PARAMS = new Set([
  "filter",
  "sort",
  "projection",
  "fields",
  "limit",
  "skip",
  "cursor",
  "count",
  "explain",
  "allowEmptyFilter",
  "maxTimeMS",
]);

const SHORTHAND_KEY = /^([^[\]]+)(?:\[(\$[a-zA-Z]+)\])?$/;

function scalar(raw: string): unknown {
  if (raw === "null") return null;
  if (raw === "true") return true;
  if (raw === "false") return false;
  if (/^-?\d+(\.\d+)?(e[+-]?\d+)?$/i.test(raw) && Number.isFinite(Number(raw))) return Number(raw);
  return raw;
}

/** A bare value matches its typed reading and its literal string, so `age=30` and `zip=02134` both do what users mean. */
function loose(raw: string): unknown {
  const typed = scalar(raw);
  if (typed === raw || typed === null) return typed;
  return { $in: [typed, raw] };
}

function opValue(op: string, raw: string): unknown {
  if (op === "$in" || op === "$nin" || op === "$all") return raw === "" ? [] : raw.split(",").map(scalar);
  if (op === "$exists") return raw !== "false" && raw !== "0";
  if (op === "$regex") return raw;
  if (op === "$size") return Number(raw);
  return scalar(raw);
}

export function parseJsonParam(name: string, raw: string): Doc {
  const parsed = parseJsonText(raw, name, "INVALID_PARAMETER", { parameter: name });
  if (!isPlainObject(parsed))
    throw badRequest("INVALID_PARAMETER", `${name} must be a JSON object`, { parameter: name });
  return parsed;
}

/** Builds one filter from `filter` (EJSON) and the `field=value` / `field[$op]=value` shorthands, all and-ed. */
export function filterFromQuery(params: URLSearchParams): Doc {
  const parts: Doc[] = [];
  const filter = params.get("filter");
  if (filter) parts.push(parseJsonParam("filter", filter));
  for (const [key, raw] of params) {
    if (RESERVED_PARAMS.has(key)) continue;
    const m = SHORTHAND_KEY.exec(key);
    if (!m)
      throw badRequest("INVALID_PARAMETER", `query parameter "${key}" is not a field or field[$op]`, {
        parameter: key,
      });
    const [, field, op] = m;
    checkRawKeys({ [field]: 1 }, "query");
    if (field.startsWith("$"))
      throw badRequest("INVALID_PARAMETER", `query parameter "${key}" must name a field`, { parameter: key });
    parts.push({ [field]: op ? { [op]: opValue(op, raw) } : loose(raw) });
  }
  if (parts.length === 0) return {};
  return parts.length === 1 ? parts[0] : { $and: parts };
}

/** `sort=-age,name` or `sort={"age":-1}`. */
export function parseSort(raw: string | null | undefined): Record<string, 1 | -1> | undefined {
  if (!raw) return undefined;
  if (raw.trim().startsWith("{")) {
    const spec = parseJsonParam("sort", raw);
    for (const [k, v] of Object.entries(spec)) {
      const meta = v !== null && typeof v === "object" && (v as Doc).$meta === "textScore";
      if (v !== 1 && v !== -1 && !meta)
        throw badRequest("INVALID_SORT", `sort direction for "${k}" must be 1, -1 or {"$meta": "textScore"}`, {
          field: k,
        });
    }
    return spec as Record<string, 1 | -1>;
  }
  const out: Record<string, 1 | -1> = {};
  for (const part of raw
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean)) {
    const field = part.replace(/^[-+]/, "");
    if (!field || field.startsWith("$"))
      throw badRequest("INVALID_SORT", `sort field "${part}" is not valid`, { field: part });
    out[field] = part.startsWith("-") ? -1 : 1;
  }
  return out;
}

/** `fields=name,email` (include) or `fields=-password` (exclude), or a JSON projection. */
export function parseProjection(raw: string | null | undefined): Doc | undefined {
  if (!raw) return undefined;
  if (raw.trim().startsWith("{")) return parseJsonParam("projection", raw);
  const out: Doc = {};
  for (const part of raw
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean)) {
    out[part.replace(/^[-+]/, "")] = part.startsWith("-") ? 0 : 1;
  }
  return out;
}

export function parseCount(raw: string | null | undefined, name: string, fallback: number, max: number): number {
  if (raw === null || raw === undefined || raw === "") return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0)
    throw badRequest("INVALID_PARAMETER", `${name} must be a non-negative integer`, { parameter: name });
  if (n > max) throw badRequest("LIMIT_TOO_LARGE", `${name} must be at most ${max}`, { parameter: name, max });
  return n;
}

export function parseLimit(raw: string | null | undefined): number {
  const n = parseCount(raw, "limit", LIMITS.defaultPageSize, LIMITS.maxPageSize);
  return n === 0 ? LIMITS.defaultPageSize : n;
}

export function flag(raw: string | null | undefined): boolean {
  return raw === "" || raw === "true" || raw === "1";
}
