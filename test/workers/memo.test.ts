import { describe, expect, it } from "vitest";
import { ObjectId } from "bson";
import { memoize } from "../../worker/lib/memo";

describe("memoize", () => {
  it("computes once per key, keeps at most `max` keys, and never keeps a throw", () => {
    const calls: string[] = [];
    const parse = memoize(2, (key: string) => {
      calls.push(key);
      if (key === "bad") throw new Error("bad input");
      return { key };
    });
    expect(parse("a")).toBe(parse("a"));
    parse("b");
    parse("c");
    parse("a");
    expect(calls).toEqual(["a", "b", "c", "a"]);
    expect(() => parse("bad")).toThrow("bad input");
    expect(() => parse("bad")).toThrow("bad input");
    expect(calls.filter((k) => k === "bad")).toHaveLength(2);
  });

  it("freezes shared plain values deeply but leaves class instances usable", () => {
    const id = new ObjectId();
    const parse = memoize(4, () => ({ filter: { tags: ["x"], _id: id } }));
    const value = parse("k");
    expect(Object.isFrozen(value.filter)).toBe(true);
    expect(Object.isFrozen(value.filter.tags)).toBe(true);
    expect(() => (value.filter.tags as string[]).push("y")).toThrow(TypeError);
    expect(Object.isFrozen(id)).toBe(false);
    expect(value.filter._id.toHexString()).toBe(id.toHexString());
  });
});
