import { createRoute, z } from "@hono/zod-openapi";
import type { Context } from "hono";
import type { AppEnv } from "../app-env";
import { authorizeControl, authorizeDatabase } from "../lib/access";
import { AppError, badRequest } from "../lib/errors";
import { checkDatabaseName } from "../lib/names";
import { DEFAULT_DATABASE } from "../store";
import { forgetDatabase, tenantDatabases, useDatabase } from "../store/databases";
import { AnyJson, bearer, errorResponses, resourceApp } from "./openapi";

const app = resourceApp();
const ok = (description: string, status: 200 | 201 = 200) => ({
  [status]: { description, content: { "application/json": { schema: AnyJson } } },
  ...errorResponses,
});
const Name = z.object({ name: z.string().openapi({ example: "analytics" }) });

function scope(c: Context<AppEnv>) {
  const p = c.get("principal");
  authorizeControl(p, "databases", c.req.method === "GET" ? "read" : "write");
  return p;
}

async function known(c: Context<AppEnv>, name: string) {
  const p = scope(c);
  checkDatabaseName(name);
  authorizeDatabase(p, name);
  const record = (await tenantDatabases(c.env, p.tenant)).find((d) => d.name === name);
  if (!record) throw new AppError(404, "DATABASE_NOT_FOUND", `no database "${name}"`, { database: name });
  return record;
}

/** A database's size: its collections with their document counts and bytes, read through the caller's store. */
async function stats(c: Context<AppEnv>, name: string) {
  const collections = await c.get("store")(name).listCollections();
  return {
    collections: collections.length,
    documents: collections.reduce((n, x) => n + x.count, 0),
    sizeBytes: collections.reduce((n, x) => n + x.sizeBytes, 0),
    indexes: collections.reduce((n, x) => n + x.indexes.length, 0),
  };
}

app.openapi(
  createRoute({
    method: "get",
    path: "/",
    tags: ["Databases"],
    security: bearer,
    summary: 'The tenant\'s databases ("main" always exists); address one with the X-Docflare-Database header',
    responses: ok("Databases"),
  }),
  async (c) => {
    const p = scope(c);
    const all = await tenantDatabases(c.env, p.tenant);
    return c.json({
      databases: all
        .filter((d) => !p.databases || p.databases.includes(d.name))
        .map((d) => ({ name: d.name, ...(d.createdAt ? { createdAt: d.createdAt } : {}) })),
    });
  },
);

app.openapi(
  createRoute({
    method: "post",
    path: "/",
    tags: ["Databases"],
    security: bearer,
    summary: "Create a database",
    request: {
      body: { required: true, content: { "application/json": { schema: z.object({ name: z.string() }).strict() } } },
    },
    responses: ok("Created", 201),
  }),
  async (c) => {
    const p = scope(c);
    const name = checkDatabaseName(c.req.valid("json").name);
    authorizeDatabase(p, name);
    if (!(await useDatabase(c.env, p.tenant, name)))
      throw new AppError(409, "DATABASE_EXISTS", `database "${name}" already exists`, { database: name });
    return c.json({ name, ...(await stats(c, name)) }, 201);
  },
);

app.openapi(
  createRoute({
    method: "get",
    path: "/{name}",
    tags: ["Databases"],
    security: bearer,
    summary: "A database's stats: collections, documents, bytes, indexes",
    request: { params: Name },
    responses: ok("Stats"),
  }),
  async (c) => {
    const record = await known(c, c.req.valid("param").name);
    return c.json({
      name: record.name,
      ...(record.createdAt ? { createdAt: record.createdAt } : {}),
      ...(await stats(c, record.name)),
    });
  },
);

app.openapi(
  createRoute({
    method: "delete",
    path: "/{name}",
    tags: ["Databases"],
    security: bearer,
    summary:
      'Drop a database and every collection in it; `confirm` must repeat its name ("main" is emptied, not removed)',
    request: { params: Name, query: z.object({ confirm: z.string().optional() }) },
    responses: ok("Dropped"),
  }),
  async (c) => {
    const { name } = await known(c, c.req.valid("param").name);
    if (c.req.valid("query").confirm !== name) {
      throw badRequest(
        "CONFIRMATION_REQUIRED",
        `dropping a database deletes all of its data: repeat its name as ?confirm=${name}`,
        { parameter: "confirm" },
      );
    }
    const store = c.get("store")(name);
    const collections = await store.listCollections();
    for (const x of collections) await store.dropCollection(x.name);
    const removed = name !== DEFAULT_DATABASE && (await forgetDatabase(c.env, c.get("principal").tenant, name));
    return c.json({ name, dropped: true, collections: collections.length, removed });
  },
);

export default app;
