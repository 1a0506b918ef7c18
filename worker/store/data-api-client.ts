import { isErrorCode } from "../lib/error-codes";
import { AppError } from "../lib/errors";
import { isPlainObject, parseEjson, stringify, type Doc } from "../lib/ejson";
import { backoffDelay, parseRetryAfter } from "../lib/backoff";
import { CircuitBreaker } from "../lib/circuit-breaker";

export interface DataApiConfig {
  /** `https://host/app/{appId}/endpoint/data/v1` (Atlas shape) or a FerretDB-style root; actions live at `{baseUrl}/action/{name}`. */
  baseUrl: string;
  auth:
    | { kind: "apiKey"; key: string }
    | { kind: "bearer"; token: string }
    | { kind: "basic"; username: string; password: string };
  dataSource: string;
  format: "json" | "ejson";
  timeoutMs: number;
  maxAttempts: number;
  retryBaseMs: number;
  failureThreshold: number;
  cooldownMs: number;
}

/** The ten actions of Data API v1; anything else is a Docflare extension an upstream may not have. */
export const STANDARD_ACTIONS = new Set([
  "findOne",
  "find",
  "insertOne",
  "insertMany",
  "updateOne",
  "updateMany",
  "replaceOne",
  "deleteOne",
  "deleteMany",
  "aggregate",
]);
const READS = new Set([
  "find",
  "findOne",
  "aggregate",
  "listCollections",
  "listIndexes",
  "collStats",
  "count",
  "distinct",
]);

/** One breaker per upstream per isolate: every request in the isolate learns from the others' failures. */
const breakers = new Map<string, CircuitBreaker>();

function breakerFor(config: DataApiConfig): CircuitBreaker {
  let breaker = breakers.get(config.baseUrl);
  if (!breaker) {
    breaker = new CircuitBreaker({ failureThreshold: config.failureThreshold, cooldownMs: config.cooldownMs });
    breakers.set(config.baseUrl, breaker);
  }
  return breaker;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function authHeaders(config: DataApiConfig): Record<string, string> {
  switch (config.auth.kind) {
    case "apiKey":
      return { apiKey: config.auth.key };
    case "bearer":
      return { Authorization: `Bearer ${config.auth.token}` };
    case "basic":
      return { Authorization: `Basic ${btoa(`${config.auth.username}:${config.auth.password}`)}` };
  }
}

type Attempt = { kind: "ok"; body: Doc } | { kind: "fail"; error: AppError; retryable: boolean; retryAfterMs?: number };

/** Speaks the Data API v1 protocol: POST {baseUrl}/action/{action} with a JSON or EJSON body. */
export class DataApiClient {
  constructor(private config: DataApiConfig) {}

  private async attempt(action: string, body: string): Promise<Attempt> {
    const idempotent = READS.has(action);
    let res: Response;
    try {
      res = await fetch(`${this.config.baseUrl.replace(/\/+$/, "")}/action/${action}`, {
        method: "POST",
        headers: {
          "Content-Type": this.config.format === "ejson" ? "application/ejson" : "application/json",
          Accept: "application/ejson",
          ...authHeaders(this.config),
        },
        body,
        signal: AbortSignal.timeout(this.config.timeoutMs),
      });
    } catch (err) {
      const timedOut = (err as Error).name === "TimeoutError" || (err as Error).name === "AbortError";
      return timedOut
        ? {
            kind: "fail",
            retryable: idempotent,
            error: new AppError(
              504,
              "UPSTREAM_TIMEOUT",
              `upstream did not answer ${action} within ${this.config.timeoutMs} ms`,
            ),
          }
        : {
            kind: "fail",
            retryable: idempotent,
            error: new AppError(502, "UPSTREAM_UNREACHABLE", `upstream could not be reached for ${action}`, {
              upstream: (err as Error).message,
            }),
          };
    }
    const text = new TextDecoder().decode(await res.arrayBuffer());
    let parsed: Doc = {};
    try {
      parsed = text ? (parseEjson(text, "upstream response") as Doc) : {};
    } catch {
      parsed = { error: text.slice(0, 500) };
    }
    if (res.ok) return { kind: "ok", body: parsed };
    const details = {
      upstreamStatus: res.status,
      upstreamError: parsed.error ?? text.slice(0, 500),
      upstreamCode: parsed.error_code,
    };
    const message = String(parsed.error ?? "");
    if (res.status === 429 || res.status === 503) {
      return {
        kind: "fail",
        retryable: true,
        retryAfterMs: parseRetryAfter(res.headers.get("retry-after")),
        error: new AppError(
          503,
          "UPSTREAM_UNAVAILABLE",
          `upstream is unavailable (${res.status}) for ${action}`,
          details,
        ),
      };
    }
    if (/E11000|duplicate key/i.test(message)) {
      return { kind: "fail", retryable: false, error: new AppError(409, "DUPLICATE_KEY", "duplicate key", details) };
    }
    if (res.status === 404 && !STANDARD_ACTIONS.has(action)) {
      return {
        kind: "fail",
        retryable: false,
        error: new AppError(501, "NOT_SUPPORTED_BY_UPSTREAM", `the upstream does not support ${action}`, details),
      };
    }
    if (res.status >= 500) {
      return {
        kind: "fail",
        retryable: idempotent,
        error: new AppError(502, "UPSTREAM_ERROR", `upstream failed ${action} with ${res.status}`, details),
      };
    }
    if (res.status === 400 && !/auth|session/i.test(String(parsed.error_code ?? ""))) {
      // The upstream found the input itself invalid (a validator, a bad operator): the caller's mistake, with the
      // upstream's words and paths, under the upstream's own code when it is a Docflare that names one.
      const code = typeof parsed.code === "string" && isErrorCode(parsed.code) ? parsed.code : "UPSTREAM_INVALID_INPUT";
      return {
        kind: "fail",
        retryable: false,
        error: new AppError(400, code, message || `upstream refused ${action} as invalid`, {
          ...details,
          ...(isPlainObject(parsed.details) ? parsed.details : {}),
        }),
      };
    }
    return {
      kind: "fail",
      retryable: false,
      error: new AppError(502, "UPSTREAM_REJECTED", `upstream refused ${action} with ${res.status}`, details),
    };
  }

  /** Sends one action with retries (reads, and 429/503 for everything) behind the circuit breaker. */
  async call(action: string, payload: Doc): Promise<Doc> {
    const breaker = breakerFor(this.config);
    const body = stringify({ dataSource: this.config.dataSource, ...payload }, this.config.format === "ejson");
    let last: AppError | undefined;
    for (let attempt = 1; attempt <= this.config.maxAttempts; attempt++) {
      const admitted = breaker.admit();
      if (!admitted.allowed) {
        throw new AppError(503, "UPSTREAM_CIRCUIT_OPEN", "upstream is failing; requests are paused", {
          retryInMs: admitted.retryInMs,
          cause: last?.toBody(),
        });
      }
      const result = await this.attempt(action, body);
      if (result.kind === "ok") {
        breaker.success();
        return result.body;
      }
      last = result.error;
      // Only outages count against the upstream; a refused request says nothing about its health.
      if (result.error.status >= 502) breaker.failure();
      else breaker.success();
      if (!result.retryable || attempt === this.config.maxAttempts) break;
      await sleep(Math.min(5_000, result.retryAfterMs ?? backoffDelay(attempt, this.config.retryBaseMs, 2_000)));
    }
    throw last!;
  }
}
