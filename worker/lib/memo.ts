import { isPlainObject } from "./ejson";

/**
 * A bounded memo for a pure function of a string; the oldest entry leaves first and a call that throws is not kept.
 * Values are shared between requests, so their plain objects and arrays are frozen: a caller that tried to change one
 * would fail loudly instead of changing the next request's input.
 */
export function memoize<T>(max: number, fn: (key: string) => T): (key: string) => T {
  const memo = new Map<string, T>();
  return (key) => {
    let value = memo.get(key);
    if (value === undefined) {
      value = freezePlain(fn(key));
      if (memo.size >= max) memo.delete(memo.keys().next().value!);
      memo.set(key, value);
    }
    return value;
  };
}

/** Class instances (ObjectId caches its hex string in itself) are left as they are. */
function freezePlain<T>(value: T): T {
  if (Array.isArray(value) || isPlainObject(value)) {
    for (const v of Object.values(value as object)) freezePlain(v);
    Object.freeze(value);
  }
  return value;
}
