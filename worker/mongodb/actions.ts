import type { Db, Document, IndexDescription } from "mongodb";
import type { Doc } from "../lib/ejson";
import type { CollectionInfo, IndexSpec } from "../store/types";
import { toMongoSchema, validatorOf } from "./schema";

/**
 * The Data API actions RemoteStore sends (the ten of Data API v1 and Docflare's management extensions), run with the
 * official driver. Every command carries `maxTimeMS`, so the server stops work nobody will wait for; the query policy
 * has already been applied in the API Worker before an action gets here.
 */
export type Action = (db: Db, p: Doc, maxTimeMS: number) => Promise<Doc>;

const NAMESPACE_NOT_FOUND = 26;
const NAMESPACE_EXISTS = 48;
const INDEX_NOT_FOUND = 27;

const codeOf = (err: unknown) => (err as { code?: unknown }).code;

function indexSpec(index: Document): IndexSpec {
  // A text index is listed by MongoDB as {_fts: "text", _ftsx: 1} with its fields in `weights`.
  const keys =
    index.key?._fts === "text"
      ? Object.fromEntries(Object.keys(index.weights ?? {}).map((f) => [f, "text" as const]))
      : (index.key as IndexSpec["keys"]);
  return {
    name: index.name,
    keys,
    unique: Boolean(index.unique),
    ...(index.weights ? { weights: index.weights } : {}),
    ...(index.default_language ? { default_language: index.default_language } : {}),
  };
}

async function listIndexes(db: Db, name: string, maxTimeMS: number): Promise<IndexSpec[]> {
  try {
    return (await db.collection(name).listIndexes({ maxTimeMS }).toArray()).map(indexSpec);
  } catch (err) {
    if (codeOf(err) === NAMESPACE_NOT_FOUND) return [];
    throw err;
  }
}

async function info(db: Db, name: string, options: Doc | undefined, maxTimeMS: number): Promise<CollectionInfo> {
  const [count, stats, indexes] = await Promise.all([
    db.collection(name).estimatedDocumentCount({ maxTimeMS }),
    db.command({ collStats: name, maxTimeMS }).catch(() => ({ size: 0 })),
    listIndexes(db, name, maxTimeMS),
  ]);
  const validator = validatorOf(options);
  return {
    name,
    count,
    sizeBytes: Number(stats.size ?? 0),
    indexes,
    ...(validator !== undefined ? { validator } : {}),
  };
}

async function optionsOf(db: Db, name: string): Promise<Doc | undefined> {
  const [found] = await db.listCollections({ name }).toArray();
  return found ? ((found as { options?: Doc }).options ?? {}) : undefined;
}

const coll = (db: Db, p: Doc) => db.collection(String(p.collection));
const validatorFor = (v: unknown) => (v === null || v === undefined ? {} : { $jsonSchema: toMongoSchema(v) });

