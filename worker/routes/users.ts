import { identityOf } from "../stubs";
import { createRoute, z } from "@hono/zod-openapi";
import type { Context } from "hono";
import type { AppEnv } from "../app-env";
import { AppError } from "../lib/errors";
import { checkCollectionName } from "../lib/names";
import { RoleName } from "../lib/roles";
import { grantFrom, grantOf, tenantRoles } from "../auth/custom-roles";
import { authorizeControl, authorizeGrant } from "../lib/access";
import { hashPassword } from "../lib/password";
import { forgetSession } from "../middleware/auth";
import { AnyJson, bearer, errorResponses, resourceApp } from "./openapi";

const app = resourceApp();
const ok = (description: string, status: 200 | 201 = 200) => ({
  [status]: { description, content: { "application/json": { schema: AnyJson } } },
  ...errorResponses,
});
const Id = z.object({ id: z.string() });
const Password = z.string().min(8, "at least 8 characters").max(256);
const CreateUser = z
  .object({
    email: z.string().trim().toLowerCase().email().max(254),
    password: Password,
    role: RoleName,
    collections: z.array(z.string()).max(100).nullable().optional(),
  })
  .strict();
const UpdateUser = z
  .object({
    role: RoleName.optional(),
    collections: z.array(z.string()).max(100).nullable().optional(),
    disabled: z.boolean().optional(),
  })
  .strict();

/** Admins of the tenant manage its users; what a user is granted stays within what the admin holds. */
function scope(c: Context<AppEnv>) {
  const p = c.get("principal");
  authorizeControl(p, "users", c.req.method === "GET" ? "read" : "write");
  return { principal: p, identity: identityOf(c.env, p.tenant) };
}

async function userOf(c: Context<AppEnv>, id: string) {
  const { principal, identity } = scope(c);
  const user = await identity.getUser(id);
  if (!user) throw new AppError(404, "USER_NOT_FOUND", `no user ${id}`, { id });
  authorizeGrant(principal, grantFrom(await tenantRoles(c.env, principal.tenant), user.role, user.collections));
  return { principal, identity, user };
}

app.openapi(
  createRoute({
    method: "post",
    path: "/",
    tags: ["Users"],
    security: bearer,
    summary: "Create a user (email and password)",
    request: { body: { required: true, content: { "application/json": { schema: CreateUser } } } },
    responses: ok("Created", 201),
  }),
  async (c) => {
    const { principal, identity } = scope(c);
    const body = c.req.valid("json");
    body.collections?.forEach(checkCollectionName);
    const collections = body.collections === undefined ? principal.collections : body.collections;
    authorizeGrant(principal, await grantOf(c.env, principal.tenant, body.role, collections));
    const user = await identity.createUser({
      id: `usr_${crypto.randomUUID().replaceAll("-", "")}`,
      email: body.email,
      password: await hashPassword(body.password),
      role: body.role,
      collections,
    });
    if (!user) throw new AppError(409, "USER_EXISTS", "a user with this email already exists");
    return c.json(user, 201);
  },
);

app.openapi(
  createRoute({
    method: "get",
    path: "/",
    tags: ["Users"],
    security: bearer,
    summary: "List users (never their passwords)",
    responses: ok("Users"),
  }),
  async (c) => c.json({ users: await scope(c).identity.listUsers() }),
);

app.openapi(
  createRoute({
    method: "get",
    path: "/{id}",
    tags: ["Users"],
    security: bearer,
    summary: "Get a user",
    request: { params: Id },
    responses: ok("The user"),
  }),
  async (c) => c.json((await userOf(c, c.req.valid("param").id)).user),
);

app.openapi(
  createRoute({
    method: "patch",
    path: "/{id}",
    tags: ["Users"],
    security: bearer,
    summary: "Change a user's role or collections, or disable them (disabling signs them out everywhere)",
    request: { params: Id, body: { required: true, content: { "application/json": { schema: UpdateUser } } } },
    responses: ok("The user"),
  }),
  async (c) => {
    const { principal, identity, user } = await userOf(c, c.req.valid("param").id);
    const body = c.req.valid("json");
    body.collections?.forEach(checkCollectionName);
    authorizeGrant(
      principal,
      await grantOf(
        c.env,
        principal.tenant,
        body.role ?? user.role,
        body.collections === undefined ? user.collections : body.collections,
      ),
    );
    const updated = await identity.updateUser(user.id, body);
    forgetSession(principal.tenant, user.id);
    return c.json(updated);
  },
);

app.openapi(
  createRoute({
    method: "post",
    path: "/{id}/reset-password",
    tags: ["Users"],
    security: bearer,
    summary: "Set a new password (signs the user out everywhere)",
    request: {
      params: Id,
      body: { required: true, content: { "application/json": { schema: z.object({ password: Password }) } } },
    },
    responses: ok("The user"),
  }),
  async (c) => {
    const { principal, identity, user } = await userOf(c, c.req.valid("param").id);
    const updated = await identity.updateUser(user.id, { password: await hashPassword(c.req.valid("json").password) });
    forgetSession(principal.tenant, user.id);
    return c.json(updated);
  },
);

app.openapi(
  createRoute({
    method: "post",
    path: "/{id}/revoke-sessions",
    tags: ["Users"],
    security: bearer,
    summary: "Sign the user out everywhere",
    request: { params: Id },
    responses: ok("Revoked"),
  }),
  async (c) => {
    const { principal, identity, user } = await userOf(c, c.req.valid("param").id);
    await identity.revokeAll(user.id);
    forgetSession(principal.tenant, user.id);
    return c.json({ revoked: true, id: user.id });
  },
);

export default app;
