import { RESERVED_LOCK_PREFIX } from "../stubs";
import { createRoute, z } from "@hono/zod-openapi";
import type { Context } from "hono";
import type { AppEnv } from "../app-env";
import { AppError, unwrap } from "../lib/errors";
import { LEASE_LIMITS } from "../lib/lease";
import { authorizeControl, type ControlAction } from "../lib/access";
import { lockOf, registryOf } from "../stubs";
import { AnyJson, bearer, errorResponses, resourceApp } from "./openapi";

const app = resourceApp();
const Name = z.object({
  name: z
    .string()
    .regex(/^[A-Za-z0-9._:-]{1,128}$/, "letters, digits and . _ : - (1-128)")
    .refine((n) => !n.startsWith(RESERVED_LOCK_PREFIX), `names starting with "${RESERVED_LOCK_PREFIX}" are reserved`),
});
const ok = (description: string) => ({
  200: { description, content: { "application/json": { schema: AnyJson } } },
  ...errorResponses,
  409: { description: "Held by another holder, or a stale token" },
});
const ttl = z.number().int().min(LEASE_LIMITS.minTtlMs).max(LEASE_LIMITS.maxTtlMs);

/** Locks are per tenant: the object's name is tenant + lock name, so tenants never contend. */
function lockFor(c: Context<AppEnv>, action: ControlAction) {
  const principal = c.get("principal");
  authorizeControl(principal, "locks", action);
  const name = c.req.param("name")!;
  return lockOf(c.env, principal.tenant, name);
}

app.openapi(
  createRoute({
    method: "post",
    path: "/{name}/acquire",
    tags: ["Locks"],
    security: bearer,
    summary: "Take the lease (optionally waiting up to waitMs); the fencing token grows with every grant",
    request: {
      params: Name,
      body: {
        required: true,
        content: {
          "application/json": {
            schema: z.object({
              holder: z.string().min(1).max(200),
              ttlMs: ttl.default(30_000),
              waitMs: z.number().int().min(0).max(LEASE_LIMITS.maxWaitMs).default(0),
            }),
          },
        },
      },
    },
    responses: ok("Granted"),
  }),
  async (c) => {
    const { holder, ttlMs, waitMs } = c.req.valid("json");
    const status = unwrap(await lockFor(c, "write").acquire(holder, ttlMs, waitMs));
    if (status.acquired) await registryOf(c.env, c.get("principal").tenant).noteLock(c.req.valid("param").name);
    if (!status.acquired)
      throw new AppError(409, "LOCK_HELD", `lock is held by ${status.holder} until ${status.expiresAt}`, status);
    return c.json(status, 200);
  },
);

app.openapi(
  createRoute({
    method: "post",
    path: "/{name}/renew",
    tags: ["Locks"],
    security: bearer,
    summary: "Extend the lease (current token only)",
    request: {
      params: Name,
      body: {
        required: true,
        content: {
          "application/json": { schema: z.object({ token: z.number().int().min(1), ttlMs: ttl.default(30_000) }) },
        },
      },
    },
    responses: ok("Renewed"),
  }),
  async (c) => {
    const { token, ttlMs } = c.req.valid("json");
    return c.json(unwrap(await lockFor(c, "write").renew(token, ttlMs)), 200);
  },
);

app.openapi(
  createRoute({
    method: "post",
    path: "/{name}/release",
    tags: ["Locks"],
    security: bearer,
    summary: "Release the lease (current token only)",
    request: {
      params: Name,
      body: {
        required: true,
        content: { "application/json": { schema: z.object({ token: z.number().int().min(1) }) } },
      },
    },
    responses: ok("Released"),
  }),
  async (c) => c.json(unwrap(await lockFor(c, "write").release(c.req.valid("json").token)), 200),
);

app.openapi(
  createRoute({
    method: "get",
    path: "/{name}",
    tags: ["Locks"],
    security: bearer,
    summary: "Lock status",
    request: { params: Name },
    responses: ok("Status"),
  }),
  async (c) => c.json(await lockFor(c, "read").status(), 200),
);

export default app;
