import type { OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "../app-env";
import { typeName, type JsonSchema } from "../lib/collection-schema";

type Doc = ReturnType<OpenAPIHono<AppEnv>["getOpenAPI31Document"]>;
type Operation = Record<string, unknown> & {
  operationId?: string;
  security?: unknown[];
  responses?: Record<string, Record<string, unknown>>;
  parameters?: unknown[];
};

const METHODS = ["get", "put", "post", "delete", "patch", "head", "options"] as const;

/** Routes anyone may call: health, sign-in, the published keys and documents. */
const PUBLIC = [
  /^get \/health$/,
  /^get \/ready$/,
  /^post \/api\/auth\/(login|refresh|logout)$/,
  /^get \/\.well-known\//,
];

const headerParam = (name: string, description: string) => ({
  name,
  in: "header",
  required: false,
  schema: { type: "string" },
  description,
});
const TENANT = headerParam("X-Docflare-Tenant", "the tenant, for the admin token or an external issuer's token");
const DATABASE = headerParam("X-Docflare-Database", 'the tenant database (default "main")');
const ERROR = { "application/json": { schema: { $ref: "#/components/schemas/Error" } } };

/** get /api/keys/{id}/rotate → getKeysByIdRotate: stable, readable and unique per operation. */
function operationId(method: string, path: string): string {
  const words = path
    .split("/")
    .filter((s) => s && s !== "api")
    .map((s) => (s.startsWith("{") ? `By${s.slice(1, -1)}` : s))
    .flatMap((s) => s.split(/[^A-Za-z0-9]+/))
    .filter(Boolean)
    .map((w) => w[0].toUpperCase() + w.slice(1));
  return method + words.join("");
}

function operations(doc: Doc): Array<[string, string, Operation]> {
  const out: Array<[string, string, Operation]> = [];
  for (const [path, item] of Object.entries(doc.paths ?? {})) {
    for (const method of METHODS) {
      const op = (item as Record<string, Operation | undefined>)[method];
      if (op) out.push([path, method, op]);
    }
  }
  return out;
}

/**
 * The published document: every operation with an operationId and its security (none on public routes), error
 * responses with the Error body, and the tenant and database headers where they apply.
 */
export function baseDocument(app: OpenAPIHono<AppEnv>): Doc {
  const doc = app.getOpenAPI31Document({
    openapi: "3.1.0",
    info: {
      title: "Docflare",
      version: "0.1.0",
      description:
        "MongoDB-style document collections as an HTTP API on Cloudflare Workers. Send credentials when fetching this document to get typed paths for your own collections.",
    },
    servers: [{ url: "/", description: "this deployment" }],
    security: [{ bearerAuth: [] }],
  });
  for (const [path, method, op] of operations(doc)) {
    op.operationId ??= operationId(method, path);
    if (PUBLIC.some((p) => p.test(`${method} ${path}`))) op.security = [];
    for (const [code, response] of Object.entries(op.responses ?? {})) {
      if (Number(code) >= 400 && !response.content && !path.includes("/action/")) response.content = ERROR;
    }
    const params = (op.parameters ??= []) as Array<{ name: string }>;
    const has = (n: string) => params.some((p) => p.name.toLowerCase() === n.toLowerCase());
    if (path.startsWith("/api/") && !path.startsWith("/api/auth/") && !has("X-Docflare-Tenant")) params.push(TENANT);
    if (/^\/api\/(db|management|migrations|sdk)\b/.test(path) && !has("X-Docflare-Database")) params.push(DATABASE);
    if (params.length === 0) delete op.parameters;
  }
  return doc;
}

/** Replaces the generic document schema with a collection's own in one operation (a deep copy). */
function typed(op: Operation, type: string, verb: string): Operation {
  const text = JSON.stringify(op)
    .replaceAll('"#/components/schemas/DocumentList"', `"#/components/schemas/${type}List"`)
    .replaceAll('"#/components/schemas/Document"', `"#/components/schemas/${type}"`);
  const copy = JSON.parse(text) as Operation;
  copy.operationId = `${verb}${type}`;
  copy.parameters = (copy.parameters as Array<{ name: string; in: string }> | undefined)?.filter(
    (p) => !(p.in === "path" && p.name === "collection"),
  );
  return copy;
}

/**
 * The document for one caller: the base plus typed paths for each collection it can see (/api/db/orders with the
 * Orders schema), so a generated client knows the shape of every document.
 */
export function withCollections(base: Doc, collections: Array<{ name: string; schema: JsonSchema }>): Doc {
  const doc = structuredClone(base) as Doc & { components: { schemas: Record<string, unknown> } };
  const list = doc.paths?.["/api/db/{collection}"] as Record<string, Operation>;
  const one = doc.paths?.["/api/db/{collection}/{id}"] as Record<string, Operation>;
  const used = new Set(Object.keys(doc.components.schemas));
  for (const c of collections) {
    let type = typeName(c.name);
    while (used.has(type) || used.has(`${type}List`)) type = `${type}_`;
    used.add(type);
    used.add(`${type}List`);
    doc.components.schemas[type] = c.schema;
    doc.components.schemas[`${type}List`] = {
      type: "object",
      required: ["documents", "count"],
      properties: {
        documents: { type: "array", items: { $ref: `#/components/schemas/${type}` } },
        count: { type: "integer" },
        nextCursor: { type: "string" },
        total: { type: "integer" },
      },
    };
    const tag = `Collection ${c.name}`;
    const at = (op: Operation, verb: string) => ({ ...typed(op, type, verb), tags: [tag] });
    doc.paths![`/api/db/${c.name}`] = { get: at(list.get, "list"), post: at(list.post, "insert") } as never;
    doc.paths![`/api/db/${c.name}/{id}`] = {
      get: at(one.get, "get"),
      put: at(one.put, "replace"),
      patch: at(one.patch, "update"),
      delete: at(one.delete, "delete"),
    } as never;
  }
  return doc;
}
