import { createRoute, z } from "@hono/zod-openapi";
import type { Context } from "hono";
import type { AppEnv } from "../app-env";
import { AppError } from "../lib/errors";
import { inferSchema } from "../lib/schema-infer";
import { send } from "../http";
import { AnyJson, bearer, errorResponses, resourceApp } from "./openapi";

const app = resourceApp();
const Name = z.object({ name: z.string().openapi({ example: "users" }) });
const ok = (description: string) => ({
  200: { description, content: { "application/json": { schema: AnyJson } } },
  ...errorResponses,
});
const IndexKeys = z.record(z.string(), z.union([z.literal(1), z.literal(-1), z.literal("text")]));

/** The caller's store: its gate decides who may manage or read which collection. */
const storeOf = (c: Context<AppEnv>) => c.get("store")();

const missing = (name: string) =>
  new AppError(404, "COLLECTION_NOT_FOUND", `collection "${name}" does not exist`, { collection: name });

app.openapi(
  createRoute({
    method: "get",
    path: "/",
    tags: ["Management"],
    security: bearer,
    summary: "List collections with counts and sizes",
    responses: ok("Collections"),
  }),
  async (c) => {
    return send(c, { collections: await storeOf(c).listCollections() });
  },
);

app.openapi(
  createRoute({
    method: "post",
    path: "/",
    tags: ["Management"],
    security: bearer,
    summary: "Create a collection, optionally with a JSON Schema validator",
    request: {
      body: {
        required: true,
        content: {
          "application/json": {
            schema: z.object({ name: z.string().min(1), validator: z.record(z.string(), z.unknown()).optional() }),
          },
        },
      },
    },
    responses: {
      201: { description: "Created", content: { "application/json": { schema: AnyJson } } },
      ...errorResponses,
    },
  }),
  async (c) => {
    const { name, validator } = c.req.valid("json");
    const info = await storeOf(c).createCollection(name, { validator });
    if (!info.created)
      throw new AppError(409, "COLLECTION_EXISTS", `collection "${name}" already exists`, { collection: name });
    const { created: _, ...rest } = info;
    return send(c, rest, 201, { Location: `/api/management/collections/${encodeURIComponent(name)}` });
  },
);

app.openapi(
  createRoute({
    method: "get",
    path: "/{name}",
    tags: ["Management"],
    security: bearer,
    summary: "Collection stats",
    request: { params: Name },
    responses: ok("Stats"),
  }),
  async (c) => {
    const { name } = c.req.valid("param");
    const stats = await storeOf(c).collectionStats(name);
    if (!stats) throw missing(name);
    return send(c, stats);
  },
);

app.openapi(
  createRoute({
    method: "patch",
    path: "/{name}",
    tags: ["Management"],
    security: bearer,
    summary:
      "Set or remove (null) the collection's JSON Schema validator; stored documents are not re-checked (as collMod)",
    request: {
      params: Name,
      body: {
        required: true,
        content: {
          "application/json": { schema: z.object({ validator: z.record(z.string(), z.unknown()).nullable() }) },
        },
      },
    },
    responses: ok("The collection with its validator"),
  }),
  async (c) => {
    const { name } = c.req.valid("param");
    const info = await storeOf(c).setValidator(name, c.req.valid("json").validator);
    if (!info) throw missing(name);
    return send(c, info);
  },
);

app.openapi(
  createRoute({
    method: "delete",
    path: "/{name}",
    tags: ["Management"],
    security: bearer,
    summary: "Drop a collection",
    request: { params: Name },
    responses: ok("Dropped"),
  }),
  async (c) => {
    const { name } = c.req.valid("param");
    if (!(await storeOf(c).dropCollection(name))) throw missing(name);
    return send(c, { dropped: name });
  },
);

app.openapi(
  createRoute({
    method: "get",
    path: "/{name}/indexes",
    tags: ["Management"],
    security: bearer,
    summary: "List indexes",
    request: { params: Name },
    responses: ok("Indexes"),
  }),
  async (c) => {
    const { name } = c.req.valid("param");
    return send(c, { indexes: await storeOf(c).listIndexes(name) });
  },
);

app.openapi(
  createRoute({
    method: "post",
    path: "/{name}/indexes",
    tags: ["Management"],
    security: bearer,
    summary: "Create a single-field, compound or text index",
    description:
      'Keys map fields to 1 or -1; a text index maps fields to "text" ("$**" indexes every string), with optional `weights` per field and `default_language` (english, or none for no stemming). A collection has at most one text index.',
    request: {
      params: Name,
      body: {
        required: true,
        content: {
          "application/json": {
            schema: z.object({
              keys: IndexKeys,
              unique: z.boolean().optional(),
              name: z.string().min(1).max(120).optional(),
              weights: z.record(z.string(), z.number().int()).optional(),
              default_language: z.string().max(40).optional(),
            }),
          },
        },
      },
    },
    responses: {
      201: { description: "Created", content: { "application/json": { schema: AnyJson } } },
      ...errorResponses,
    },
  }),
  async (c) => {
    const { name } = c.req.valid("param");
    const body = c.req.valid("json");
    const index = await storeOf(c).createIndex(name, body.keys, {
      unique: body.unique,
      name: body.name,
      weights: body.weights,
      default_language: body.default_language,
    });
    return send(c, index, 201);
  },
);

app.openapi(
  createRoute({
    method: "delete",
    path: "/{name}/indexes/{index}",
    tags: ["Management"],
    security: bearer,
    summary: "Drop an index",
    request: { params: Name.extend({ index: z.string() }) },
    responses: ok("Dropped"),
  }),
  async (c) => {
    const { name, index } = c.req.valid("param");
    if (index === "_id_") throw new AppError(400, "INVALID_INDEX", "the _id index cannot be dropped");
    if (!(await storeOf(c).dropIndex(name, index))) {
      throw new AppError(404, "INDEX_NOT_FOUND", `index "${index}" does not exist on "${name}"`, {
        collection: name,
        index,
      });
    }
    return send(c, { dropped: index });
  },
);

app.openapi(
  createRoute({
    method: "get",
    path: "/{name}/schema",
    tags: ["Management"],
    security: bearer,
    summary: "Schema inferred from a sample of documents",
    request: { params: Name, query: z.object({ sample: z.coerce.number().int().min(1).max(10_000).optional() }) },
    responses: ok("Field paths, types and frequencies"),
  }),
  async (c) => {
    const { name } = c.req.valid("param");
    const { sample } = c.req.valid("query");
    const docs = await storeOf(c).sample(name, sample ?? 1000);
    return send(c, { collection: name, ...inferSchema(docs) });
  },
);

export default app;
