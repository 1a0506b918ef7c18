/** One log line a script wrote through `ctx.log` (or `console.*` in the dynamic-worker runner). */
export interface LogLine {
  level: "debug" | "info" | "warn" | "error";
  message: string;
  at: number;
}

export interface ScriptError {
  name: string;
  message: string;
  stack?: string;
  /** Line in the script's own code, when the error points into it. */
  line?: number;
  /** Stable reason: a thrown error, or a limit the sandbox enforced. */
  code: "SCRIPT_ERROR" | "SCRIPT_TIMEOUT" | "SCRIPT_MEMORY" | "SCRIPT_STACK" | "SCRIPT_INVALID";
}

export interface ScriptOutcome {
  ok: boolean;
  /** The default export's resolved value, as JSON (undefined becomes null). */
  result?: unknown;
  logs: LogLine[];
  durationMs: number;
  error?: ScriptError;
}

export interface ScriptLimits {
  timeoutMs: number;
  memoryBytes: number;
  stackBytes: number;
}

/**
 * What a script can reach, all of it bound to the script's tenant by whoever built it.
 * Arguments and results cross as relaxed-EJSON texts so neither sandbox ever holds a host object.
 */
export interface ScriptHost {
  call(op: string, argsJson: string): Promise<string>;
  fetch(url: string, initJson: string): Promise<string>;
}

export interface ScriptRun {
  /** Identifies the code and config version (dynamic-worker caches one isolate per id). */
  versionId: string;
  code: string;
  /** The change event or schedule tick, as relaxed-EJSON text. */
  eventJson: string;
  limits: ScriptLimits;
  host: ScriptHost;
}

export interface CheckResult {
  ok: boolean;
  error?: ScriptError;
}

/** Both sandboxes implement this and pass the same behavioural suite (test/workers/sandbox.test.ts). */
export interface ScriptRunner {
  readonly kind: "quickjs" | "dynamic-worker";
  /** Parses the module and checks that its default export is a function. */
  check(code: string): Promise<CheckResult>;
  run(run: ScriptRun): Promise<ScriptOutcome>;
}

export const SCRIPT_FILENAME = "script.js";

/** The methods of `ctx.api`: both sandboxes build it from this list, and the host implements exactly these. */
export const API_OPERATIONS = [
  "find",
  "findOne",
  "insert",
  "insertMany",
  "update",
  "updateMany",
  "replace",
  "delete",
  "deleteMany",
  "aggregate",
  "count",
  "listCollections",
  "createCollection",
  "dropCollection",
  "setValidator",
  "createIndex",
  "dropIndex",
] as const;
export type ApiOperation = (typeof API_OPERATIONS)[number];

/** Finds the script's own line in a stack trace (`script.js:LINE`), if it has one. */
export function lineOf(stack: string | undefined): number | undefined {
  const m = stack?.match(/script\.js:(\d+)/);
  return m ? Number(m[1]) : undefined;
}
