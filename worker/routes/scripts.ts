import { runKey } from "../lib/schedule";
import { RUN_RETENTION } from "../lib/records";
import { createRoute, z } from "@hono/zod-openapi";
import type { Context } from "hono";
import type { AppEnv } from "../app-env";
import { stringify, fromJson } from "../lib/ejson";
import { authorizeControl } from "../lib/access";
import { badRequest } from "../lib/errors";
import { parseJsonText } from "../lib/body";
import { CreateScript, UpdateScript } from "../lib/script-config";
import { newEventId } from "../lib/change-events";
import { registryOf, schedulerOf, scriptStub } from "../stubs";
import { execute } from "../scripts/execute";
import { createScript, deleteScript, scriptNotFound, scriptView, updateScript } from "../scripts/service";
import { AnyJson, bearer, errorResponses, resourceApp } from "./openapi";

const app = resourceApp();
const ok = (description: string, status: 200 | 201 = 200) => ({
  [status]: { description, content: { "application/json": { schema: AnyJson } } },
  ...errorResponses,
});
const Id = z.object({ id: z.string().openapi({ example: "scr_3f9a..." }) });
const STATUSES = ["running", "succeeded", "failed", "retrying", "skipped"] as const;

function scope(c: Context<AppEnv>) {
  const principal = c.get("principal");
  authorizeControl(principal, "scripts", c.req.method === "GET" ? "read" : "write");
  return { tenant: principal.tenant, registry: registryOf(c.env, principal.tenant) };
}

async function scriptOf(c: Context<AppEnv>, id: string) {
  const { tenant, registry } = scope(c);
  const script = await registry.getScript(id);
  if (!script) throw scriptNotFound(id);
  return { tenant, script };
}

app.openapi(
  createRoute({
    method: "get",
    path: "/scheduled/list",
    tags: ["Scripts"],
    security: bearer,
    summary: "Cron scripts: schedule, next runs, last run and its outcome",
    responses: ok("Scheduled scripts"),
  }),
  async (c) => {
    const { tenant, registry } = scope(c);
    const [jobs, scripts] = await Promise.all([schedulerOf(c.env, tenant).list(), registry.listScripts()]);
    const names = new Map(scripts.map((s) => [s.id, s]));
    return c.json({
      scheduled: jobs
        .filter((j) => names.has(j.scriptId))
        .map((j) => ({ ...j, name: names.get(j.scriptId)!.name, enabled: names.get(j.scriptId)!.enabled })),
    });
  },
);

app.openapi(
  createRoute({
    method: "post",
    path: "/",
    tags: ["Scripts"],
    security: bearer,
    summary: "Create a script (its code is checked: it must parse and export a function)",
    request: { body: { required: true, content: { "application/json": { schema: CreateScript } } } },
    responses: ok("Created", 201),
  }),
  async (c) => c.json(scriptView(await createScript(c.env, scope(c).tenant, c.req.valid("json"))), 201),
);

app.openapi(
  createRoute({
    method: "get",
    path: "/",
    tags: ["Scripts"],
    security: bearer,
    summary: "List scripts",
    responses: ok("Scripts"),
  }),
  async (c) => c.json({ scripts: (await scope(c).registry.listScripts()).map(scriptView) }),
);

app.openapi(
  createRoute({
    method: "get",
    path: "/{id}",
    tags: ["Scripts"],
    security: bearer,
    summary: "Get a script",
    request: { params: Id },
    responses: ok("The script"),
  }),
  async (c) => c.json(scriptView((await scriptOf(c, c.req.valid("param").id)).script)),
);

app.openapi(
  createRoute({
    method: "patch",
    path: "/{id}",
    tags: ["Scripts"],
    security: bearer,
    summary: "Change a script",
    request: { params: Id, body: { required: true, content: { "application/json": { schema: UpdateScript } } } },
    responses: ok("The script"),
  }),
  async (c) =>
    c.json(scriptView(await updateScript(c.env, scope(c).tenant, c.req.valid("param").id, c.req.valid("json")))),
);

app.openapi(
  createRoute({
    method: "delete",
    path: "/{id}",
    tags: ["Scripts"],
    security: bearer,
    summary: "Delete a script",
    request: { params: Id },
    responses: ok("Deleted"),
  }),
  async (c) => {
    const id = c.req.valid("param").id;
    await deleteScript(c.env, scope(c).tenant, id);
    return c.json({ deleted: true, id });
  },
);

