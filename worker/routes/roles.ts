import { createRoute, z } from "@hono/zod-openapi";
import type { Context } from "hono";
import type { AppEnv } from "../app-env";
import { authorizeControl, authorizeRoleRules } from "../lib/access";
import { AppError } from "../lib/errors";
import { checkRoleDefinition, checkRoleName, RoleBody, type RoleDefinition } from "../lib/row-rules";
import { registryOf } from "../stubs";
import { roleCache, tenantRoles } from "../auth/custom-roles";
import { AnyJson, bearer, errorResponses, resourceApp } from "./openapi";

const app = resourceApp();
const ok = (description: string) => ({
  200: { description, content: { "application/json": { schema: AnyJson } } },
  ...errorResponses,
});
const Name = z.object({ name: z.string().openapi({ example: "support" }) });

function scope(c: Context<AppEnv>) {
  const p = c.get("principal");
  authorizeControl(p, "roles", c.req.method === "GET" ? "read" : "write");
  return { p, tenant: p.tenant, registry: registryOf(c.env, p.tenant) };
}

async function save(c: Context<AppEnv>, tenant: string, roles: Record<string, RoleDefinition>) {
  await registryOf(c.env, tenant).setSetting("roles", Object.keys(roles).length ? JSON.stringify(roles) : null);
  roleCache.invalidate(tenant);
}

app.openapi(
  createRoute({
    method: "get",
    path: "/",
    tags: ["Roles"],
    security: bearer,
    summary: "The tenant's custom roles",
    responses: ok("Roles"),
  }),
  async (c) => {
    const { tenant } = scope(c);
    return c.json({ roles: Object.values(await tenantRoles(c.env, tenant)) });
  },
);

app.openapi(
  createRoute({
    method: "get",
    path: "/{name}",
    tags: ["Roles"],
    security: bearer,
    summary: "One custom role",
    request: { params: Name },
    responses: ok("Role"),
  }),
  async (c) => {
    const { tenant } = scope(c);
    const role = (await tenantRoles(c.env, tenant))[c.req.valid("param").name];
    if (!role) throw new AppError(404, "ROLE_NOT_FOUND", `no custom role "${c.req.valid("param").name}"`);
    return c.json(role);
  },
);

app.openapi(
  createRoute({
    method: "put",
    path: "/{name}",
    tags: ["Roles"],
    security: bearer,
    summary:
      "Create or replace a custom role: per collection (or *), actions, hidden fields, read-only fields and a row filter",
    description:
      'Row filters may use "$$user.id", "$$key.id" and "$$claims.<path>"; they are ANDed into every read, update and delete, and inserts must satisfy them.',
    request: { params: Name, body: { required: true, content: { "application/json": { schema: RoleBody } } } },
    responses: ok("The role"),
  }),
  async (c) => {
    const { p, tenant } = scope(c);
    const name = c.req.valid("param").name;
    checkRoleName(name);
    const body = c.req.valid("json");
    checkRoleDefinition(body);
    authorizeRoleRules(p, body.rules);
    const roles = { ...(await tenantRoles(c.env, tenant)) };
    const role: RoleDefinition = { name, ...body };
    roles[name] = role;
    if (Object.keys(roles).length > 100)
      throw new AppError(400, "TOO_MANY_ROLES", "a tenant has at most 100 custom roles");
    await save(c, tenant, roles);
    return c.json(role);
  },
);

app.openapi(
  createRoute({
    method: "delete",
    path: "/{name}",
    tags: ["Roles"],
    security: bearer,
    summary: "Delete a custom role; keys and users that hold it are left with no access",
    request: { params: Name },
    responses: ok("Deleted"),
  }),
  async (c) => {
    const { p, tenant } = scope(c);
    const name = c.req.valid("param").name;
    const roles = { ...(await tenantRoles(c.env, tenant)) };
    if (!roles[name]) throw new AppError(404, "ROLE_NOT_FOUND", `no custom role "${name}"`);
    authorizeRoleRules(p, roles[name].rules);
    delete roles[name];
    await save(c, tenant, roles);
    return c.json({ deleted: name });
  },
);

export default app;
