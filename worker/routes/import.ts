import { createRoute, z } from "@hono/zod-openapi";
import type { Context } from "hono";
import type { AppEnv } from "../app-env";
import { AppError, badRequest } from "../lib/errors";
import { parseJsonParam } from "../lib/list-params";
import { detectFormat, ImportOptions, type ImportFormat } from "../lib/import-rows";
import { batchesOf, dryRun, runImport } from "../imports/run";
import { failuresCsv } from "../lib/import-report";
import { AnyJson, bearer, documented, errorResponses, resourceApp } from "./openapi";

const app = resourceApp();
const JOB_ID = /^[A-Za-z0-9_-]{1,64}$/;

const importRoute = createRoute({
  method: "post",
  path: "/{collection}/import",
  tags: ["Documents"],
  security: bearer,
  summary:
    "Import CSV, TSV, NDJSON, a JSON array or an XLSX sheet as a job, with a column mapping, field types, upsert keys and a dry run",
  description: [
    "The body is the file (format from Content-Type or `format`), streamed: text formats have no size limit beyond the platform's request body limit; XLSX takes up to 32 MiB.",
    'Options: `mapping` (JSON: column → field, dotted paths nest, "" skips), `types` (JSON: field → auto|string|number|integer|decimal|boolean|date|objectId|json), `nullIfEmpty`, `upsertKeys` (comma-separated), `onError` (skip|stop), `events` (false: no change events), `formulas` (reject|keep), `sheet` (XLSX), `dryRun=true` (a preview; writes nothing).',
    "The import is a job (`jobId` names it; sending the same file again under the same id resumes it without applying any chunk twice). Its progress, cancel and report of failed rows are under `/imports/{jobId}`.",
  ].join("\n\n"),
  request: {
    params: z.object({ collection: z.string() }),
    query: z.object({
      format: z.string().optional(),
      dryRun: z.string().optional(),
      mapping: z.string().optional(),
      types: z.string().optional(),
      nullIfEmpty: z.string().optional(),
      upsertKeys: z.string().optional(),
      onError: z.string().optional(),
      events: z.string().optional(),
      formulas: z.string().optional(),
      sheet: z.string().optional(),
      jobId: z.string().optional(),
    }),
  },
  responses: {
    200: {
      description: "The job's outcome (or, in a dry run, the preview) and its first bad rows",
      content: { "application/json": { schema: AnyJson } },
    },
    ...errorResponses,
  },
});

const bool = (v: string | null) => (v === null ? undefined : v !== "false");

function optionsOf(params: URLSearchParams): ImportOptions {
  const parsed = ImportOptions.safeParse({
    mapping: params.has("mapping") ? parseJsonParam("mapping", params.get("mapping")!) : undefined,
    types: params.has("types") ? parseJsonParam("types", params.get("types")!) : undefined,
    nullIfEmpty: bool(params.get("nullIfEmpty")),
    upsertKeys: params
      .get("upsertKeys")
      ?.split(",")
      .map((k) => k.trim())
      .filter(Boolean),
    onError: params.get("onError") ?? undefined,
    events: bool(params.get("events")),
    formulas: params.get("formulas") ?? undefined,
    sheet: params.get("sheet") ?? undefined,
  });
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw badRequest("INVALID_PARAMETER", `${issue.path.join(".")}: ${issue.message}`, {
      parameter: String(issue.path[0]),
    });
  }
  return parsed.data;
}

