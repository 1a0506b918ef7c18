import { OpenAPIHono, z, type RouteConfig } from "@hono/zod-openapi";
import type { Handler } from "hono";
import type { AppEnv } from "../app-env";
import { AppError } from "../lib/errors";

/** Every resource app shares this hook, so a zod failure is our usual 400 naming the offending field. */
export function resourceApp() {
  return new OpenAPIHono<AppEnv>({
    defaultHook: (result) => {
      if (!result.success) {
        const issues = result.error.issues.map((i) => ({ path: i.path.join("."), message: i.message }));
        const first = issues[0];
        throw new AppError(
          400,
          "VALIDATION_FAILED",
          first ? `${first.path || "request"}: ${first.message}` : "invalid request",
          { issues },
        );
      }
    },
  });
}

export const ErrorSchema = z
  .object({ error: z.object({ code: z.string(), message: z.string(), details: z.unknown().optional() }) })
  .openapi("Error");

/**
 * Documented for every route. The body is always ErrorSchema with a stable `code`; the published document adds it to
 * every error response (worker/openapi/document.ts), while the route types leave it out so handlers may throw.
 */
export const errorResponses = {
  400: { description: "Invalid input" },
  401: { description: "Missing or invalid credentials" },
  403: { description: "Role, collection or database not allowed" },
  404: { description: "Not found" },
  409: { description: "Conflict (duplicate key, a held lock, a finished job…)" },
  413: { description: "Too large" },
  429: { description: "Over a quota or rate limit (Retry-After says when to retry)" },
};

/** For conditional writes (If-Match). */
export const preconditionFailed = { 412: { description: "The document changed since it was read (ETag mismatch)" } };

/** A JSON response of a schema, with response headers. */
export function jsonResponse(
  schema: z.ZodType,
  description: string,
  headers?: Record<string, { description: string; schema: { type: "string" } }>,
) {
  return { description, content: { "application/json": { schema } }, ...(headers ? { headers } : {}) };
}

export const AnyJson = z.any().openapi({ type: "object", description: "JSON or EJSON value" });

export const bearer = [{ bearerAuth: [] }];

/**
 * Documents a route in the OpenAPI registry but mounts its handler without zod validators. For the document routes,
 * whose inputs are free-form strings and JSON the handlers parse with their own clearer errors: the validators there
 * could never fail, yet cost a measurable share of every request.
 */
export function documented(app: OpenAPIHono<AppEnv>, route: RouteConfig, handler: Handler<AppEnv>): void {
  app.openAPIRegistry.registerPath(route);
  app.on(route.method.toUpperCase(), route.path.replace(/\{(\w+)\}/g, ":$1"), handler);
}
