import { Hono, type Context } from "hono";
import type { AppEnv } from "../app-env";
import { AppError, badRequest } from "../lib/errors";
import { isPlainObject, toLossyJson, type Doc } from "../lib/ejson";
import { LIMITS } from "../lib/limits";
import { authenticate } from "../middleware/auth";
import { errorCodeFor } from "../lib/data-api-errors";
import { readBody, send, wantsCanonical } from "../http";
import type { DocumentStore, IndexKeys, IndexOptions } from "../store/types";
import { useDatabase } from "../store/databases";
import { log } from "../log";
import { maxTimeFrom } from "../lib/budget";

type Handler = (store: DocumentStore, body: Doc, collection: string) => Promise<[unknown, 200 | 201]>;

/** createIndex's options as the Data API body names them (weights and default_language for text indexes). */
const indexOptions = (b: Doc): IndexOptions => ({
  unique: b.unique === true,
  name: typeof b.name === "string" ? b.name : undefined,
  weights: b.weights && typeof b.weights === "object" ? (b.weights as Record<string, number>) : undefined,
  default_language: typeof b.default_language === "string" ? b.default_language : undefined,
});

const doc = (body: Doc, key: string): Doc => {
  const v = body[key];
  if (v === undefined) throw badRequest("MISSING_PARAMETER", `${key} is required`, { parameter: key });
  if (!isPlainObject(v)) throw badRequest("INVALID_PARAMETER", `${key} must be an object`, { parameter: key });
  return v;
};
const optDoc = (body: Doc, key: string): Doc | undefined => (body[key] === undefined ? undefined : doc(body, key));
const filterOf = (body: Doc) => optDoc(body, "filter") ?? {};
const count = (body: Doc, key: string, max: number): number | undefined => {
  const v = body[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== "number" || !Number.isInteger(v) || v < 0)
    throw badRequest("INVALID_PARAMETER", `${key} must be a non-negative integer`, { parameter: key });
  if (v > max) throw badRequest("INVALID_PARAMETER", `${key} must be at most ${max}`, { parameter: key });
  return v;
};
const updateOf = (body: Doc): Doc | Doc[] => {
  if (Array.isArray(body.update)) return body.update as Doc[];
  return doc(body, "update");
};
const updateOptions = (body: Doc) => ({
  upsert: body.upsert === true,
  arrayFilters: body.arrayFilters as Doc[] | undefined,
  allowEmptyFilter: true,
});

