import { createRoute } from "@hono/zod-openapi";
import type { Context } from "hono";
import type { AppEnv } from "../app-env";
import { authorizeControl } from "../lib/access";
import { QuotaConfig } from "../lib/quota";
import { registryOf } from "../stubs";
import { quotaCache } from "../middleware/quotas";
import { AnyJson, bearer, errorResponses, resourceApp } from "./openapi";

const app = resourceApp();
const ok = (description: string) => ({
  200: { description, content: { "application/json": { schema: AnyJson } } },
  ...errorResponses,
});

function scope(c: Context<AppEnv>) {
  const p = c.get("principal");
  authorizeControl(p, "quotas", c.req.method === "GET" ? "read" : "write");
  return { tenant: p.tenant, registry: registryOf(c.env, p.tenant) };
}

app.openapi(
  createRoute({
    method: "get",
    path: "/",
    tags: ["Quotas"],
    security: bearer,
    summary: "The tenant's request quotas (null: none)",
    responses: ok("Quotas"),
  }),
  async (c) => {
    const snap = await scope(c).registry.settingSnapshot("quotas");
    return c.json({ quotas: snap.value ? JSON.parse(snap.value) : null });
  },
);

app.openapi(
  createRoute({
    method: "put",
    path: "/",
    tags: ["Quotas"],
    security: bearer,
    summary: "Set request quotas per key, user, client address and role",
    request: { body: { required: true, content: { "application/json": { schema: QuotaConfig } } } },
    responses: ok("Quotas"),
  }),
  async (c) => {
    const { tenant, registry } = scope(c);
    const config = c.req.valid("json");
    await registry.setSetting("quotas", JSON.stringify(config));
    quotaCache.invalidate(tenant);
    return c.json({ quotas: config });
  },
);

app.openapi(
  createRoute({
    method: "delete",
    path: "/",
    tags: ["Quotas"],
    security: bearer,
    summary: "Remove every quota of the tenant",
    responses: ok("Removed"),
  }),
  async (c) => {
    const { tenant, registry } = scope(c);
    await registry.setSetting("quotas", null);
    quotaCache.invalidate(tenant);
    return c.json({ quotas: null });
  },
);

export default app;
