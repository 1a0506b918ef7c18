import { RpcTarget } from "cloudflare:workers";
import { sha256Hex } from "../lib/hash";
import {
  API_OPERATIONS,
  lineOf,
  SCRIPT_FILENAME,
  type CheckResult,
  type LogLine,
  type ScriptError,
  type ScriptHost,
  type ScriptOutcome,
  type ScriptRun,
  type ScriptRunner,
} from "./runner";

/**
 * The loaded Worker's main module. It imports the user's module, builds `ctx` around the host stub it is handed for
 * this run, and returns plain data. `globalOutbound: null` leaves `ctx.fetch` (the host's egress) as the only network.
 */
const HARNESS = String.raw`
import { WorkerEntrypoint } from "cloudflare:workers";
import * as user from "./${SCRIPT_FILENAME}";

const text = (v) => typeof v === "string" ? v : (() => { try { return JSON.stringify(v); } catch { return String(v); } })();
const failure = (e) => ({ name: e?.name ?? "Error", message: e?.message ?? String(e), stack: e?.stack });

export default class extends WorkerEntrypoint {
  async check() {
    return typeof user.default === "function" ? null
      : { name: "TypeError", message: "the module must \`export default\` an async function of (event, ctx)" };
  }
  async run(eventText, host) {
    const logs = [];
    const line = (level) => (...parts) => { logs.push({ level, message: parts.map(text).join(" "), at: Date.now() }); };
    const unwrap = (r) => { if (!r.ok) throw new Error(r.error); return r.value; };
    const op = (name) => async (...args) => JSON.parse(unwrap(await host.call(name, JSON.stringify(args, (k, v) => v === undefined ? null : v))));
    const api = Object.freeze(Object.fromEntries(${JSON.stringify(API_OPERATIONS)}.map((n) => [n, op(n)])));
    const fetch = async (url, init = {}) => {
      const r = JSON.parse(unwrap(await host.fetch(String(url), JSON.stringify({ method: init.method, headers: init.headers, body: init.body }))));
      return Object.freeze({ ok: r.status >= 200 && r.status < 300, status: r.status, headers: r.headers,
        text: async () => r.body, json: async () => JSON.parse(r.body) });
    };
    const log = Object.freeze(Object.assign(line("info"), { debug: line("debug"), info: line("info"), warn: line("warn"), error: line("error") }));
    try {
      if (typeof user.default !== "function") throw new TypeError("the module must export default an async function of (event, ctx)");
      const result = await user.default(JSON.parse(eventText), Object.freeze({ api, log, fetch }));
      return { ok: true, result: JSON.stringify(result === undefined ? null : result), logs };
    } catch (e) {
      return { ok: false, error: failure(e), logs };
    }
  }
}
`;

type Settled = { ok: true; value: string } | { ok: false; error: string };

const settle = (p: Promise<string>): Promise<Settled> =>
  p.then(
    (value) => ({ ok: true as const, value }),
    (err) => ({ ok: false as const, error: err instanceof Error ? err.message : String(err) }),
  );

/**
 * What the harness can call back into: an RPC stub of this, bound to one run's host. Refusals travel as data (the
 * harness rethrows them inside the script), so an expected refusal is not logged as an uncaught RPC exception.
 */
class HostTarget extends RpcTarget {
  constructor(private host: ScriptHost) {
    super();
  }
  call(op: string, argsJson: string): Promise<Settled> {
    return settle(this.host.call(op, argsJson));
  }
  fetch(url: string, initJson: string): Promise<Settled> {
    return settle(this.host.fetch(url, initJson));
  }
}

interface HarnessResult {
  ok: boolean;
  result?: string;
  logs: LogLine[];
  error?: { name: string; message: string; stack?: string };
}

interface Harness {
  check(): Promise<{ name: string; message: string } | null>;
  run(eventText: string, host: HostTarget): Promise<HarnessResult>;
}

function scriptError(
  e: { name: string; message: string; stack?: string },
  code: ScriptError["code"] = "SCRIPT_ERROR",
): ScriptError {
  return { name: e.name, message: e.message, stack: e.stack, line: lineOf(e.stack), code };
}

/** A load failure (syntax error) surfaces as an exception naming the module and line. */
function loadError(err: unknown): ScriptError {
  const message = err instanceof Error ? err.message : String(err);
  const line = message.match(/script\.js:(\d+)/)?.[1];
  return { name: "SyntaxError", message, line: line ? Number(line) : undefined, code: "SCRIPT_INVALID" };
}

/**
 * A Dynamic Worker per script version (Worker Loader), with `limits.cpuMs`. Cloudflare enforces CPU and memory in
 * production; local workerd does not, so only the wall-clock deadline here protects a local run.
 */
export class DynamicWorkerRunner implements ScriptRunner {
  readonly kind = "dynamic-worker" as const;

  constructor(private loader: WorkerLoader) {}

  private harness(versionId: string, code: string, cpuMs: number): Harness {
    const stub = this.loader.get(`script:${versionId}`, () => ({
      compatibilityDate: "2026-11-01",
      mainModule: "harness.js",
      modules: { "harness.js": HARNESS, [SCRIPT_FILENAME]: code },
      compatibilityFlags: ["no_nodejs_compat_v2", "disable_nodejs_fs_module"],
      globalOutbound: null,
      limits: { cpuMs },
    }));
    return stub.getEntrypoint() as unknown as Harness;
  }

  async check(code: string): Promise<CheckResult> {
    const id = `check:${await sha256Hex(code)}`;
    try {
      const problem = await this.harness(id, code, 200).check();
      return problem ? { ok: false, error: scriptError(problem, "SCRIPT_INVALID") } : { ok: true };
    } catch (err) {
      return { ok: false, error: loadError(err) };
    }
  }

  async run(run: ScriptRun): Promise<ScriptOutcome> {
    const began = performance.now();
    const elapsed = () => Math.round((performance.now() - began) * 100) / 100;
    let timer: ReturnType<typeof setTimeout> | null = null;
    const expired = new Promise<"expired">((resolve) => {
      timer = setTimeout(() => resolve("expired"), run.limits.timeoutMs);
    });
    try {
      const pending = this.harness(run.versionId, run.code, run.limits.timeoutMs).run(
        run.eventJson,
        new HostTarget(run.host),
      );
      const out = await Promise.race([pending, expired]);
      if (out === "expired") {
        const error: ScriptError = {
          name: "InternalError",
          message: `the script ran past its ${run.limits.timeoutMs} ms limit and was stopped`,
          code: "SCRIPT_TIMEOUT",
        };
        return { ok: false, logs: [], durationMs: elapsed(), error };
      }
      if (!out.ok) return { ok: false, logs: out.logs, durationMs: elapsed(), error: scriptError(out.error!) };
      return { ok: true, result: JSON.parse(out.result!), logs: out.logs, durationMs: elapsed() };
    } catch (err) {
      const error = String(err).includes(SCRIPT_FILENAME)
        ? loadError(err)
        : scriptError({ name: "Error", message: err instanceof Error ? err.message : String(err) });
      return { ok: false, logs: [], durationMs: elapsed(), error };
    } finally {
      clearTimeout(timer);
    }
  }
}
