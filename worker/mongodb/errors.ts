import { AppError } from "../lib/errors";
import { validationFailures } from "./schema";

type DriverError = Error & {
  code?: number | string;
  codeName?: string;
  errInfo?: { details?: unknown };
  keyValue?: unknown;
  writeErrors?: DriverError[];
  errorResponse?: {
    writeErrors?: Array<{ code?: number; errmsg?: string; errInfo?: { details?: unknown }; keyValue?: unknown }>;
  };
};

/** Server codes that mean "this input is wrong" rather than "the server is unwell". */
const INVALID_INPUT = new Set([
  2, 9, 14, 15, 16, 17, 28, 40, 51, 52, 53, 54, 55, 56, 57, 66, 67, 72, 85, 86, 168, 206, 241, 2_000_000,
]);

/** The first write error of a bulk write, or the error itself: the driver reports a refused insertMany row that way. */
function firstWriteError(err: DriverError): {
  code?: number | string;
  errmsg: string;
  errInfo?: { details?: unknown };
  keyValue?: unknown;
} {
  const fromBulk = err.writeErrors?.[0] ?? err.errorResponse?.writeErrors?.[0];
  if (fromBulk) {
    const w = fromBulk as DriverError & { errmsg?: string; err?: { errInfo?: { details?: unknown } } };
    return {
      code: w.code,
      errmsg: w.errmsg ?? w.message ?? "",
      errInfo: w.errInfo ?? w.err?.errInfo,
      keyValue: w.keyValue,
    };
  }
  return { code: err.code, errmsg: err.message, errInfo: err.errInfo, keyValue: err.keyValue };
}

/**
 * What a driver or server error means to a Docflare client, under Docflare's codes: a duplicate key is 409, a
 * validator refusal is 400 naming the paths, an input the server finds invalid is 400, a server that cannot be reached
 * is 503 and one that does not answer in time is 504, anything else from the server is 502.
 */
export function mongoError(err: unknown): AppError {
  if (err instanceof AppError) return err;
  const e = err as DriverError;
  const name = e?.name ?? "";
  const w = firstWriteError(e);
  const upstream = { upstreamCode: w.code, upstreamError: String(w.errmsg).slice(0, 500) };
  if (w.code === 11000 || w.code === 11001) {
    const index = /index: (\S+)/.exec(w.errmsg)?.[1] ?? "_id_";
    return new AppError(
      409,
      "DUPLICATE_KEY",
      `duplicate key: a document with the same key for index "${index}" already exists`,
      { index, keyValue: w.keyValue },
    );
  }
  if (w.code === 121) {
    const errors = validationFailures(w.errInfo?.details);
    return new AppError(
      400,
      "SCHEMA_VALIDATION_FAILED",
      `document failed validation at ${errors[0].path}: ${errors[0].message}`,
      { errors },
    );
  }
  if (w.code === 50 || name === "MongoOperationTimeoutError") {
    return new AppError(
      400,
      "QUERY_BUDGET_EXCEEDED",
      "the query ran past its budget (maxTimeMS); narrow the filter, add an index, or simplify the pipeline",
      upstream,
    );
  }
  if (name === "MongoNetworkTimeoutError")
    return new AppError(504, "UPSTREAM_TIMEOUT", "MongoDB did not answer in time", upstream);
  if (
    name === "MongoServerSelectionError" ||
    name === "MongoNetworkError" ||
    name === "MongoTopologyClosedError" ||
    name === "MongoPoolClearedError"
  ) {
    return new AppError(503, "UPSTREAM_UNAVAILABLE", "MongoDB cannot be reached", upstream);
  }
  if (name === "MongoParseError" || name === "MongoAPIError" || name === "MongoInvalidArgumentError") {
    return new AppError(503, "STORE_NOT_CONFIGURED", `MONGODB_URI is not usable: ${e.message}`);
  }
  if (name === "BSONError" || name === "BSONVersionError") return new AppError(400, "INVALID_DOCUMENT", e.message);
  if (typeof w.code === "number" && INVALID_INPUT.has(w.code))
    return new AppError(400, "UPSTREAM_INVALID_INPUT", String(w.errmsg), upstream);
  return new AppError(
    502,
    "UPSTREAM_ERROR",
    name.startsWith("Mongo")
      ? "MongoDB refused the operation"
      : `the MongoDB backend failed: ${e?.message ?? String(err)}`,
    upstream,
  );
}
