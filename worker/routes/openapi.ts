import { OpenAPIHono, z } from "@hono/zod-openapi";
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
