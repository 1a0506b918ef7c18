import { createRoute, z } from "@hono/zod-openapi";
import { authorizeControl, authorizeDatabase } from "../lib/access";
import { AppError } from "../lib/errors";
import { MAX_MIGRATIONS } from "../lib/migration-plan";
import { MAX_CODE_BYTES } from "../lib/script-config";
import { migrate } from "../migrations/runner";
import { knownTenants } from "../tenants";
import { AnyJson, bearer, errorResponses, resourceApp } from "./openapi";

const app = resourceApp();

const MigrationBody = z
  .object({
    command: z.enum(["status", "up", "down"]),
    migrations: z
      .array(z.object({ id: z.string().max(120), code: z.string().max(MAX_CODE_BYTES) }).strict())
      .max(MAX_MIGRATIONS),
    steps: z
      .number()
      .int()
      .min(1)
      .max(MAX_MIGRATIONS)
      .optional()
      .openapi({ description: "up: at most this many pending files; down: this many (default 1)" }),
    dryRun: z.boolean().default(false),
    kind: z.enum(["migration", "seed"]).default("migration"),
  })
  .strict();

app.openapi(
  createRoute({
    method: "post",
    path: "/",
    tags: ["Migrations"],
    security: bearer,
    summary: "Report, apply or revert migrations (or apply seeds) on the addressed database",
    description:
      "The caller sends the migration files (what `npm run migrate` reads from `migrations/`). Each file exports `up(ctx)` and `down(ctx)`, run in the script sandbox with `ctx.api` on the database named by X-Docflare-Database. Applied files are recorded in `_migrations` with a checksum; an applied file that changed is refused. A run holds the database's migration lock. `dryRun` reports what each step would change, with document counts, and writes nothing.",
    request: { body: { required: true, content: { "application/json": { schema: MigrationBody } } } },
    responses: {
      200: { description: "Status, and the steps run", content: { "application/json": { schema: AnyJson } } },
      ...errorResponses,
    },
  }),
  async (c) => {
    const p = c.get("principal");
    const body = c.req.valid("json");
    authorizeControl(p, "migrations", body.command === "status" || body.dryRun ? "read" : "write");
    const database = c.get("database");
    authorizeDatabase(p, database);
    return c.json(
      await migrate(c.env, p, database, {
        command: body.command,
        files: body.migrations,
        steps: body.steps,
        dryRun: body.dryRun,
        kind: body.kind,
      }),
    );
  },
);

app.openapi(
  createRoute({
    method: "get",
    path: "/tenants",
    tags: ["Migrations"],
    security: bearer,
    summary: "Every tenant Docflare has served (the admin token only): what `npm run migrate -- --all-tenants` walks",
    responses: {
      200: { description: "Tenants", content: { "application/json": { schema: AnyJson } } },
      ...errorResponses,
    },
  }),
  async (c) => {
    if (!c.get("principal").superAdmin) throw new AppError(403, "FORBIDDEN", "only the admin token lists every tenant");
    return c.json({ tenants: await knownTenants(c.env) });
  },
);

export default app;
