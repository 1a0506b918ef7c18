import { createRoute, z } from "@hono/zod-openapi";
import type { Context } from "hono";
import type { AppEnv } from "../app-env";
import { authorizeControl, type ControlAction } from "../lib/access";
import { schedulerOf } from "../stubs";
import { clusterStatus, instance, tenantLocks } from "../cluster/status";
import { metricsText } from "../cluster/metrics-text";
import { AnyJson, bearer, errorResponses, resourceApp } from "./openapi";

const app = resourceApp();
const ok = (description: string) => ({
  200: { description, content: { "application/json": { schema: AnyJson } } },
  ...errorResponses,
});

function tenantOf(c: Context<AppEnv>, action: ControlAction): string {
  const principal = c.get("principal");
  authorizeControl(principal, "cluster", action);
  return principal.tenant;
}

app.openapi(
  createRoute({
    method: "get",
    path: "/status",
    tags: ["Cluster"],
    security: bearer,
    summary: "Coordinators, backlogs, active locks, and this instance",
    responses: ok("Status"),
  }),
  async (c) => c.json(await clusterStatus(c.env, tenantOf(c, "read"), c.req.raw)),
);

app.openapi(
  createRoute({
    method: "get",
    path: "/leadership",
    tags: ["Cluster"],
    security: bearer,
    summary: "Which object coordinates cron for the tenant, its lease, last tick and next alarm",
    responses: ok("Leadership"),
  }),
  async (c) =>
    c.json({ ...(await schedulerOf(c.env, tenantOf(c, "read")).leadership()), instance: instance(c.req.raw) }),
);

app.openapi(
  createRoute({
    method: "post",
    path: "/leadership/resign",
    tags: ["Cluster"],
    security: bearer,
    responses: ok("Resigned"),
    summary: "Give up the cron lease; the coordinator's next tick takes a new lease with a larger fencing token",
  }),
  async (c) => {
    const scheduler = schedulerOf(c.env, tenantOf(c, "write"));
    const resigned = await scheduler.resign();
    return c.json({ ...resigned, leadership: await scheduler.leadership() });
  },
);

app.openapi(
  createRoute({
    method: "get",
    path: "/locks",
    tags: ["Cluster"],
    security: bearer,
    summary: "Locks held now (all=true: every recently used lock)",
    request: { query: z.object({ all: z.enum(["true", "false"]).default("false") }) },
    responses: ok("Locks"),
  }),
  async (c) => c.json({ locks: await tenantLocks(c.env, tenantOf(c, "read"), c.req.valid("query").all === "true") }),
);

app.openapi(
  createRoute({
    method: "get",
    path: "/metrics",
    tags: ["Cluster"],
    security: bearer,
    summary: "Prometheus text: requests, errors, deliveries, script runs, durations",
    responses: {
      200: { description: "Prometheus exposition format", content: { "text/plain": { schema: z.string() } } },
      ...errorResponses,
    },
  }),
  async (c) =>
    c.text(await metricsText(c.env, tenantOf(c, "read")), 200, {
      "content-type": "text/plain; version=0.0.4; charset=utf-8",
    }),
);

export default app;
