import { auditOf } from "../stubs";
import { createRoute, z } from "@hono/zod-openapi";
import { authorizeControl } from "../lib/access";
import { AnyJson, bearer, errorResponses, resourceApp } from "./openapi";

const app = resourceApp();
const time = z
  .string()
  .datetime({ offset: true })
  .transform((t) => Date.parse(t));

app.openapi(
  createRoute({
    method: "get",
    path: "/",
    tags: ["Audit"],
    security: bearer,
    summary: "The audit trail, newest first: filter by actor, action (a prefix) and time; page with `before`",
    request: {
      query: z.object({
        actor: z.string().max(200).optional().openapi({ example: "user:usr_…" }),
        action: z.string().max(200).optional().openapi({ example: "POST /api/keys" }),
        since: time.optional(),
        until: time.optional(),
        before: z.coerce.number().int().min(1).optional(),
        limit: z.coerce.number().int().min(1).max(500).default(100),
      }),
    },
    responses: {
      200: { description: "Entries", content: { "application/json": { schema: AnyJson } } },
      ...errorResponses,
    },
  }),
  async (c) => {
    const p = c.get("principal");
    authorizeControl(p, "audit", "read");
    return c.json(await auditOf(c.env, p.tenant).query(c.req.valid("query")));
  },
);

export default app;
