import { createRoute, z } from "@hono/zod-openapi";
import type { Context } from "hono";
import type { AppEnv } from "../app-env";
import { AppError, badRequest } from "../lib/errors";
import { isPlainObject, toJson, type Doc } from "../lib/ejson";
import { idFilter, idToPath } from "../lib/ids";
import { filterFromQuery, flag, parseCount, parseLimit, parseProjection, parseSort } from "../lib/list-params";
import { patchToUpdate } from "../lib/merge-patch";
import { memoize } from "../lib/memo";
import { maxTimeFrom } from "../lib/budget";
import type { FindQuery } from "../store/types";
import { readBody, send, sendJsonText, wantsCanonical } from "../http";
import { bearer, documented, errorResponses, jsonResponse, preconditionFailed, resourceApp } from "./openapi";
import {
  AggregateResult,
  CountResult,
  DeleteResult,
  DocumentList,
  DocumentSchema,
  etagHeader,
  FilterQuery,
  ifMatch,
  InsertResult,
  linkHeader,
  ListQuery,
  locationHeader,
  ManyUpdate,
  Pipeline,
  QueryBody,
  UpdateResult,
} from "./schemas";

const app = resourceApp();
const Collection = z.object({ collection: z.string().openapi({ example: "users" }) });
const CollectionId = Collection.extend({ id: z.string().openapi({ example: "6650c0ffee0123456789abcd" }) });

/** The route's collection and the caller's store; the store's gate decides what the caller may do with it. */
function access(c: Context<AppEnv>): { collection: string; store: ReturnType<AppEnv["Variables"]["store"]> } {
  return { collection: c.req.param("collection")!, store: c.get("store")() };
}

/** The URL of the next page: this request's URL with the new cursor and without `skip`. */
function nextPageUrl(c: Context<AppEnv>, cursor: string): string {
  const next = new URL(c.req.url);
  next.searchParams.set("cursor", cursor);
  next.searchParams.delete("skip");
  return `${next.pathname}${next.search}`;
}

async function list(c: Context<AppEnv>, query: FindQuery, nextUrl = (cursor: string) => nextPageUrl(c, cursor)) {
  const { collection, store } = access(c);
  const result = await store.find(collection, query);
  const headers: Record<string, string> = {};
  if (result.nextCursor) headers.Link = `<${nextUrl(result.nextCursor)}>; rel="next"`;
  const { nextCursor, total, explain } = result;
  if (result.documentsJson !== undefined && !wantsCanonical(c)) {
    // Stored texts are already relaxed EJSON: splice them in rather than parse and re-serialize every document.
    const tail = JSON.stringify(toJson({ count: result.count, nextCursor, total, explain }));
    return sendJsonText(`{"documents":${result.documentsJson},${tail.slice(1)}`, 200, headers);
  }
  return send(
    c,
    { documents: result.documents, count: result.documents.length, nextCursor, total, explain },
    200,
    headers,
  );
}

const listRoute = createRoute({
  method: "get",
  path: "/{collection}",
  tags: ["Documents"],
  security: bearer,
  summary: "List documents",
  operationId: "listDocuments",
  description:
    "Filter with `filter` (EJSON) and/or `field=value` and `field[$op]=value` shorthands. Unknown collections list as empty.",
  request: { params: Collection, query: ListQuery },
  responses: { 200: jsonResponse(DocumentList, "A page of documents", linkHeader), ...errorResponses },
});
/**
 * A listing's query string, parsed once per distinct string and shared: clients page and poll with the same few
 * strings, and parsing is a pure function of the text. Also keeps the string the next page's link is built on.
 */
const listQueryOf = memoize(512, (search: string) => {
  const params = new URLSearchParams(search);
  const query: FindQuery = {
    filter: filterFromQuery(params),
    sort: parseSort(params.get("sort")),
    projection: parseProjection(params.get("fields") ?? params.get("projection")),
    limit: parseLimit(params.get("limit")),
    skip: parseCount(params.get("skip"), "skip", 0, Number.MAX_SAFE_INTEGER),
    cursor: params.get("cursor") ?? undefined,
    count: flag(params.get("count")),
    explain: flag(params.get("explain")),
    maxTimeMS: params.has("maxTimeMS") ? maxTimeFrom(params.get("maxTimeMS")) : undefined,
  };
  params.delete("cursor");
  params.delete("skip");
  const rest = params.toString();
  return { query, linkPrefix: rest ? `?${rest}&cursor=` : "?cursor=" };
});

