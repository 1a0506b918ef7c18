import type { ErrorHandler, NotFoundHandler } from "hono";
import { HTTPException } from "hono/http-exception";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import type { AppEnv } from "../app-env";
import { AppError } from "../lib/errors";
import { log } from "../log";

/** The one mapping from thrown errors to `{ error: { code, message, details } }`. */
export const onError: ErrorHandler<AppEnv> = (err, c) => {
  let e: AppError;
  if (err instanceof AppError) e = err;
  else if (err instanceof HTTPException) {
    const status = err.status as ContentfulStatusCode;
    const code =
      status === 415
        ? "UNSUPPORTED_MEDIA_TYPE"
        : status === 413
          ? "BODY_TOO_LARGE"
          : /json/i.test(err.message)
            ? "INVALID_JSON"
            : "BAD_REQUEST";
    e = new AppError(status, code, err.message || "request refused");
  } else {
    log("error", "unhandled error", {
      requestId: c.get("requestId"),
      error: String(err),
      stack: (err as Error)?.stack,
    });
    e = new AppError(500, "INTERNAL", "internal error; the request id identifies it in the logs");
  }
  c.set("errorCode", e.code);
  return c.json(
    { error: { code: e.code, message: e.message, ...(e.details !== undefined ? { details: e.details } : {}) } },
    e.status,
  );
};

export const notFound: NotFoundHandler<AppEnv> = (c) =>
  c.json(
    { error: { code: "ROUTE_NOT_FOUND", message: `no route for ${c.req.method} ${new URL(c.req.url).pathname}` } },
    404,
  );
