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
  const started = Date.now();
  await next();
  // Set on the finished response in place: c.header() at this point would copy the whole Response. Only a response
  // with immutable headers (one passed through from fetch) needs that copy.
  try {
    c.res.headers.set("X-Request-Id", requestId);
  } catch {
    c.header("X-Request-Id", requestId);
  }
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
