import { cors } from "hono/cors";
import type { AppEnv } from "./app-env";
import { authenticate } from "./middleware/auth";
import { requestContext } from "./middleware/request-context";
import { notFound, onError } from "./middleware/errors";
import { bodyGuard } from "./middleware/body-guard";
import { LIMITS } from "./lib/limits";
import { auditChanges } from "./audit";
import audit from "./routes/audit";
import quotas from "./routes/quotas";
import databases from "./routes/databases";
import migrations from "./routes/migrations";
import { ErrorSchema, resourceApp } from "./routes/openapi";
import health from "./routes/health";
import collections from "./routes/collections";
import exportRoutes from "./routes/export";
import importRoutes from "./routes/import";
import management from "./routes/management";
import keys from "./routes/keys";
import dataApi from "./routes/data-api";
import webhooks from "./routes/webhooks";
import locks from "./routes/locks";
import scripts from "./routes/scripts";
import cluster from "./routes/cluster";
import auth, { wellKnown } from "./routes/auth";
import users from "./routes/users";
import roles from "./routes/roles";
import oidc from "./routes/oidc";
import { specRoutes } from "./routes/spec";
import { registerDataApiPaths } from "./openapi/data-api-paths";

/** The HTTP API: every resource app mounted with its middleware. worker/index.ts exports it with the other handlers. */
const app = resourceApp();

app.use("*", requestContext);
let corsFor: { origins: string; handler: ReturnType<typeof cors> } | undefined;
app.use("*", (c, next) => {
  // Only browsers send Origin; server-to-server calls skip the CORS machinery altogether.
  if (!c.req.header("origin")) return next();
  const origins = c.env.DASHBOARD_ORIGIN ?? "";
  if (corsFor?.origins !== origins) {
    corsFor = {
      origins,
      handler: cors({
        origin: origins ? origins.split(",").map((o) => o.trim()) : [],
        allowHeaders: [
          "Authorization",
          "Content-Type",
          "If-Match",
          "If-None-Match",
          "X-Docflare-Tenant",
          "X-Docflare-Database",
          "X-Request-Id",
        ],
        exposeHeaders: ["ETag", "Location", "Link", "X-Request-Id"],
        maxAge: 600,
        // The dashboard's refresh cookie crosses origins when it is hosted on Pages; only the listed origins get this.
        credentials: true,
      }),
    };
  }
  return corsFor.handler(c, next);
});
const authenticateApi = authenticate();
// Sign-in routes are public (they take a password or a refresh token); /api/auth/me and /logout-all authenticate themselves.
app.use("/api/*", async (c, next) =>
  c.req.path === "/api/docs" || c.req.path.startsWith("/api/auth/") ? next() : authenticateApi(c, next),
);
const controlBody = bodyGuard(LIMITS.maxControlBodyBytes);
// A migration run carries its files, so it may be as large as a data request.
app.use("/api/migrations/*", bodyGuard(LIMITS.maxBodyBytes));
for (const path of [
  "/api/auth/*",
  "/api/users/*",
  "/api/roles/*",
  "/api/oidc/*",
  "/api/quotas/*",
  "/api/databases/*",
  "/api/management/*",
  "/api/keys/*",
  "/api/webhooks/*",
  "/api/locks/*",
  "/api/scripts/*",
  "/api/cluster/*",
]) {
  app.use(path, controlBody);
}
for (const path of [
  "/api/keys/*",
  "/api/users/*",
  "/api/roles/*",
  "/api/oidc/*",
  "/api/quotas/*",
  "/api/databases/*",
  "/api/migrations/*",
  "/api/management/*",
  "/api/webhooks/*",
  "/api/scripts/*",
  "/api/auth/signing-keys/*",
]) {
  app.use(path, auditChanges);
}
app.onError(onError);
app.notFound(notFound);

app.route("/", health);
// Before the collection routes: /api/db/{collection}/export would otherwise read as a document whose _id is "export".
app.route("/api/db", exportRoutes);
app.route("/api/db", importRoutes);
app.route("/api/db", collections);
app.route("/api/management/collections", management);
app.route("/api/keys", keys);
app.route("/api/webhooks", webhooks);
app.route("/api/locks", locks);
app.route("/api/scripts", scripts);
app.route("/api/cluster", cluster);
app.route("/api/auth", auth);
app.route("/api/users", users);
app.route("/api/roles", roles);
app.route("/api/oidc", oidc);
app.route("/api/audit", audit);
app.route("/api/quotas", quotas);
app.route("/api/databases", databases);
app.route("/api/migrations", migrations);
app.route("/.well-known", wellKnown);
app.route("/", dataApi);

app.openAPIRegistry.register("Error", ErrorSchema);
app.openAPIRegistry.registerComponent("securitySchemes", "bearerAuth", { type: "http", scheme: "bearer" });
registerDataApiPaths(app.openAPIRegistry);
app.route("/", specRoutes(app));

export default app;