documented(app, listRoute, (c) => {
  const url = c.req.url;
  const mark = url.indexOf("?");
  const { query, linkPrefix } = listQueryOf(mark < 0 ? "" : url.slice(mark + 1));
  return list(c, query, (cursor) => `${c.req.path}${linkPrefix}${encodeURIComponent(cursor)}`);
});

const queryRoute = createRoute({
  method: "post",
  path: "/{collection}/query",
  tags: ["Documents"],
  security: bearer,
  summary: "Query with a JSON body",
  operationId: "queryDocuments",
  request: { params: Collection, body: { content: { "application/json": { schema: QueryBody } } } },
  responses: { 200: jsonResponse(DocumentList, "A page of documents", linkHeader), ...errorResponses },
});
documented(app, queryRoute, async (c) => {
  const body = await readBody(c);
  if (!isPlainObject(body)) throw badRequest("INVALID_BODY", "query body must be an object");
  const str = (v: unknown) => (v === undefined || v === null ? undefined : String(v));
  if (body.filter !== undefined && !isPlainObject(body.filter))
    throw badRequest("INVALID_FILTER", "filter must be an object", { path: "filter" });
  return list(c, {
    filter: (body.filter as Doc) ?? {},
    sort:
      body.sort === undefined
        ? undefined
        : parseSort(typeof body.sort === "string" ? body.sort : JSON.stringify(body.sort)),
    projection: (body.projection as Doc) ?? undefined,
    limit: parseLimit(str(body.limit)),
    skip: parseCount(str(body.skip), "skip", 0, Number.MAX_SAFE_INTEGER),
    cursor: str(body.cursor),
    count: body.count === true,
    explain: body.explain === true,
    maxTimeMS: body.maxTimeMS === undefined ? undefined : maxTimeFrom(body.maxTimeMS),
  });
});

const aggregateRoute = createRoute({
  method: "post",
  path: "/{collection}/aggregate",
  tags: ["Documents"],
  security: bearer,
  summary: "Run an aggregation pipeline",
  operationId: "aggregate",
  request: { params: Collection, body: { content: { "application/json": { schema: Pipeline } }, required: true } },
  responses: { 200: jsonResponse(AggregateResult, "Pipeline output"), ...errorResponses },
});
documented(app, aggregateRoute, async (c) => {
  const body = await readBody(c);
  const pipeline = Array.isArray(body) ? body : isPlainObject(body) ? body.pipeline : undefined;
  if (!Array.isArray(pipeline))
    throw badRequest("INVALID_PIPELINE", 'send a pipeline array, or {"pipeline": [...]}', { path: "pipeline" });
  const { collection, store } = access(c);
  const maxTimeMS = isPlainObject(body) && body.maxTimeMS !== undefined ? maxTimeFrom(body.maxTimeMS) : undefined;
  const documents = await store.aggregate(collection, pipeline as Doc[], { maxTimeMS });
  return send(c, { documents, count: documents.length });
});

const countRoute = createRoute({
  method: "get",
  path: "/{collection}/count",
  tags: ["Documents"],
  security: bearer,
  summary: "Count matching documents",
  operationId: "countDocuments",
  request: { params: Collection, query: FilterQuery },
  responses: { 200: jsonResponse(CountResult, "The count"), ...errorResponses },
});
documented(app, countRoute, async (c) => {
  const { collection, store } = access(c);
  const count = await store.countDocuments(collection, filterFromQuery(new URL(c.req.url).searchParams));
  return send(c, { count });
});