documented(app, importRoute, async (c: Context<AppEnv>) => {
  const collection = c.req.param("collection")!;
  const params = new URL(c.req.url).searchParams;
  const format: ImportFormat = detectFormat(c.req.header("content-type") ?? "", params.get("format"));
  const options = optionsOf(params);
  const store = c.get("store")();
  const body = c.req.raw.body;
  if (params.get("dryRun") === "true") {
    return c.json(await dryRun(store, collection, format, options, () => batchesOf(body, format, options.sheet)));
  }
  const jobId = params.get("jobId") ?? `imp_${crypto.randomUUID().replaceAll("-", "")}`;
  if (!JOB_ID.test(jobId))
    throw badRequest("INVALID_PARAMETER", "jobId is 1-64 letters, digits, _ or -", { parameter: "jobId" });
  c.header("Location", `/api/db/${encodeURIComponent(collection)}/imports/${jobId}`);
  return c.json(
    await runImport(store, collection, jobId, format, options, () => batchesOf(body, format, options.sheet)),
  );
});

const jobParams = z.object({ collection: z.string(), jobId: z.string() });

const listRoute = createRoute({
  method: "get",
  path: "/{collection}/imports",
  tags: ["Documents"],
  security: bearer,
  summary: "The collection's recent import jobs, newest first",
  request: { params: z.object({ collection: z.string() }) },
  responses: { 200: { description: "Jobs", content: { "application/json": { schema: AnyJson } } }, ...errorResponses },
});
documented(app, listRoute, async (c: Context<AppEnv>) =>
  c.json({ jobs: await c.get("store")().importJobs.list(c.req.param("collection")!, 50) }),
);

async function jobOf(c: Context<AppEnv>) {
  const store = c.get("store")();
  const job = await store.importJobs.get(c.req.param("jobId")!);
  if (!job || job.collection !== c.req.param("collection"))
    throw new AppError(404, "IMPORT_JOB_NOT_FOUND", "no such import job for this collection");
  return { store, job };
}

const getRoute = createRoute({
  method: "get",
  path: "/{collection}/imports/{jobId}",
  tags: ["Documents"],
  security: bearer,
  summary: "An import job's status and progress (rows read, inserted, updated, skipped, failed)",
  request: { params: jobParams },
  responses: {
    200: { description: "The job", content: { "application/json": { schema: AnyJson } } },
    ...errorResponses,
  },
});
documented(app, getRoute, async (c: Context<AppEnv>) => c.json((await jobOf(c)).job));

const cancelRoute = createRoute({
  method: "post",
  path: "/{collection}/imports/{jobId}/cancel",
  tags: ["Documents"],
  security: bearer,
  summary: "Cancel a running import: no chunk after the current one is written",
  request: { params: jobParams },
  responses: {
    200: { description: "The job", content: { "application/json": { schema: AnyJson } } },
    ...errorResponses,
  },
});
documented(app, cancelRoute, async (c: Context<AppEnv>) => {
  const { store, job } = await jobOf(c);
  if (job.status !== "running")
    throw new AppError(409, "IMPORT_JOB_NOT_RUNNING", `the job is ${job.status}`, { status: job.status });
  return c.json(await store.importJobs.cancel(job.id));
});

const reportRoute = createRoute({
  method: "get",
  path: "/{collection}/imports/{jobId}/report",
  tags: ["Documents"],
  security: bearer,
  summary: "The job's failed rows (row, code, path, reason) as CSV, or JSON with format=json",
  request: { params: jobParams, query: z.object({ format: z.enum(["csv", "json"]).default("csv") }) },
  responses: { 200: { description: "The report, as an attachment" }, ...errorResponses },
});
documented(app, reportRoute, async (c: Context<AppEnv>) => {
  const { store, job } = await jobOf(c);
  const pages = async function* () {
    let after = 0;
    for (;;) {
      const page = await store.importJobs.failures(job.id, after, 1000);
      if (page.length === 0) return;
      yield page;
      after = page[page.length - 1].row;
    }
  };
  if (c.req.query("format") === "json") {
    const all = [];
    for await (const page of pages()) all.push(...page);
    return c.json({ jobId: job.id, failures: all });
  }
  c.header("Content-Type", "text/csv; charset=utf-8");
  c.header("Content-Disposition", `attachment; filename="${job.id}-failed-rows.csv"`);
  return c.body(failuresCsv(pages()));
});

export default app;
