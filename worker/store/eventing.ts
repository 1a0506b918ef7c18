import { buildEvent, type ChangeEvent, type OperationType, type WriteOrigin } from "../lib/change-events";
import { stringify, type Doc } from "../lib/ejson";
import type { DocumentStore, UpdateResult, WriteOptions } from "./types";

const CHUNK = 1000;
const idOf = (d: Doc) => d._id;
const sameDoc = (a: Doc, b: Doc) => stringify(a, true) === stringify(b, true);

/**
 * Change events for a backend without an outbox (the data-api upstream): sent once the upstream has acknowledged.
 * Each write is pinned to the documents read just before it (`{$and: [filter, {_id: {$in: ids}}]}`), so every
 * changed document gets its event; the full document is looked up after the write, so it may already include a
 * later change (as MongoDB's updateLookup). Many-document writes run in chunks of 1000 ids.
 */
export function withEvents(
  store: DocumentStore,
  origin: WriteOrigin,
  publish: (events: ChangeEvent[]) => Promise<void>,
): DocumentStore {
  const emit = (collection: string, items: Array<[OperationType, unknown, Doc | undefined, Doc | undefined]>) =>
    items.length
      ? publish(items.map(([op, id, before, after]) => buildEvent(origin, collection, op, id, before, after)))
      : Promise.resolve();

  async function afterDocs(collection: string, ids: unknown[]): Promise<Map<string, Doc>> {
    const { documents } = await store.find(collection, { filter: { _id: { $in: ids } }, limit: ids.length });
    return new Map(documents.map((d) => [stringify(idOf(d), true), d]));
  }

  /** Runs `write` over the matching documents chunk by chunk, each chunk pinned to the ids read for it. */
  async function pinned(
    collection: string,
    filter: Doc,
    many: boolean,
    options: WriteOptions,
    write: (pinnedFilter: Doc) => Promise<UpdateResult>,
    op: "update" | "replace",
  ): Promise<UpdateResult> {
    const total: UpdateResult = { matchedCount: 0, modifiedCount: 0 };
    let last: unknown;
    for (;;) {
      const scoped = last !== undefined ? { $and: [filter, { _id: { $gt: last } }] } : filter;
      const { documents: before } = await store.find(collection, {
        filter: scoped,
        sort: { _id: 1 },
        limit: many ? CHUNK : 1,
      });
      if (before.length === 0) {
        if (total.matchedCount > 0 || !options.upsert) return total;
        const result = await write(filter);
        if (result.upsertedId !== undefined) {
          const after = (await afterDocs(collection, [result.upsertedId])).get(stringify(result.upsertedId, true));
          await emit(collection, [["insert", result.upsertedId, undefined, after]]);
        }
        return result;
      }
      const ids = before.map(idOf);
      const result = await write({ $and: [filter, { _id: { $in: ids } }] });
      const after = await afterDocs(collection, ids);
      const items: Array<[OperationType, unknown, Doc | undefined, Doc | undefined]> = [];
      for (const b of before) {
        const a = after.get(stringify(b._id, true));
        if (a && !sameDoc(a, b)) items.push([op, b._id, b, a]);
      }
      await emit(collection, items);
      total.matchedCount += result.matchedCount;
      total.modifiedCount += result.modifiedCount;
      if (result.document) Object.assign(total, { document: result.document, etag: result.etag });
      if (!many || before.length < CHUNK) return total;
      last = ids[ids.length - 1];
    }
  }

  async function removed(
    collection: string,
    filter: Doc,
    many: boolean,
    remove: (f: Doc) => Promise<{ deletedCount: number }>,
  ) {
    let deletedCount = 0;
    for (;;) {
      const { documents: before } = await store.find(collection, { filter, sort: { _id: 1 }, limit: many ? CHUNK : 1 });
      if (before.length === 0) return { deletedCount };
      const result = await remove({ $and: [filter, { _id: { $in: before.map(idOf) } }] });
      deletedCount += result.deletedCount;
      await emit(
        collection,
        before.map((b) => ["delete", b._id, b, undefined]),
      );
      if (!many || before.length < CHUNK) return { deletedCount };
    }
  }

  // The store stays the prototype: reads pass through untouched, only the writes below are overridden.
  const overrides: Partial<DocumentStore> = {
    async insertOne(collection, doc) {
      const result = await store.insertOne(collection, doc);
      await emit(collection, [["insert", result.insertedId, undefined, { _id: result.insertedId, ...doc }]]);
      return result;
    },
    async insertMany(collection, docs) {
      const result = await store.insertMany(collection, docs);
      await emit(
        collection,
        docs.map((d, i) => ["insert", result.insertedIds[i], undefined, { _id: result.insertedIds[i], ...d }]),
      );
      return result;
    },
    updateOne: (c, f, u, o = {}) => pinned(c, f, false, o, (p) => store.updateOne(c, p, u, o), "update"),
    updateMany: (c, f, u, o = {}) => pinned(c, f, true, o, (p) => store.updateMany(c, p, u, o), "update"),
    replaceOne: (c, f, r, o = {}) => pinned(c, f, false, o, (p) => store.replaceOne(c, p, r, o), "replace"),
    deleteOne: (c, f, o = {}) => removed(c, f, false, (p) => store.deleteOne(c, p, o)),
    deleteMany: (c, f, o = {}) => removed(c, f, true, (p) => store.deleteMany(c, p, o)),
    // An import with events=false writes through the store itself, past the overrides above.
    importChunk: (c, chunk) => store.importChunk.call(chunk.events ? wrapped : store, c, chunk),
  };
  const wrapped: DocumentStore = Object.assign(Object.create(store) as DocumentStore, overrides);
  return wrapped;
}
