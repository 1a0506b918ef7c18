import { describe, expect, it } from "vitest";
import { Decimal128, Long, ObjectId } from "bson";
import { choosePlan, type IndexInfo } from "../../worker/lib/planner";
import { decodeCursor, encodeCursor, queryFingerprint, type CursorPosition } from "../../worker/lib/cursor";
import { applyMergePatch, patchToUpdate } from "../../worker/lib/merge-patch";
import { idFilter, idKey, idToPath } from "../../worker/lib/ids";
import { decideAcquire, decideHolderOp, type LeaseState } from "../../worker/lib/lease";
import { applyUpdate, upsertSeed } from "../../worker/lib/doc-ops";
import { parseEjson, stringify } from "../../worker/lib/ejson";

/** The pure rules in worker/lib, each on its own, in Node: quick to run and to read. */

describe("planner", () => {
  const index = (name: string, keys: Record<string, 1 | -1>, usable = true): IndexInfo => ({
    name,
    keys,
    unique: false,
    usable,
  });
  it("goes to the _id index for an _id match, exactly", () => {
    expect(choosePlan({ _id: "a" }, [])).toMatchObject({ kind: "id", exact: true });
  });
  it("pushes ranges and $in on an indexed field, exact when every condition is pushed", () => {
    const plan = choosePlan({ price: { $gt: 5, $lte: 10 } }, [index("price_1", { price: 1 })]);
    expect(plan).toMatchObject({ kind: "index", index: "price_1", exact: true });
    expect(choosePlan({ price: { $in: [1, 2] } }, [index("price_1", { price: 1 })])).toMatchObject({
      kind: "index",
      exact: true,
    });
  });
  it("is not exact when part of the filter is left to the matcher, and scans without a usable index", () => {
    expect(choosePlan({ price: { $gt: 5 }, name: { $regex: "^a" } }, [index("price_1", { price: 1 })])).toMatchObject({
      kind: "index",
      exact: false,
    });
    expect(choosePlan({ price: 5 }, [index("price_1", { price: 1 }, false)]).kind).toBe("scan");
    expect(choosePlan({ other: 5 }, [index("price_1", { price: 1 })]).kind).toBe("scan");
  });
});

describe("cursor", () => {
  const fp = queryFingerprint("c", { a: 1 }, { b: -1 });
  it("round-trips every position kind, typed values included", () => {
    for (const p of [
      { kind: "row", rowid: 7 },
      { kind: "sort", values: [new Date(0), new ObjectId("65f000000000000000000001")] },
      { kind: "keyed", value: 3.5, seq: 9 },
      { kind: "offset", offset: 40 },
    ] satisfies CursorPosition[]) {
      expect(decodeCursor(encodeCursor(fp, p), fp)).toEqual(p);
    }
  });
  it("refuses a cursor of another query, and garbage", () => {
    const other = queryFingerprint("c", { a: 2 }, { b: -1 });
    expect(() => decodeCursor(encodeCursor(fp, { kind: "row", rowid: 1 }), other)).toThrow(
      expect.objectContaining({ code: "CURSOR_MISMATCH" }),
    );
    expect(() => decodeCursor("not-a-cursor", fp)).toThrow(expect.objectContaining({ code: "INVALID_CURSOR" }));
  });
});

describe("merge patch (RFC 7396)", () => {
  it("merges objects, removes with null, replaces arrays and scalars", () => {
    expect(
      applyMergePatch({ a: 1, b: { c: 2, d: 3 }, e: [1] }, { b: { c: null, f: 4 }, e: [2], g: "x", a: null }),
    ).toEqual({ b: { d: 3, f: 4 }, e: [2], g: "x" });
    expect(applyMergePatch({ a: 1 }, "scalar")).toBe("scalar");
  });
  it("a flat patch is $set/$unset, a nested one $mergePatch, operators pass as they are, a mix is refused", () => {
    expect(patchToUpdate({ $inc: { n: 1 } })).toEqual({ $inc: { n: 1 } });
    expect(patchToUpdate({ a: 1, b: null })).toEqual({ $set: { a: 1 }, $unset: { b: "" } });
    expect(patchToUpdate({ a: { b: 1 } })).toEqual({ $mergePatch: { a: { b: 1 } } });
    expect(() => patchToUpdate({ a: 1, $inc: { n: 1 } })).toThrow(expect.objectContaining({ code: "INVALID_UPDATE" }));
    expect(() => patchToUpdate({ _id: 2 })).toThrow(expect.objectContaining({ code: "IMMUTABLE_FIELD" }));
  });
});

