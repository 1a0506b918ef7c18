import type { Context } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { AppError } from "./lib/errors";
import { parseBody } from "./lib/body";
import { toJson } from "./lib/ejson";
import { LIMITS } from "./lib/limits";
import type { AppEnv } from "./app-env";
import { decodeUtf8 } from "./middleware/body-guard";

export function wantsCanonical(c: Context): boolean {
  return (c.req.header("accept") ?? "").includes("application/ejson");
}

/** Sends BSON values as relaxed EJSON (plain JSON), or canonical EJSON when the client asks for application/ejson. */
export function send(
  c: Context<AppEnv>,
  value: unknown,
  status: ContentfulStatusCode = 200,
  headers: Record<string, string> = {},
): Response {
  const canonical = wantsCanonical(c);
  return c.body(JSON.stringify(toJson(value, canonical)), status, {
    "Content-Type": canonical ? "application/ejson" : "application/json; charset=UTF-8",
    ...headers,
  });
}

/**
 * A JSON text that is already relaxed EJSON (stored documents, pages), sent as it is. Built as a plain Response:
 * Hono's c.body() with several headers makes a Headers object and the Response then copies it.
 */
export function sendJsonText(
  text: string,
  status: ContentfulStatusCode = 200,
  headers: Record<string, string> = {},
): Response {
  return new Response(text, { status, headers: { "Content-Type": "application/json; charset=UTF-8", ...headers } });
}

export async function readBody(c: Context<AppEnv>): Promise<unknown> {
  const type = c.req.header("content-type") ?? "";
  if (type && !/application\/(json|ejson)|\+json/i.test(type)) {
    throw new AppError(415, "UNSUPPORTED_MEDIA_TYPE", "send the body as application/json or application/ejson");
  }
  const length = Number(c.req.header("content-length") ?? 0);
  if (length > LIMITS.maxBodyBytes)
    throw new AppError(413, "BODY_TOO_LARGE", `request body exceeds ${LIMITS.maxBodyBytes} bytes`);
  const text = decodeUtf8(await c.req.arrayBuffer());
  if (text.length > LIMITS.maxBodyBytes)
    throw new AppError(413, "BODY_TOO_LARGE", `request body exceeds ${LIMITS.maxBodyBytes} bytes`);
  return parseBody(text);
}
