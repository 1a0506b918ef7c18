import { EJSON, Long } from "bson";
import { badRequest } from "./errors";

export type Doc = Record<string, unknown>;

/** Parses EJSON text (relaxed or canonical) into live BSON values; invalid text is a 400. */
export function parseEjson(text: string, what = "body"): unknown {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw badRequest("INVALID_JSON", `${what} is not valid JSON/EJSON: ${(err as Error).message}`);
  }
  return mayHoldWrappers(text) ? fromJson(raw, what) : raw;
}

/**
 * Converts already-parsed JSON (with EJSON type wrappers such as {"$oid": ...}) into BSON values. Relaxed, except
 * where relaxed would change a value: bson's relaxed mode turns every $numberLong into a JS number, so
 * 9007199254740993 became ...992. A $numberLong beyond ±2^53 stays a Long; every other wrapper is bson's own.
 */
export function fromJson(value: unknown, what = "body"): unknown {
  try {
    return revive(value);
  } catch (err) {
    throw badRequest("INVALID_EJSON", `${what} has an invalid EJSON value: ${(err as Error).message}`);
  }
}

const WRAPPER_NAMES = new Set(
  "oid date numberInt numberLong numberDouble numberDecimal binary uuid regularExpression regex timestamp code symbol minKey maxKey dbPointer ref undefined"
    .split(" ")
    .map((k) => `$${k}`),
);

function exactLong(text: unknown): number | Long {
  const long = Long.fromExtendedJSON({ $numberLong: text as string }, { relaxed: false }) as Long;
  const n = long.toNumber();
  return Number.isSafeInteger(n) ? n : long;
}

/** Copy-on-change walk: plain parts are returned as they are, wrappers become BSON values. */
function revive(value: unknown): unknown {
  if (value === null || typeof value !== "object") return value;
  if (Array.isArray(value)) {
    let out: unknown[] | undefined;
    for (let i = 0; i < value.length; i++) {
      const t = revive(value[i]);
      if (out) out.push(t);
      else if (t !== value[i]) (out = value.slice(0, i)).push(t);
    }
    return out ?? value;
  }
  if (!isPlainObject(value)) return value;
  const keys = Object.keys(value);
  if (keys.some((k) => WRAPPER_NAMES.has(k))) {
    if (keys.length === 1 && keys[0] === "$numberLong") return exactLong(value.$numberLong);
    return EJSON.deserialize(value, { relaxed: true });
  }
  let out: Doc | undefined;
  for (let i = 0; i < keys.length; i++) {
    const v = value[keys[i]];
    const t = revive(v);
    if (!out && t !== v) {
      out = {};
      for (let j = 0; j < i; j++) out[keys[j]] = value[keys[j]];
    }
    if (out) out[keys[i]] = t;
  }
  return out ?? value;
}

/** The relaxed form of a value that relaxed EJSON would otherwise make inexact (large Longs, -0). */
function exactRelaxed(value: unknown): unknown {
  if (value instanceof Long) {
    const n = value.toNumber();
    return Number.isSafeInteger(n) ? n : { $numberLong: value.toString() };
  }
  return EJSON.serialize(value as Doc, { relaxed: true });
}

const WRAPPER_KEY =
  /"\$(oid|date|numberInt|numberLong|numberDouble|numberDecimal|binary|uuid|regularExpression|regex|options|timestamp|code|scope|symbol|minKey|maxKey|dbPointer|ref|id|db|undefined)"/;

/**
 * Text naming no EJSON type wrapper key (and no escape that could spell one) is plain JSON, and JSON.parse is several
 * times faster than EJSON's reviver. Query operators such as "$in" do not count.
 */
export function mayHoldWrappers(text: string): boolean {
  return text.includes("\\u") || (text.includes("$") && WRAPPER_KEY.test(text));
}

/**
 * Relaxed EJSON as a JSON-ready tree, built in one pass: plain parts are returned as they are (no copy), and only the
 * BSON values on the way (ObjectId, Date, Decimal128, non-finite numbers...) go through bson's serializer.
 * Keys holding undefined are dropped, as our envelopes use undefined for "absent".
 */
function relaxedTree(value: unknown): unknown {
  switch (typeof value) {
    case "string":
    case "boolean":
    case "undefined":
      return value;
    case "number":
      if (Object.is(value, -0)) return { $numberDouble: "-0.0" };
      return Number.isFinite(value) ? value : EJSON.serialize(value as unknown as Doc, { relaxed: true });
    case "object": {
      if (value === null) return null;
      if (Array.isArray(value)) {
        let out: unknown[] | undefined;
        for (let i = 0; i < value.length; i++) {
          const v = value[i];
          const t = v === undefined ? null : relaxedTree(v);
          if (out) out.push(t);
          else if (t !== v) (out = value.slice(0, i)).push(t);
        }
        return out ?? value;
      }
      if (!isPlainObject(value)) return exactRelaxed(value);
      let out: Doc | undefined;
      const keys = Object.keys(value);
      for (let i = 0; i < keys.length; i++) {
        const v = value[keys[i]];
        const t = relaxedTree(v);
        if (!out && (t !== v || v === undefined)) {
          out = {};
          for (let j = 0; j < i; j++) out[keys[j]] = value[keys[j]];
        }
        if (out && t !== undefined) out[keys[i]] = t;
      }
      return out ?? value;
    }
    default:
      return exactRelaxed(value);
  }
}

/** EJSON writes undefined as null; our own envelopes use undefined for "absent", so drop those keys first. */
function withoutUndefined(value: unknown): unknown {
  if (!isPlainObject(value)) return value;
  const out: Doc = {};
  for (const [k, v] of Object.entries(value)) if (v !== undefined) out[k] = withoutUndefined(v);
  return out;
}

export function toJson(value: unknown, canonical = false): unknown {
  if (!canonical) return relaxedTree(value);
  return EJSON.serialize(withoutUndefined(value) as Doc, { relaxed: !canonical });
}

export function stringify(value: unknown, canonical = false): string {
  if (!canonical) return JSON.stringify(relaxedTree(value)) ?? "null";
  return EJSON.stringify(withoutUndefined(value) as Doc, { relaxed: !canonical });
}

export function isPlainObject(value: unknown): value is Doc {
  if (value === null || typeof value !== "object") return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** Deep copy that keeps BSON types (ObjectId, Date, Decimal128...). */
export function cloneDoc<T>(value: T): T {
  return parseEjson(stringify(value)) as T;
}

/**
 * The Data API's `application/json` flavour is lossy on purpose: ObjectIds become hex strings and dates ISO strings,
 * so plain JSON clients need no EJSON knowledge. Canonical EJSON stays available with `application/ejson`.
 */
export function toLossyJson(value: unknown): unknown {
  const plain = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(plain);
    if (!v || typeof v !== "object") return v;
    const o = v as Doc;
    const keys = Object.keys(o);
    if (keys.length === 1) {
      if (keys[0] === "$oid") return o.$oid;
      if (keys[0] === "$date") {
        const d = o.$date as unknown;
        return typeof d === "string"
          ? new Date(d).toISOString()
          : new Date(Number((d as Doc).$numberLong)).toISOString();
      }
      if (keys[0] === "$numberDecimal" || keys[0] === "$numberLong") return String(o[keys[0]]);
    }
    const out: Doc = {};
    for (const k of keys) out[k] = plain(o[k]);
    return out;
  };
  return plain(toJson(value));
}
