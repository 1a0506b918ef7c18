import { badRequest } from "./errors";
import { fromJson } from "./ejson";
import { checkRawKeys } from "./query-policy";

/** Request bodies are JSON whose EJSON wrappers ({"$oid"}, {"$date"}...) become BSON values; prototype keys are refused first. */
export function parseBody(text: string): unknown {
  if (text.trim() === "") throw badRequest("BODY_REQUIRED", "request body is required");
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw badRequest("INVALID_JSON", `request body is not valid JSON: ${(err as Error).message}`);
  }
  checkRawKeys(raw, "body");
  return fromJson(raw, "body");
}
