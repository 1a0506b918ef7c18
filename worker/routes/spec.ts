import { Hono } from "hono";
import { z, type OpenAPIHono } from "@hono/zod-openapi";
import { AnyJson, bearer, errorResponses } from "./openapi";
import type { AppEnv } from "../app-env";
import { schemaFromSample, schemaFromValidator, type JsonSchema } from "../lib/collection-schema";
import { renderSdk } from "../lib/sdk-typescript";
import { authenticate } from "../middleware/auth";
import { baseDocument, withCollections } from "../openapi/document";
import type { DocumentStore } from "../store/types";

/** Collections described per caller; a tenant with more is described up to this many, by name. */
const MAX_COLLECTIONS = 200;
const SAMPLE = 100;

/** Each collection the caller can see, with its document schema (validator, or inferred from a sample). */
async function collectionSchemas(store: DocumentStore): Promise<Array<{ name: string; schema: JsonSchema }>> {
  const all = (await store.listCollections()).filter((c) => !c.name.startsWith("_")).slice(0, MAX_COLLECTIONS);
  return Promise.all(
    all.map(async (c) => ({
      name: c.name,
      schema: c.validator ? schemaFromValidator(c.validator) : schemaFromSample(await store.sample(c.name, SAMPLE)),
    })),
  );
}

/**
 * The interactive docs: Swagger UI from this Worker's own static assets (docs-ui/, copied from the pinned
 * swagger-ui-dist at build), so the page works without internet and under a strict Content-Security-Policy.
 */
const DOCS_PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Docflare API</title>
<link rel="stylesheet" href="/docs-ui/swagger-ui.css">
</head>
<body>
<div id="swagger-ui"></div>
<script src="/docs-ui/swagger-ui-bundle.js"></script>
<script src="/docs-ui/init.js"></script>
</body>
</html>`;

const DOCS_HEADERS = {
  "Content-Security-Policy":
    "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; font-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  "X-Content-Type-Options": "nosniff",
  "Referrer-Policy": "no-referrer",
  "X-Frame-Options": "DENY",
};

/** /openapi.json (typed per collection when the caller sends credentials), the docs page, and the TypeScript SDK. */
export function specRoutes(root: OpenAPIHono<AppEnv>) {
  const app = new Hono<AppEnv>();
  const text = (description: string, type: string) => ({
    200: { description, content: { [type]: { schema: z.string() } } },
    ...errorResponses,
  });
  root.openAPIRegistry.registerPath({
    method: "get",
    path: "/openapi.json",
    tags: ["OpenAPI"],
    security: [],
    operationId: "getOpenApiDocument",
    summary: "This document; with credentials, also typed paths for the caller's collections in its database",
    responses: {
      200: { description: "The OpenAPI 3.1 document", content: { "application/json": { schema: AnyJson } } },
      ...errorResponses,
    },
  });
  root.openAPIRegistry.registerPath({
    method: "get",
    path: "/api/sdk/typescript",
    tags: ["OpenAPI"],
    security: bearer,
    operationId: "getTypescriptSdk",
    summary: "A TypeScript client typed by the caller's collections (one file, no dependencies)",
    responses: text("The SDK's source", "text/plain"),
  });
  let base: ReturnType<typeof baseDocument> | undefined;
  const document = () => (base ??= baseDocument(root));
  const authenticated = authenticate();

  app.get("/openapi.json", async (c) => {
    if (!c.req.header("authorization")) return c.json(document());
    let answer: Response | undefined;
    await authenticated(c, async () => {
      answer = c.json(withCollections(document(), await collectionSchemas(c.get("store")())));
    });
    return answer!;
  });

  app.get("/api/docs", (c) => c.html(DOCS_PAGE, 200, DOCS_HEADERS));

  app.get("/api/sdk/typescript", async (c) => {
    const p = c.get("principal");
    const source = renderSdk(await collectionSchemas(c.get("store")()), {
      tenant: p.tenant,
      database: c.get("database"),
    });
    return c.body(source, 200, {
      "Content-Type": "text/plain; charset=utf-8",
      "Content-Disposition": 'attachment; filename="docflare-sdk.ts"',
    });
  });
  return app;
}
