import { expect } from "vitest";
import type { DocumentStore } from "../../worker/store/types";
import { policed } from "../../worker/store/policed";
import { AppError } from "../../worker/lib/errors";
import { uniqueName } from "./api";

/** The error a promise rejects with; fails the test when it resolves. */
export async function failure(p: Promise<unknown>): Promise<AppError> {
  try {
    await p;
  } catch (err) {
    return err as AppError;
  }
  throw new Error("expected the call to fail");
}

/**
 * What every backend must do with documents, in MongoDB's terms: inserts, keyset-or-offset pages, updates, upserts,
 * replaces, counts, distinct, aggregation, deletes (an empty filter refused by the gate), and a unique index. Leaves a
 * fresh collection holding documents 5 ({n: 5}) and 1 ({n: 11}, flag unset) with indexes `_id_` and `n_1`.
 */
export async function exerciseDocumentOperations(store: DocumentStore): Promise<string> {
  const c = uniqueName();
  const docs = [1, 2, 3, 4, 5].map((n) => ({ _id: n, n, even: n % 2 === 0, tags: [`t${n % 2}`] }));
  expect((await store.insertMany(c, docs)).insertedIds).toEqual([1, 2, 3, 4, 5]);
  const page1 = await store.find(c, { sort: { n: -1 }, limit: 2, count: true });
  expect(page1.documents.map((d) => d.n)).toEqual([5, 4]);
  expect(page1.total).toBe(5);
  const page2 = await store.find(c, { sort: { n: -1 }, limit: 2, cursor: page1.nextCursor });
  const page3 = await store.find(c, { sort: { n: -1 }, limit: 2, cursor: page2.nextCursor });
  expect([...page2.documents, ...page3.documents].map((d) => d.n)).toEqual([3, 2, 1]);
  expect(page3.nextCursor).toBeUndefined();
  expect(await store.updateOne(c, { _id: 1 }, { $inc: { n: 10 } })).toMatchObject({
    matchedCount: 1,
    modifiedCount: 1,
  });
  expect(await store.updateMany(c, { even: true }, { $set: { flag: true } })).toMatchObject({
    matchedCount: 2,
    modifiedCount: 2,
  });
  const up = await store.updateOne(c, { _id: 9 }, { $set: { n: 9 } }, { upsert: true, returnDocument: true });
  expect(up.upsertedId).toBe(9);
  expect(up.document).toEqual({ _id: 9, n: 9 });
  expect(await store.replaceOne(c, { _id: 2 }, { n: 2, replaced: true })).toMatchObject({ matchedCount: 1 });
  expect((await store.findOne(c, { _id: 2 }))?.doc).toEqual({ _id: 2, n: 2, replaced: true });
  expect(await store.countDocuments(c, { n: { $gt: 3 } })).toBe(4);
  expect((await store.distinct(c, "tags", {})).sort()).toEqual(["t0", "t1"]);
  expect(await store.aggregate(c, [{ $match: { even: true } }, { $count: "k" }])).toEqual([{ k: 1 }]);
  expect(await store.deleteOne(c, { _id: 9 })).toEqual({ deletedCount: 1 });
  const gate = policed(store, { tenant: "t", role: "admin", collections: null, keyId: null, superAdmin: true });
  await expect(gate.deleteMany(c, {})).rejects.toMatchObject({ code: "EMPTY_FILTER" });
  expect(await store.deleteMany(c, { n: { $lt: 5 } })).toEqual({ deletedCount: 3 });
  expect(await store.createIndex(c, { n: 1 }, { unique: true })).toMatchObject({ name: "n_1", unique: true });
  expect((await store.listIndexes(c)).map((i) => i.name)).toEqual(["_id_", "n_1"]);
  expect(await failure(store.insertOne(c, { n: 5 }))).toMatchObject({ status: 409, code: "DUPLICATE_KEY" });
  return c;
}