for (const [action, enabled] of [
  ["pause", false],
  ["resume", true],
] as const) {
  app.openapi(
    createRoute({
      method: "post",
      path: `/{id}/${action}`,
      tags: ["Scripts"],
      security: bearer,
      request: { params: Id },
      responses: ok("The script"),
      summary: enabled
        ? "Resume a script (a cron script continues from its next time, without catching up)"
        : "Pause a script: no runs until resumed",
    }),
    async (c) => c.json(scriptView(await updateScript(c.env, scope(c).tenant, c.req.valid("param").id, { enabled }))),
  );
}

const RunBody = z
  .object({
    event: z
      .record(z.string(), z.unknown())
      .optional()
      .openapi({ description: "Sample event; defaults to an insert or a schedule tick" }),
  })
  .strict();

/** A sample event shaped like the real ones, for test runs without a body. */
function sampleEvent(tenant: string, trigger: { type: string; collection?: string }, id: string) {
  if (trigger.type === "cron")
    return { type: "schedule", scriptId: id, scheduledTime: new Date().toISOString(), missed: 0, test: true };
  const collection = trigger.collection && trigger.collection !== "*" ? trigger.collection : "sample";
  return {
    id: newEventId(),
    operationType: "insert",
    tenant,
    database: "main",
    collection,
    documentKey: { _id: "sample" },
    fullDocument: { _id: "sample" },
    clusterTime: new Date().toISOString(),
    chainDepth: 0,
    test: true,
  };
}

app.openapi(
  createRoute({
    method: "post",
    path: "/{id}/run",
    tags: ["Scripts"],
    security: bearer,
    summary:
      "Run the script now in its sandbox with a sample event; returns result, logs, duration and error (with line)",
    request: { params: Id, body: { required: false, content: { "application/json": { schema: RunBody } } } },
    responses: ok("The run"),
  }),
  async (c) => {
    const { tenant, script } = await scriptOf(c, c.req.valid("param").id);
    const text = await c.req.text();
    // The body is optional, so it is read here rather than by the route's validator (which needs a Content-Type).
    const parsed = RunBody.safeParse(text.trim() ? parseJsonText(text, "body") : {});
    if (!parsed.success)
      throw badRequest("VALIDATION_FAILED", "event: must be a JSON object (the sample event)", { field: "event" });
    const event = parsed.data.event ?? sampleEvent(tenant, script.trigger, script.id);
    const eventJson = stringify(fromJson(event, "event"));
    const outcome = await execute(c.env, tenant, script, eventJson, 0);
    const key = runKey(script.id, `manual:${crypto.randomUUID()}`);
    await scriptStub(c.env, tenant, script.id).finish(
      key,
      { trigger: "manual", eventId: null, scheduledAt: null, attempt: 1 },
      {
        status: outcome.ok ? "succeeded" : "failed",
        durationMs: outcome.durationMs,
        logs: outcome.logs,
        result: outcome.result,
        error: outcome.error ?? null,
      },
    );
    return c.json({
      runKey: key,
      ok: outcome.ok,
      result: outcome.result ?? null,
      logs: outcome.logs,
      durationMs: outcome.durationMs,
      error: outcome.error ?? null,
    });
  },
);

app.openapi(
  createRoute({
    method: "get",
    path: "/{id}/executions",
    tags: ["Scripts"],
    security: bearer,
    summary: "Past runs (newest first) with statistics",
    request: {
      params: Id,
      query: z.object({
        status: z.enum(STATUSES).optional(),
        limit: z.coerce.number().int().min(1).max(200).default(50),
        before: z.coerce.number().int().min(0).optional(),
      }),
    },
    responses: ok("Executions"),
  }),
  async (c) => {
    const { tenant, script } = await scriptOf(c, c.req.valid("param").id);
    const { status, limit, before } = c.req.valid("query");
    const stub = scriptStub(c.env, tenant, script.id);
    const [page, stats] = await Promise.all([stub.executions(status, limit, before), stub.stats()]);
    const executions = page.executions.map((e) => ({
      ...e,
      result: e.result === null ? null : JSON.parse(e.result),
      error: e.error === null ? null : JSON.parse(e.error),
    }));
    return c.json({
      executions,
      nextBefore: page.nextBefore,
      stats,
      truncation: {
        logBytes: RUN_RETENTION.logBytes,
        logLines: RUN_RETENTION.logLines,
        resultBytes: RUN_RETENTION.resultBytes,
      },
    });
  },
);

export default app;
