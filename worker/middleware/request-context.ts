import type { MiddlewareHandler } from "hono";
import type { AppEnv } from "../app-env";
import { log } from "../log";
import { recordRequest } from "../metrics";

const REQUEST_ID = /^[A-Za-z0-9._-]{1,128}$/;

/** Assigns (or accepts) a request id, echoes it in X-Request-Id and writes one structured access-log line. */
export const requestContext: MiddlewareHandler<AppEnv> = async (c, next) => {
  const incoming = c.req.header("x-request-id");
  const requestId = incoming && REQUEST_ID.test(incoming) ? incoming : crypto.randomUUID();
  c.set("requestId", requestId);
  // Set before the handler runs: Hono folds prepared headers into the response it builds, whereas setting one
  // afterwards copies the finished Response. A handler's raw Response would miss it, hence the check after.
  c.header("X-Request-Id", requestId);
  const started = Date.now();
  await next();
  if (!c.res.headers.has("X-Request-Id")) c.header("X-Request-Id", requestId);
  recordRequest(c.req.method, c.res.status, Date.now() - started, c.get("errorCode"));
  const principal = c.get("principal");
  if (c.res.status < 500 && (c.env.LOG_LEVEL === "warn" || c.env.LOG_LEVEL === "error")) return;
  log(c.res.status >= 500 ? "error" : "info", "request", {
    requestId,
    method: c.req.method,
    path: new URL(c.req.url).pathname,
    status: c.res.status,
    durationMs: Date.now() - started,
    tenant: principal?.tenant,
    keyId: principal?.keyId ?? undefined,
  });
};
