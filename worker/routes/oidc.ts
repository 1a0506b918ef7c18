import { createRoute } from "@hono/zod-openapi";
import type { Context } from "hono";
import type { AppEnv } from "../app-env";
import { authorizeControl, authorizeGrant } from "../lib/access";
import { registryOf } from "../stubs";
import { checkJwksUrl, OidcConfig, oidcCache } from "../auth/oidc";
import { requireKnownRole } from "../auth/custom-roles";
import { AnyJson, bearer, errorResponses, resourceApp } from "./openapi";

const app = resourceApp();
const ok = (description: string) => ({
  200: { description, content: { "application/json": { schema: AnyJson } } },
  ...errorResponses,
});

function scope(c: Context<AppEnv>) {
  const p = c.get("principal");
  authorizeControl(p, "identity", c.req.method === "GET" ? "read" : "write");
  return { p, tenant: p.tenant, registry: registryOf(c.env, p.tenant) };
}

app.openapi(
  createRoute({
    method: "get",
    path: "/",
    tags: ["Auth"],
    security: bearer,
    summary: "The OpenID Connect issuer this tenant trusts (null: none)",
    responses: ok("Issuer"),
  }),
  async (c) => {
    const snap = await scope(c).registry.settingSnapshot("oidc");
    return c.json({ oidc: snap.value ? JSON.parse(snap.value) : null });
  },
);

app.openapi(
  createRoute({
    method: "put",
    path: "/",
    tags: ["Auth"],
    security: bearer,
    summary:
      "Trust JWTs from an OpenID Connect issuer: issuer, audience, JWKS URL, and which claim values map to which roles",
    description: "Callers then send the issuer's token as `Authorization: Bearer` with `X-Docflare-Tenant`.",
    request: { body: { required: true, content: { "application/json": { schema: OidcConfig } } } },
    responses: ok("Issuer"),
  }),
  async (c) => {
    const { p, tenant, registry } = scope(c);
    const config = c.req.valid("json");
    checkJwksUrl(c.env, config.jwksUrl);
    // Every role the issuer's users can receive is a grant, and a grant never exceeds what the granting admin holds.
    for (const role of new Set([
      ...Object.values(config.roleMap),
      ...(config.defaultRole ? [config.defaultRole] : []),
    ])) {
      const custom = await requireKnownRole(c.env, tenant, role);
      authorizeGrant(p, { role: custom ? "read" : (role as "read"), collections: null, customRules: custom?.rules });
    }
    await registry.setSetting("oidc", JSON.stringify(config));
    oidcCache.invalidate(tenant);
    return c.json({ oidc: config });
  },
);

app.openapi(
  createRoute({
    method: "delete",
    path: "/",
    tags: ["Auth"],
    security: bearer,
    summary: "Stop trusting the external issuer",
    responses: ok("Removed"),
  }),
  async (c) => {
    const { tenant, registry } = scope(c);
    await registry.setSetting("oidc", null);
    oidcCache.invalidate(tenant);
    return c.json({ oidc: null });
  },
);

export default app;
