import type { ContentfulStatusCode } from "hono/utils/http-status";
import type { ErrorCode } from "./error-codes";

/** Plain form of an error, safe to send across Durable Object RPC and over HTTP. */
export interface ErrorBody {
  status: ContentfulStatusCode;
  code: ErrorCode;
  message: string;
  details?: unknown;
}

/** The one error type: every refusal carries a stable `code` that clients can branch on. */
export class AppError extends Error {
  readonly status: ContentfulStatusCode;
  readonly code: ErrorCode;
  readonly details?: unknown;

  constructor(status: ContentfulStatusCode, code: ErrorCode, message: string, details?: unknown) {
    super(message);
    this.name = "AppError";
    this.status = status;
    this.code = code;
    this.details = details;
  }

  toBody(): ErrorBody {
    return { status: this.status, code: this.code, message: this.message, details: this.details };
  }

  static from(body: ErrorBody): AppError {
    return new AppError(body.status, body.code, body.message, body.details);
  }
}

export const badRequest = (code: ErrorCode, message: string, details?: unknown) =>
  new AppError(400, code, message, details);

/** Result of a Durable Object RPC: errors travel as data because RPC does not keep custom error fields. */
export type Result<T> = { ok: true; value: T } | { ok: false; error: ErrorBody };

export function ok<T>(value: T): Result<T> {
  return { ok: true, value };
}

export function capture<T>(fn: () => T): Result<T> {
  try {
    return ok(fn());
  } catch (err) {
    if (err instanceof AppError) return { ok: false, error: err.toBody() };
    throw err;
  }
}

export function unwrap<T>(result: Result<T>): T {
  if (result.ok) return result.value;
  throw AppError.from(result.error);
}

/**
 * For the hottest reads: the answer as a bare string, or the error as data. A string crosses Durable Object RPC
 * markedly cheaper than an object, which the structured-clone path serializes key by key.
 */
export type TextResult = string | { ok: false; error: ErrorBody };

export function captureText(fn: () => string): TextResult {
  try {
    return fn();
  } catch (err) {
    if (err instanceof AppError) return { ok: false, error: err.toBody() };
    throw err;
  }
}

export function unwrapText(result: TextResult): string {
  if (typeof result === "string") return result;
  throw AppError.from(result.error);
}
