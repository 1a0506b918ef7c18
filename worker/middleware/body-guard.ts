import type { MiddlewareHandler } from "hono";
import { bodyLimit } from "hono/body-limit";
import type { AppEnv } from "../app-env";
import { AppError, badRequest } from "../lib/errors";

const fatal = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false });

/** Decodes a request body as UTF-8, refusing malformed bytes rather than replacing them with U+FFFD. */
export function decodeUtf8(bytes: ArrayBuffer): string {
  try {
    return fatal.decode(bytes);
  } catch {
    throw badRequest("INVALID_UTF8", "the request body is not valid UTF-8");
  }
}

/**
 * For the validated control-plane routes: the size is refused with 413 before anything is parsed (from
 * Content-Length, or while a chunked body streams in), and malformed UTF-8 with 400, before zod reads the body.
 */
export function bodyGuard(maxBytes: number): MiddlewareHandler<AppEnv> {
  const limit = bodyLimit({
    maxSize: maxBytes,
    onError: () => {
      throw new AppError(413, "BODY_TOO_LARGE", `request body exceeds ${maxBytes} bytes`, { limit: maxBytes });
    },
  });
  return (c, next) => {
    if (c.req.method === "GET" || c.req.method === "HEAD" || c.req.method === "DELETE") return next();
    return limit(c, async () => {
      decodeUtf8(await c.req.arrayBuffer());
      await next();
    });
  };
}