/** The ten Data API v1 actions, plus Docflare's management extensions (used by a Docflare `data-api` backend). */
/** Who may run which action is the store's gate to decide (worker/lib/access.ts), not this table's. */
const ACTIONS: Record<string, { needsCollection: boolean; run: Handler }> = {
  findOne: {
    needsCollection: true,
    run: async (s, b, c) => {
      const found = await s.findOne(c, filterOf(b), optDoc(b, "projection"));
      return [{ document: found?.doc ?? null }, 200];
    },
  },
  find: {
    needsCollection: true,
    run: async (s, b, c) => {
      const sort = optDoc(b, "sort") as Record<string, 1 | -1> | undefined;
      const r = await s.find(c, {
        filter: filterOf(b),
        projection: optDoc(b, "projection"),
        sort,
        limit: count(b, "limit", LIMITS.maxDataApiFindLimit) ?? LIMITS.maxDataApiFindLimit,
        skip: count(b, "skip", Number.MAX_SAFE_INTEGER),
        maxTimeMS: b.maxTimeMS === undefined ? undefined : maxTimeFrom(b.maxTimeMS),
      });
      return [{ documents: r.documents }, 200];
    },
  },
  insertOne: {
    needsCollection: true,
    run: async (s, b, c) => [{ insertedId: (await s.insertOne(c, doc(b, "document"))).insertedId }, 201],
  },
  insertMany: {
    needsCollection: true,
    run: async (s, b, c) => {
      if (!Array.isArray(b.documents))
        throw badRequest("MISSING_PARAMETER", "documents must be an array", { parameter: "documents" });
      return [await s.insertMany(c, b.documents as Doc[]), 201];
    },
  },
  updateOne: {
    needsCollection: true,
    run: async (s, b, c) => [strip(await s.updateOne(c, filterOf(b), updateOf(b), updateOptions(b))), 200],
  },
  updateMany: {
    needsCollection: true,
    run: async (s, b, c) => [strip(await s.updateMany(c, filterOf(b), updateOf(b), updateOptions(b))), 200],
  },
  replaceOne: {
    needsCollection: true,
    run: async (s, b, c) => [strip(await s.replaceOne(c, filterOf(b), doc(b, "replacement"), updateOptions(b))), 200],
  },
  deleteOne: { needsCollection: true, run: async (s, b, c) => [await s.deleteOne(c, filterOf(b)), 200] },
  deleteMany: {
    needsCollection: true,
    run: async (s, b, c) => [await s.deleteMany(c, filterOf(b), { allowEmptyFilter: true }), 200],
  },
  aggregate: {
    needsCollection: true,
    run: async (s, b, c) => {
      if (!Array.isArray(b.pipeline))
        throw badRequest("MISSING_PARAMETER", "pipeline must be an array", { parameter: "pipeline" });
      return [
        {
          documents: await s.aggregate(c, b.pipeline as Doc[], {
            maxTimeMS: b.maxTimeMS === undefined ? undefined : maxTimeFrom(b.maxTimeMS),
          }),
        },
        200,
      ];
    },
  },
  listCollections: { needsCollection: false, run: async (s) => [{ collections: await s.listCollections() }, 200] },
  createCollection: {
    needsCollection: true,
    run: async (s, b, c) => {
      const info = await s.createCollection(c, { validator: b.validator });
      const { created, ...collection } = info;
      return [{ created, collection }, 200];
    },
  },
  collMod: {
    needsCollection: true,
    run: async (s, b, c) => {
      if (b.validator !== null && !isPlainObject(b.validator))
        throw badRequest("INVALID_VALIDATOR", "validator must be a JSON Schema object or null", {
          parameter: "validator",
        });
      return [{ collection: await s.setValidator(c, b.validator) }, 200];
    },
  },
  dropCollection: { needsCollection: true, run: async (s, _b, c) => [{ dropped: await s.dropCollection(c) }, 200] },
  collStats: { needsCollection: true, run: async (s, _b, c) => [{ collection: await s.collectionStats(c) }, 200] },
  createIndex: {
    needsCollection: true,
    run: async (s, b, c) => [{ index: await s.createIndex(c, doc(b, "keys") as IndexKeys, indexOptions(b)) }, 200],
  },
  listIndexes: { needsCollection: true, run: async (s, _b, c) => [{ indexes: await s.listIndexes(c) }, 200] },
  dropIndex: {
    needsCollection: true,
    run: async (s, b, c) => [{ dropped: await s.dropIndex(c, String(b.name)) }, 200],
  },
};

function strip(r: { matchedCount: number; modifiedCount: number; upsertedId?: unknown }) {
  return {
    matchedCount: r.matchedCount,
    modifiedCount: r.modifiedCount,
    ...(r.upsertedId !== undefined ? { upsertedId: r.upsertedId } : {}),
  };
}

const app = new Hono<AppEnv>();

/** Errors in the protocol's own shape, so existing Data API clients parse them unchanged. */
app.onError((err, c) => {
  const e = err instanceof AppError ? err : new AppError(500, "INTERNAL", "internal error");
  if (!(err instanceof AppError))
    log("error", "data-api unhandled error", {
      requestId: c.get("requestId"),
      error: String(err),
      stack: (err as Error).stack,
    });
  // `error_code` is the Data API's vocabulary; `code` is Docflare's own stable code (a Docflare upstream reads it).
  return c.json({ error: e.message, error_code: errorCodeFor(e), code: e.code, details: e.details }, e.status);
});

async function handle(c: Context<AppEnv>) {
  const name = c.req.param("action")!;
  // An own-property lookup: `toString` or `constructor` are not actions.
  const action = Object.hasOwn(ACTIONS, name) ? ACTIONS[name] : undefined;
  if (!action) throw new AppError(404, "UNKNOWN_ACTION", `unknown action "${name}"`, { action: name });
  const body = await readBody(c);
  if (!isPlainObject(body)) throw badRequest("INVALID_PARAMETER", "request body must be an object");
  if (typeof body.database !== "string" || !body.database)
    throw badRequest("MISSING_PARAMETER", "database is required", { parameter: "database" });
  let collection = "";
  if (action.needsCollection) {
    if (typeof body.collection !== "string" || !body.collection)
      throw badRequest("MISSING_PARAMETER", "collection is required", { parameter: "collection" });
    collection = body.collection;
  }
  await useDatabase(c.env, c.get("principal").tenant, body.database);
  const [result, status] = await action.run(c.get("store")(body.database), body, collection);
  if (wantsCanonical(c)) return send(c, result, status);
  return c.json(toLossyJson(result) as object, status);
}

app.use("/app/:appId/endpoint/data/v1/action/:action", authenticate({ dataApi: true }));
app.post("/app/:appId/endpoint/data/v1/action/:action", handle);
app.use("/action/:action", authenticate({ dataApi: true }));
app.post("/action/:action", handle);

export default app;
