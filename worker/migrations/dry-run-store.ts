import { ObjectId } from "bson";
import type { Doc } from "../lib/ejson";
import type { DocumentStore, UpdateResult } from "../store/types";

/** One change a dry run would make: the operation, its collection and how many documents it would touch. */
export interface PlannedChange {
  op: string;
  collection: string;
  documents?: number;
  detail?: unknown;
}

/**
 * A store that reads for real and writes nothing: each write is recorded with the number of documents it would
 * affect (counted with its filter), so a dry run shows what a migration would change.
 */
export function dryRunStore(store: DocumentStore, plan: PlannedChange[]): DocumentStore {
  const count = (c: string, f: Doc) => store.countDocuments(c, f);
  const update = async (op: string, c: string, f: Doc, many: boolean, upsert?: boolean): Promise<UpdateResult> => {
    const matched = many ? await count(c, f) : Math.min(1, await count(c, f));
    if (matched === 0 && upsert) {
      plan.push({ op: `${op} (upsert)`, collection: c, documents: 1 });
      return { matchedCount: 0, modifiedCount: 0, upsertedId: new ObjectId() };
    }
    plan.push({ op, collection: c, documents: matched });
    return { matchedCount: matched, modifiedCount: matched };
  };
  const overrides: Partial<DocumentStore> = {
    async insertOne(c, d) {
      plan.push({ op: "insert", collection: c, documents: 1 });
      return { insertedId: d._id ?? new ObjectId(), etag: "" };
    },
    async insertMany(c, docs) {
      plan.push({ op: "insertMany", collection: c, documents: docs.length });
      return { insertedIds: docs.map((d) => d._id ?? new ObjectId()) };
    },
    updateOne: (c, f, _u, o) => update("update", c, f, false, o?.upsert),
    updateMany: (c, f, _u, o) => update("updateMany", c, f, true, o?.upsert),
    replaceOne: (c, f, _r, o) => update("replace", c, f, false, o?.upsert),
    async deleteOne(c, f) {
      const n = Math.min(1, await count(c, f));
      plan.push({ op: "delete", collection: c, documents: n });
      return { deletedCount: n };
    },
    async deleteMany(c, f) {
      const n = await count(c, f);
      plan.push({ op: "deleteMany", collection: c, documents: n });
      return { deletedCount: n };
    },
    async createCollection(name, o) {
      const existing = await store.collectionStats(name);
      plan.push({
        op: "createCollection",
        collection: name,
        detail: { exists: existing !== null, validator: o.validator ?? null },
      });
      return { ...(existing ?? { name, count: 0, sizeBytes: 0, indexes: [] }), created: existing === null };
    },
    async dropCollection(name) {
      const existing = await store.collectionStats(name);
      plan.push({ op: "dropCollection", collection: name, documents: existing?.count ?? 0 });
      return existing !== null;
    },
    async setValidator(name, validator) {
      const existing = await store.collectionStats(name);
      plan.push({ op: "setValidator", collection: name, documents: existing?.count ?? 0, detail: { validator } });
      return existing;
    },
    async createIndex(c, keys, options) {
      plan.push({
        op: "createIndex",
        collection: c,
        documents: (await store.collectionStats(c))?.count ?? 0,
        detail: { keys, options },
      });
      return {
        name:
          options.name ??
          Object.entries(keys)
            .map(([k, v]) => `${k}_${v}`)
            .join("_"),
        keys,
        unique: options.unique ?? false,
      };
    },
    async dropIndex(c, name) {
      plan.push({ op: "dropIndex", collection: c, detail: { name } });
      return (await store.listIndexes(c)).some((i) => i.name === name);
    },
  };
  return Object.assign(Object.create(store) as DocumentStore, overrides);
}