const insertRoute = createRoute({
  method: "post",
  path: "/{collection}",
  tags: ["Documents"],
  security: bearer,
  summary: "Insert one document or an array of documents",
  operationId: "insertDocuments",
  request: {
    params: Collection,
    body: {
      content: { "application/json": { schema: z.union([DocumentSchema, z.array(DocumentSchema)]) } },
      required: true,
    },
  },
  responses: { 201: jsonResponse(InsertResult, "Inserted", { ...locationHeader, ...etagHeader }), ...errorResponses },
});
documented(app, insertRoute, async (c) => {
  const body = await readBody(c);
  const { collection, store } = access(c);
  const base = `/api/db/${encodeURIComponent(collection)}`;
  if (Array.isArray(body)) {
    const { insertedIds } = await store.insertMany(collection, body as Doc[]);
    return send(
      c,
      { insertedIds, insertedCount: insertedIds.length },
      201,
      insertedIds.length === 1 ? { Location: `${base}/${idToPath(insertedIds[0])}` } : {},
    );
  }
  if (!isPlainObject(body)) throw badRequest("INVALID_DOCUMENT", "send a document object or an array of documents");
  const { insertedId, etag } = await store.insertOne(collection, body);
  return send(c, { insertedId }, 201, { Location: `${base}/${idToPath(insertedId)}`, ETag: etag });
});

function filterAndOptions(c: Context<AppEnv>) {
  const params = new URL(c.req.url).searchParams;
  return { filter: filterFromQuery(params), allowEmptyFilter: flag(params.get("allowEmptyFilter")) };
}

const updateManyRoute = createRoute({
  method: "patch",
  path: "/{collection}",
  tags: ["Documents"],
  security: bearer,
  summary: "Update every document matching a filter",
  operationId: "updateDocuments",
  description:
    'Body: {"filter": {...}, "update": {"$set": {...}}, "upsert": false, "arrayFilters": []}. An empty filter needs allowEmptyFilter=true.',
  request: {
    params: Collection,
    query: FilterQuery.pick({ allowEmptyFilter: true }),
    body: { content: { "application/json": { schema: ManyUpdate } }, required: true },
  },
  responses: { 200: jsonResponse(UpdateResult, "Counts"), ...errorResponses },
});
documented(app, updateManyRoute, async (c) => {
  const body = await readBody(c);
  if (!isPlainObject(body) || body.update === undefined)
    throw badRequest("INVALID_UPDATE", 'body must be {"filter": {...}, "update": {...}}', { path: "update" });
  const { collection, store } = access(c);
  const { allowEmptyFilter } = filterAndOptions(c);
  const filter = (body.filter ?? {}) as Doc;
  if (!isPlainObject(filter)) throw badRequest("INVALID_FILTER", "filter must be an object", { path: "filter" });
  const update = Array.isArray(body.update) ? (body.update as Doc[]) : patchToUpdate(body.update as Doc);
  const result = await store.updateMany(collection, filter, update, {
    upsert: body.upsert === true,
    arrayFilters: body.arrayFilters as Doc[] | undefined,
    allowEmptyFilter,
  });
  return send(c, result);
});

const deleteManyRoute = createRoute({
  method: "delete",
  path: "/{collection}",
  tags: ["Documents"],
  security: bearer,
  summary: "Delete every document matching a filter",
  operationId: "deleteDocuments",
  description:
    "The filter comes from the query string (filter and shorthands). An empty filter needs allowEmptyFilter=true.",
  request: { params: Collection, query: FilterQuery },
  responses: { 200: jsonResponse(DeleteResult, "Count deleted"), ...errorResponses },
});
documented(app, deleteManyRoute, async (c) => {
  const { collection, store } = access(c);
  const { filter, allowEmptyFilter } = filterAndOptions(c);
  return send(c, await store.deleteMany(collection, filter, { allowEmptyFilter }));
});

const notFound = (collection: string, id: string) =>
  new AppError(404, "DOCUMENT_NOT_FOUND", `no document with _id ${id} in ${collection}`, { collection, id });

const getRoute = createRoute({
  method: "get",
  path: "/{collection}/{id}",
  tags: ["Documents"],
  security: bearer,
  summary: "Get one document by _id",
  operationId: "getDocument",
  request: {
    params: CollectionId,
    query: z.object({ fields: z.string().optional() }),
    headers: z.object({
      "if-none-match": z.string().optional().openapi({ description: "an ETag: 304 when unchanged" }),
    }),
  },
  responses: {
    200: jsonResponse(DocumentSchema, "The document", etagHeader),
    304: { description: "Unchanged since the ETag sent", headers: etagHeader },
    ...errorResponses,
  },
});
documented(app, getRoute, async (c) => {
  const { collection, store } = access(c);
  const id = c.req.param("id")!;
  const found = await store.findOne(collection, idFilter(id), parseProjection(c.req.query("fields")));
  if (!found) throw notFound(collection, id);
  if (c.req.header("if-none-match") === found.etag) return c.body(null, 304, { ETag: found.etag });
  if (found.text !== undefined && !wantsCanonical(c)) {
    return sendJsonText(found.text, 200, { ETag: found.etag });
  }
  return send(c, found.doc, 200, { ETag: found.etag });
});

