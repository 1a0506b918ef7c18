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
        throw new AppError(400, "VALIDATION_FAILED", first ? `${first.path || "request"}: ${first.message}` : "invalid request", { issues });
      }
    },
  });
}

export const ErrorSchema = z
  .object({ error: z.object({ code: z.string(), message: z.string(), details: z.unknown().optional() }) })
  .openapi("Error");

/** Documented for every route; the body is always ErrorSchema (left out of the typed responses so handlers may throw). */
export const errorResponses = {
  400: { description: "Invalid input: `{ error: { code, message, details } }`" },
  401: { description: "Missing or invalid credentials" },
  403: { description: "Role or collection not allowed" },
};

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
