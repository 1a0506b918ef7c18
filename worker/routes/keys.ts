import { createRoute, z } from "@hono/zod-openapi";
import type { Context } from "hono";
import type { AppEnv } from "../app-env";
import { AppError } from "../lib/errors";
import { checkCollectionName, checkDatabaseName, checkTenant } from "../lib/names";
import { RoleName } from "../lib/roles";
import { grantFrom, grantOf, tenantRoles } from "../auth/custom-roles";
import { authorizeControl, authorizeDatabase, authorizeGrant } from "../lib/access";
import { forgetKey } from "../middleware/auth";
import { sha256Hex } from "../lib/hash";
import { registryOf } from "../stubs";
import { AnyJson, bearer, errorResponses, resourceApp } from "./openapi";

const app = resourceApp();
const ok = (description: string) => ({
  200: { description, content: { "application/json": { schema: AnyJson } } },
  ...errorResponses,
});
const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

function randomToken(length: number): string {
  const bytes = crypto.getRandomValues(new Uint8Array(length));
  // 62 symbols: rejection would be exact; the modulo bias here is < 2^-2 per char and irrelevant at 238 bits of entropy.
  return [...bytes].map((b) => ALPHABET[b % ALPHABET.length]).join("");
}

/** Admin-token holders manage any tenant (body `tenant` or X-Docflare-Tenant); admin keys manage their own. */
function keyScope(c: Context<AppEnv>, requested?: string) {
  const principal = c.get("principal");
  authorizeControl(principal, "keys", c.req.method === "GET" ? "read" : "write");
  const tenant = requested && principal.superAdmin ? checkTenant(requested) : principal.tenant;
  if (requested && !principal.superAdmin && requested !== principal.tenant) {
    throw new AppError(403, "TENANT_FORBIDDEN", "an API key can only manage keys of its own tenant");
  }
  return { tenant, registry: registryOf(c.env, tenant) };
}

const withinGrant = (principal: Parameters<typeof authorizeGrant>[0], key: Parameters<typeof authorizeGrant>[1]) => {
  try {
    authorizeGrant(principal, key);
    return true;
  } catch {
    return false;
  }
};

const CreateKey = z.object({
  name: z.string().min(1).max(100),
  role: RoleName,
  collections: z.array(z.string()).max(100).optional(),
  databases: z
    .array(z.string())
    .max(100)
    .optional()
    .openapi({ description: "databases the key may address (default: every database)" }),
  tenant: z.string().optional(),
});

app.openapi(
  createRoute({
    method: "post",
    path: "/",
    tags: ["API keys"],
    security: bearer,
    summary: "Create an API key (the token is shown once)",
    request: { body: { required: true, content: { "application/json": { schema: CreateKey } } } },
    responses: {
      201: { description: "Created", content: { "application/json": { schema: AnyJson } } },
      ...errorResponses,
    },
  }),
  async (c) => {
    const body = c.req.valid("json");
    body.collections?.forEach(checkCollectionName);
    body.databases?.forEach(checkDatabaseName);
    const { tenant, registry } = keyScope(c, body.tenant);
    const principal = c.get("principal");
    // A limited credential's key inherits its list when none is given; it can never hold more than its creator.
    const collections = body.collections ?? principal.collections;
    authorizeGrant(principal, await grantOf(c.env, tenant, body.role, collections));
    const databases = body.databases ?? principal.databases ?? null;
    databases?.forEach((d) => authorizeDatabase(principal, d));
    const token = `dfk_${tenant}_${randomToken(40)}`;
    const record = await registry.createKey({
      id: `key_${randomToken(16)}`,
      name: body.name,
      role: body.role,
      collections,
      databases,
      prefix: token.slice(0, tenant.length + 9),
      hash: await sha256Hex(token),
    });
    return c.json({ ...record, tenant, token }, 201);
  },
);

app.openapi(
  createRoute({
    method: "get",
    path: "/",
    tags: ["API keys"],
    security: bearer,
    summary: "List API keys (never the tokens)",
    request: { query: z.object({ tenant: z.string().optional() }) },
    responses: ok("Keys"),
  }),
  async (c) => {
    const { tenant, registry } = keyScope(c, c.req.valid("query").tenant);
    const principal = c.get("principal");
    const roles = await tenantRoles(c.env, tenant);
    const keys = (await registry.listKeys()).filter((k) =>
      withinGrant(principal, grantFrom(roles, k.role, k.collections)),
    );
    return c.json({ tenant, keys });
  },
);

app.openapi(
  createRoute({
    method: "delete",
    path: "/{id}",
    tags: ["API keys"],
    security: bearer,
    summary: "Revoke an API key",
    request: { params: z.object({ id: z.string() }), query: z.object({ tenant: z.string().optional() }) },
    responses: ok("Revoked"),
  }),
  async (c) => {
    const { tenant, registry } = keyScope(c, c.req.valid("query").tenant);
    const id = c.req.valid("param").id;
    const existing = await registry.getKey(id);
    if (existing)
      authorizeGrant(
        c.get("principal"),
        grantFrom(await tenantRoles(c.env, tenant), existing.role, existing.collections),
      );
    const record = existing && (await registry.revokeKey(id));
    if (!record) throw new AppError(404, "KEY_NOT_FOUND", `no API key ${id}`, { id });
    forgetKey();
    return c.json(record);
  },
);

export default app;