function writeResult(
  c: Context<AppEnv>,
  collection: string,
  id: string,
  result: { matchedCount: number; upsertedId?: unknown; document?: Doc; etag?: string },
) {
  if (result.matchedCount === 0 && result.upsertedId === undefined) throw notFound(collection, id);
  return send(
    c,
    result.document,
    result.upsertedId !== undefined ? 201 : 200,
    result.etag ? { ETag: result.etag } : {},
  );
}

const replaceRoute = createRoute({
  method: "put",
  path: "/{collection}/{id}",
  tags: ["Documents"],
  security: bearer,
  summary: "Replace a document (upsert with ?upsert=true)",
  operationId: "replaceDocument",
  request: {
    params: CollectionId,
    query: z.object({
      upsert: z.enum(["true", "false"]).optional().openapi({ description: "insert when no document has this _id" }),
    }),
    headers: z.object({ "if-match": ifMatch }),
    body: { content: { "application/json": { schema: DocumentSchema } }, required: true },
  },
  responses: {
    200: jsonResponse(DocumentSchema, "The stored document", etagHeader),
    201: jsonResponse(DocumentSchema, "Inserted (upsert)", etagHeader),
    ...errorResponses,
    ...preconditionFailed,
  },
});
documented(app, replaceRoute, async (c) => {
  const body = await readBody(c);
  if (!isPlainObject(body)) throw badRequest("INVALID_DOCUMENT", "the replacement must be a document object");
  const { collection, store } = access(c);
  const id = c.req.param("id")!;
  const filter = idFilter(id);
  const upsert = flag(c.req.query("upsert"));
  const seed =
    upsert && !("_id" in body)
      ? { _id: Array.isArray((filter._id as Doc)?.$in) ? ((filter._id as Doc).$in as unknown[])[0] : filter._id }
      : {};
  const result = await store.replaceOne(
    collection,
    filter,
    { ...seed, ...body },
    {
      upsert,
      ifMatch: c.req.header("if-match"),
      returnDocument: true,
    },
  );
  return writeResult(c, collection, id, result);
});

const patchRoute = createRoute({
  method: "patch",
  path: "/{collection}/{id}",
  tags: ["Documents"],
  security: bearer,
  summary: "Merge-patch or update-operator one document",
  operationId: "updateDocument",
  request: {
    params: CollectionId,
    headers: z.object({ "if-match": ifMatch }),
    body: { content: { "application/json": { schema: DocumentSchema } }, required: true },
  },
  responses: {
    200: jsonResponse(DocumentSchema, "The updated document", etagHeader),
    ...errorResponses,
    ...preconditionFailed,
  },
});
documented(app, patchRoute, async (c) => {
  const body = await readBody(c);
  if (!isPlainObject(body)) throw badRequest("INVALID_UPDATE", "PATCH body must be an object");
  const { collection, store } = access(c);
  const id = c.req.param("id")!;
  const result = await store.updateOne(collection, idFilter(id), patchToUpdate(body), {
    ifMatch: c.req.header("if-match"),
    returnDocument: true,
  });
  return writeResult(c, collection, id, result);
});

const deleteRoute = createRoute({
  method: "delete",
  path: "/{collection}/{id}",
  tags: ["Documents"],
  security: bearer,
  summary: "Delete one document",
  operationId: "deleteDocument",
  request: { params: CollectionId, headers: z.object({ "if-match": ifMatch }) },
  responses: { 200: jsonResponse(DeleteResult, "Deleted"), ...errorResponses, ...preconditionFailed },
});
documented(app, deleteRoute, async (c) => {
  const { collection, store } = access(c);
  const id = c.req.param("id")!;
  const { deletedCount } = await store.deleteOne(collection, idFilter(id), { ifMatch: c.req.header("if-match") });
  if (deletedCount === 0) throw notFound(collection, id);
  return send(c, { deletedCount });
});

export default app;
