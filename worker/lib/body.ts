import type { ErrorCode } from "./error-codes";
import { badRequest } from "./errors";
import { fromJson, mayHoldWrappers } from "./ejson";
import { checkRawKeys } from "./query-policy";

/** JSON whose EJSON wrappers ({"$oid"}, {"$date"}...) become BSON values; prototype keys are refused before reviving. */
export function parseJsonText(
  text: string,
  what: string,
  code: ErrorCode = "INVALID_JSON",
  details?: unknown,
): unknown {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw badRequest(code, `${what} is not valid JSON: ${(err as Error).message}`, details);
  }
  checkRawKeys(raw, what);
  return mayHoldWrappers(text) ? fromJson(raw, what) : raw;
}

export function parseBody(text: string): unknown {
  if (text.trim() === "") throw badRequest("BODY_REQUIRED", "request body is required");
  return parseJsonText(text, "body");
}
