import { createRoute, z } from "@hono/zod-openapi";
import { backendOf, storeFor } from "../store";
import { resourceApp } from "./openapi";

const app = resourceApp();
const Health = z.object({ status: z.string(), backend: z.string().optional() }).passthrough();

app.openapi(
  createRoute({
    method: "get",
    path: "/health",
    tags: ["Health"],
    summary: "Liveness",
    responses: { 200: { description: "Alive", content: { "application/json": { schema: Health } } } },
  }),
  (c) => c.json({ status: "ok" }, 200),
);

app.openapi(
  createRoute({
    method: "get",
    path: "/ready",
    tags: ["Health"],
    summary: "Readiness: the configured store answers",
    responses: {
      200: { description: "Ready", content: { "application/json": { schema: Health } } },
      503: { description: "Store unreachable", content: { "application/json": { schema: Health } } },
    },
  }),
  async (c) => {
    const backend = backendOf(c.env);
    const started = Date.now();
    try {
      await storeFor(c.env, "_system", "ready").ping();
      return c.json({ status: "ready", backend, latencyMs: Date.now() - started }, 200);
    } catch (err) {
      return c.json({ status: "unavailable", backend, error: (err as Error).message }, 503);
    }
  },
);

export default app;