describe("ids", () => {
  it("keys equal ids alike and different types apart", () => {
    const oid = new ObjectId("65f000000000000000000001");
    expect(idKey(oid)).toBe(idKey(new ObjectId(oid.toHexString())));
    expect(new Set([idKey("1"), idKey(1), idKey(oid), idKey({ a: 1 })]).size).toBe(4);
  });
  it("reads a path segment as every id it could name", () => {
    expect(idFilter("abc")).toEqual({ _id: "abc" });
    expect(idFilter("42")).toEqual({ _id: { $in: ["42", 42] } });
    expect((idFilter("65f000000000000000000001")._id as { $in: unknown[] }).$in[0]).toBeInstanceOf(ObjectId);
    expect(idToPath("a b")).toBe("a%20b");
  });
});

describe("lease", () => {
  const free: LeaseState = { holder: null, token: 0, expiresAt: 0, lastToken: 0 };
  it("grants a free or expired lease with a larger token, and refuses a live one", () => {
    const first = decideAcquire(free, "a", 1000, 100);
    expect(first.status).toMatchObject({ acquired: true, token: 1 });
    expect(decideAcquire(first.next!, "b", 1000, 500).status).toMatchObject({ acquired: false, holder: "a" });
    expect(decideAcquire(first.next!, "b", 1000, 1100).status).toMatchObject({ acquired: true, holder: "b", token: 2 });
  });
  it("renews and releases only with the current token of a live lease", () => {
    const held = decideAcquire(free, "a", 1000, 0).next!;
    expect(decideHolderOp(held, 1, "renew", 5000, 500).next.expiresAt).toBe(5500);
    expect(() => decideHolderOp(held, 2, "renew", 1000, 500)).toThrow(
      expect.objectContaining({ code: "STALE_LOCK_TOKEN" }),
    );
    expect(() => decideHolderOp(held, 1, "release", 1000, 2000)).toThrow(
      expect.objectContaining({ code: "STALE_LOCK_TOKEN" }),
    );
  });
});

describe("doc-ops", () => {
  it("applies operators and pipelines, says whether anything changed, and keeps _id", () => {
    expect(applyUpdate({ _id: 1, n: 1 }, { $inc: { n: 1 } }, undefined, false)).toEqual({
      doc: { _id: 1, n: 2 },
      changed: true,
    });
    expect(applyUpdate({ _id: 1, n: 1 }, { $set: { n: 1 } }, undefined, false).changed).toBe(false);
    expect(applyUpdate({ _id: 1, n: 1 }, [{ $set: { m: { $add: ["$n", 1] } } }], undefined, false).doc).toEqual({
      _id: 1,
      n: 1,
      m: 2,
    });
    expect(() => applyUpdate({ _id: 1 }, { $set: { _id: 2 } }, undefined, false)).toThrow(
      expect.objectContaining({ code: "IMMUTABLE_FIELD" }),
    );
  });
  it("starts an upsert from the filter's equality conditions", () => {
    expect(upsertSeed({ a: 1, "b.c": 2, d: { $gt: 3 }, $and: [{ e: { $eq: 4 } }] })).toEqual({
      a: 1,
      b: { c: 2 },
      e: 4,
    });
  });
});

describe("ejson", () => {
  it("keeps 64-bit integers, decimals, dates and ObjectIds exact through text", () => {
    const doc = {
      l: Long.fromString("9007199254740993"),
      d: Decimal128.fromString("0.1"),
      t: new Date(0),
      o: new ObjectId("65f000000000000000000001"),
      neg: -0,
    };
    const back = parseEjson(stringify(doc)) as typeof doc;
    expect(String(back.l)).toBe("9007199254740993");
    expect(String(back.d)).toBe("0.1");
    expect(back.t).toEqual(doc.t);
    expect(back.o.equals(doc.o)).toBe(true);
    expect(Object.is(back.neg, -0)).toBe(true);
  });
  it("refuses text that is not JSON with a 400", () => {
    expect(() => parseEjson("{nope")).toThrow(expect.objectContaining({ status: 400 }));
  });
});