export const ACTIONS: Record<string, Action> = {
  find: async (db, p, maxTimeMS) => ({
    documents: await coll(db, p)
      .find((p.filter as Doc) ?? {}, {
        sort: p.sort as Document,
        skip: Number(p.skip ?? 0),
        ...(p.limit !== undefined ? { limit: Number(p.limit) } : {}),
        ...(p.projection ? { projection: p.projection as Document } : {}),
        maxTimeMS,
      })
      .toArray(),
  }),
  findOne: async (db, p, maxTimeMS) => ({
    document: await coll(db, p).findOne((p.filter as Doc) ?? {}, {
      ...(p.projection ? { projection: p.projection as Document } : {}),
      maxTimeMS,
    }),
  }),
  insertOne: async (db, p, maxTimeMS) => ({
    insertedId: (await coll(db, p).insertOne(p.document as Document, { maxTimeMS })).insertedId,
  }),
  insertMany: async (db, p, maxTimeMS) => {
    const { insertedIds } = await coll(db, p).insertMany(p.documents as Document[], { maxTimeMS });
    return {
      insertedIds: Object.keys(insertedIds)
        .sort((a, b) => Number(a) - Number(b))
        .map((i) => insertedIds[Number(i)]),
    };
  },
  updateOne: (db, p, maxTimeMS) => update(db, p, maxTimeMS, false),
  updateMany: (db, p, maxTimeMS) => update(db, p, maxTimeMS, true),
  replaceOne: async (db, p, maxTimeMS) => {
    const r = await coll(db, p).replaceOne((p.filter as Doc) ?? {}, p.replacement as Document, {
      upsert: Boolean(p.upsert),
      maxTimeMS,
    });
    return {
      matchedCount: r.matchedCount,
      modifiedCount: r.modifiedCount,
      ...(r.upsertedId !== null ? { upsertedId: r.upsertedId } : {}),
    };
  },
  deleteOne: async (db, p, maxTimeMS) => ({
    deletedCount: (await coll(db, p).deleteOne((p.filter as Doc) ?? {}, { maxTimeMS })).deletedCount,
  }),
  deleteMany: async (db, p, maxTimeMS) => ({
    deletedCount: (await coll(db, p).deleteMany((p.filter as Doc) ?? {}, { maxTimeMS })).deletedCount,
  }),
  aggregate: async (db, p, maxTimeMS) => ({
    documents: await coll(db, p)
      .aggregate(p.pipeline as Document[], { maxTimeMS })
      .toArray(),
  }),
  listCollections: async (db, _p, maxTimeMS) => {
    const all = await db.listCollections({ type: "collection" }, { maxTimeMS }).toArray();
    const visible = all.filter((c) => !c.name.startsWith("system."));
    return {
      collections: await Promise.all(visible.map((c) => info(db, c.name, (c as { options?: Doc }).options, maxTimeMS))),
    };
  },
  createCollection: async (db, p, maxTimeMS) => {
    const name = String(p.collection);
    let created = true;
    try {
      await db.createCollection(name, {
        ...(p.validator !== undefined ? { validator: validatorFor(p.validator) } : {}),
        maxTimeMS,
      });
    } catch (err) {
      if (codeOf(err) !== NAMESPACE_EXISTS) throw err;
      created = false;
    }
    return { created, collection: await info(db, name, await optionsOf(db, name), maxTimeMS) };
  },
  collMod: async (db, p, maxTimeMS) => {
    const name = String(p.collection);
    try {
      await db.command({ collMod: name, validator: validatorFor(p.validator), maxTimeMS });
    } catch (err) {
      if (codeOf(err) === NAMESPACE_NOT_FOUND) return { collection: null };
      throw err;
    }
    return { collection: await info(db, name, await optionsOf(db, name), maxTimeMS) };
  },
  dropCollection: async (db, p, maxTimeMS) => {
    try {
      return { dropped: await coll(db, p).drop({ maxTimeMS }) };
    } catch (err) {
      if (codeOf(err) === NAMESPACE_NOT_FOUND) return { dropped: false };
      throw err;
    }
  },
  collStats: async (db, p, maxTimeMS) => {
    const options = await optionsOf(db, String(p.collection));
    return { collection: options ? await info(db, String(p.collection), options, maxTimeMS) : null };
  },
  createIndex: async (db, p, maxTimeMS) => {
    const { keys, collection: _c, ...options } = p;
    const description: IndexDescription = {
      key: keys as IndexDescription["key"],
      ...(options as Partial<IndexDescription>),
    };
    const name =
      description.name ??
      Object.entries(description.key as Doc)
        .map(([f, d]) => `${f}_${d}`)
        .join("_");
    // As a command: the driver's createIndexes helper does not pass maxTimeMS on.
    await db.command({ createIndexes: String(p.collection), indexes: [{ ...description, name }], maxTimeMS });
    const found = (await listIndexes(db, String(p.collection), maxTimeMS)).find((i) => i.name === name);
    return { index: found ?? { name, keys: keys as IndexSpec["keys"], unique: Boolean(options.unique) } };
  },
  listIndexes: async (db, p, maxTimeMS) => ({ indexes: await listIndexes(db, String(p.collection), maxTimeMS) }),
  dropIndex: async (db, p, maxTimeMS) => {
    try {
      await coll(db, p).dropIndex(String(p.name), { maxTimeMS });
      return { dropped: true };
    } catch (err) {
      if (codeOf(err) === INDEX_NOT_FOUND || codeOf(err) === NAMESPACE_NOT_FOUND) return { dropped: false };
      throw err;
    }
  },
};

async function update(db: Db, p: Doc, maxTimeMS: number, many: boolean): Promise<Doc> {
  const options = {
    upsert: Boolean(p.upsert),
    ...(p.arrayFilters ? { arrayFilters: p.arrayFilters as Document[] } : {}),
    maxTimeMS,
  };
  const c = coll(db, p);
  const r = many
    ? await c.updateMany((p.filter as Doc) ?? {}, p.update as Document, options)
    : await c.updateOne((p.filter as Doc) ?? {}, p.update as Document, options);
  return {
    matchedCount: r.matchedCount,
    modifiedCount: r.modifiedCount,
    ...(r.upsertedId !== null ? { upsertedId: r.upsertedId } : {}),
  };
}
