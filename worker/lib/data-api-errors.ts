import type { AppError } from "./errors";

/** Our stable codes mapped onto the `error_code` vocabulary Data API clients already branch on. */
export function errorCodeFor(e: AppError): string {
  if (e.code === "MISSING_PARAMETER" || e.code === "BODY_REQUIRED") return "MissingParameter";
  if (e.code === "DUPLICATE_KEY") return "DuplicateKey";
  if (e.code === "UNKNOWN_ACTION") return "FunctionNotFound";
  if (e.status === 401) return "InvalidSession";
  if (e.status === 403) return "NoMatchingRuleFound";
  if (e.status === 413) return "ArgumentsTooLarge";
  if (e.status >= 500) return e.status === 501 ? "NotImplemented" : "InternalServerError";
  return "InvalidParameter";
}
