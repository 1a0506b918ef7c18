import {
  newQuickJSWASMModuleFromVariant,
  newVariant,
  type QuickJSContext,
  type QuickJSHandle,
  type QuickJSWASMModule,
} from "quickjs-emscripten-core";
import releaseSync from "@jitl/quickjs-wasmfile-release-sync";
import wasmModule from "../../node_modules/@jitl/quickjs-wasmfile-release-sync/dist/emscripten-module.wasm";
import {
  lineOf,
  SCRIPT_FILENAME,
  type CheckResult,
  type LogLine,
  type ScriptError,
  type ScriptOutcome,
  type ScriptRun,
  type ScriptRunner,
} from "./runner";
import { PRELUDE } from "./prelude";

let wasm: Promise<QuickJSWASMModule> | undefined;

/** One WebAssembly instance per isolate; every run still gets its own QuickJS runtime and context. */
function quickjs(): Promise<QuickJSWASMModule> {
  wasm ??= newQuickJSWASMModuleFromVariant(newVariant(releaseSync, { wasmModule })).catch((err) => {
    wasm = undefined;
    throw err;
  });
  return wasm;
}

/**
 * Interrupt checks come every few thousand bytecode operations. Time cannot be trusted inside workerd (the clock only
 * moves on I/O), so a budget of checks bounds CPU as well: whichever limit is hit first stops the script.
 */
const CHECKS_PER_MS = 40;

function classify(name: string, message: string): ScriptError["code"] {
  if (message === "interrupted") return "SCRIPT_TIMEOUT";
  if (message.includes("out of memory")) return "SCRIPT_MEMORY";
  if (message.includes("stack overflow")) return "SCRIPT_STACK";
  return name === "SyntaxError" ? "SCRIPT_INVALID" : "SCRIPT_ERROR";
}

function errorOf(vm: QuickJSContext, handle: QuickJSHandle): ScriptError {
  const dumped = vm.dump(handle) as unknown;
  handle.dispose();
  // Out of memory, QuickJS cannot even allocate its "out of memory" error and the exception is left empty. By the
  // time the rejection is seen the heap is already unwound, so a script that throws `null` itself is reported the same.
  if (dumped === null || dumped === undefined || dumped === "") {
    return {
      name: "InternalError",
      message: "out of memory (the script threw no error object)",
      code: "SCRIPT_MEMORY",
    };
  }
  const e = (dumped && typeof dumped === "object" ? dumped : { name: "Error", message: String(dumped) }) as {
    name?: string;
    message?: string;
    stack?: string;
  };
  const name = e.name ?? "Error";
  const message = e.message ?? String(dumped);
  return { name, message, stack: shortStack(e.stack), line: lineOf(e.stack), code: classify(name, message) };
}

const STACK_LINES = 10;

/** Deep recursion makes stacks of thousands of identical frames; the first few say where. */
function shortStack(stack: string | undefined): string | undefined {
  if (!stack) return undefined;
  const lines = stack.split("\n").filter((l) => l.trim() && !l.includes("prelude.js"));
  return lines.length > STACK_LINES
    ? [...lines.slice(0, STACK_LINES), `    ... ${lines.length - STACK_LINES} more frames`].join("\n")
    : lines.join("\n");
}

const LIMIT_CODES = new Set<ScriptError["code"]>(["SCRIPT_TIMEOUT", "SCRIPT_MEMORY", "SCRIPT_STACK"]);

class Sandbox {
  readonly logs: LogLine[] = [];
  private disposed = false;
  private timedOut = false;
  private checks = 0;

  private constructor(
    readonly vm: QuickJSContext,
    private module: Promise<QuickJSWASMModule>,
    private deadline: number,
    private budget: number,
  ) {}

  static async open(limits: ScriptRun["limits"], host: ScriptRun["host"] | null): Promise<Sandbox> {
    const pending = quickjs();
    const runtime = (await pending).newRuntime();
    runtime.setMemoryLimit(limits.memoryBytes);
    runtime.setMaxStackSize(limits.stackBytes);
    const sandbox = new Sandbox(
      runtime.newContext(),
      pending,
      Date.now() + limits.timeoutMs,
      limits.timeoutMs * CHECKS_PER_MS,
    );
    runtime.setInterruptHandler(() => sandbox.interrupt());
    sandbox.install(host);
    return sandbox;
  }

  private interrupt(): boolean {
    this.checks += 1;
    if (this.timedOut || this.checks > this.budget || Date.now() > this.deadline) this.timedOut = true;
    return this.timedOut;
  }

  /** Host functions the prelude closes over and then removes from the global object. */
  private install(host: ScriptRun["host"] | null): void {
    const vm = this.vm;
    const bridge = (name: string, target: ((a: string, b: string) => Promise<string>) | null) => {
      const fn = vm.newFunction(name, (a, b) => {
        const deferred = vm.newPromise();
        const settle = (ok: boolean, text: string) => {
          if (this.disposed) return;
          const value = ok ? vm.newString(text) : vm.newError({ name: "Error", message: text });
          (ok ? deferred.resolve : deferred.reject)(value);
          value.dispose();
          vm.runtime.executePendingJobs();
        };
        if (!target) settle(false, "ctx.api is not available while the module is being loaded");
        else
          target(vm.getString(a), vm.getString(b)).then(
            (t) => settle(true, t),
            (err) => settle(false, err instanceof Error ? err.message : String(err)),
          );
        return deferred.handle;
      });
      vm.setProp(vm.global, name, fn);
      fn.dispose();
    };
    bridge("__call", host ? (op, args) => host.call(op, args) : null);
    bridge("__fetch", host ? (url, init) => host.fetch(url, init) : null);
    const log = vm.newFunction("__log", (level, text) => {
      this.logs.push({ level: vm.getString(level) as LogLine["level"], message: vm.getString(text), at: Date.now() });
    });
    vm.setProp(vm.global, "__log", log);
    log.dispose();
    const prelude = vm.evalCode(PRELUDE, "prelude.js", { type: "global", strict: true });
    vm.unwrapResult(prelude).dispose();
  }

  /** Evaluates the module and returns its default export, or the reason there is none. */
  async load(code: string): Promise<{ main?: QuickJSHandle; error?: ScriptError }> {
    const vm = this.vm;
    const evaluated = vm.evalCode(code, SCRIPT_FILENAME, { type: "module", strict: true });
    if (evaluated.error) return { error: errorOf(vm, evaluated.error) };
    let namespace = evaluated.value;
    const state = vm.getPromiseState(namespace);
    // With top-level await the module yields a promise of its namespace.
    if (!(state.type === "fulfilled" && state.notAPromise)) {
      if (state.type === "fulfilled") state.value.dispose();
      const settled = await this.settle(namespace);
      if (settled.error) return { error: settled.error };
      namespace = settled.value!;
    }
    const main = vm.getProp(namespace, "default");
    namespace.dispose();
    if (vm.typeof(main) !== "function") {
      main.dispose();
      return {
        error: {
          name: "TypeError",
          message: "the module must `export default` an async function of (event, ctx)",
          code: "SCRIPT_INVALID",
        },
      };
    }
    return { main };
  }

  /** Waits for a promise inside the VM, bounded by the wall-clock deadline. */
  private async settle(promise: QuickJSHandle): Promise<{ value?: QuickJSHandle; error?: ScriptError }> {
    const vm = this.vm;
    const native = vm.resolvePromise(promise);
    promise.dispose();
    this.pump();
    let timer: ReturnType<typeof setTimeout> | null = null;
    const expired = new Promise<"expired">((resolve) => {
      timer = setTimeout(() => resolve("expired"), Math.max(0, this.deadline - Date.now()));
    });
    const outcome = await Promise.race([native, expired]);
    clearTimeout(timer);
    if (outcome === "expired" || this.timedOut) {
      this.timedOut = true;
      return { error: { name: "InternalError", message: "interrupted", code: "SCRIPT_TIMEOUT" } };
    }
    if (outcome.error) return { error: errorOf(vm, outcome.error) };
    return { value: outcome.value };
  }

  private pump(): void {
    const jobs = this.vm.runtime.executePendingJobs();
    if (jobs.error) jobs.error.dispose();
  }

  async call(main: QuickJSHandle, eventJson: string): Promise<{ result?: unknown; error?: ScriptError }> {
    const vm = this.vm;
    const runner = vm.getProp(vm.global, "__run");
    const event = vm.newString(eventJson);
    const started = vm.callFunction(runner, vm.undefined, main, event);
    runner.dispose();
    event.dispose();
    main.dispose();
    if (started.error) return { error: errorOf(vm, started.error) };
    const settled = await this.settle(started.value);
    if (settled.error) return { error: settled.error };
    const text = vm.getString(settled.value!);
    settled.value!.dispose();
    return { result: JSON.parse(text) };
  }

  timeoutError(error: ScriptError, timeoutMs: number): ScriptError {
    if (error.code !== "SCRIPT_TIMEOUT" && !this.timedOut) return error;
    return {
      ...error,
      code: "SCRIPT_TIMEOUT",
      message: `the script ran past its ${timeoutMs} ms limit and was stopped`,
    };
  }

  /**
   * A runtime stopped by a limit still holds handles of the unfinished job, and freeing it trips QuickJS's leak
   * assertion, which aborts the whole WebAssembly instance. So such a run abandons its instance instead: the next
   * run starts a fresh one and the old one is garbage-collected.
   */
  dispose(stopped: boolean): void {
    this.disposed = true;
    if (stopped) {
      if (wasm === this.module) wasm = undefined;
      return;
    }
    this.vm.dispose();
    this.vm.runtime.dispose();
  }
}

/**
 * A failure of the WebAssembly instance itself rather than of the script inside it: the host's own stack overflowing
 * under deep recursion (before QuickJS's stack check fires), or a trap. The run fails with the code that says why and
 * the instance is abandoned; it never escapes as an exception (which the queue would retry forever).
 */
function instanceFailure(err: unknown): ScriptError {
  const message = err instanceof Error ? err.message : String(err);
  if (err instanceof RangeError && /call stack/i.test(message))
    return { name: "InternalError", message: "stack overflow", code: "SCRIPT_STACK" };
  if (/out of memory|memory access out of bounds/i.test(message))
    return { name: "InternalError", message: "out of memory", code: "SCRIPT_MEMORY" };
  return { name: "InternalError", message: `the sandbox failed: ${message}`, code: "SCRIPT_ERROR" };
}

function memoryError(error: ScriptError, limits: ScriptRun["limits"]): ScriptError {
  if (error.code === "SCRIPT_MEMORY")
    return { ...error, message: `the script used more than its ${limits.memoryBytes} bytes of memory and was stopped` };
  if (error.code === "SCRIPT_STACK")
    return { ...error, message: `the script exceeded its ${limits.stackBytes}-byte stack and was stopped` };
  return error;
}

/** QuickJS compiled to WebAssembly: limits enforced by the interpreter itself, so they hold everywhere. */
export class QuickJsRunner implements ScriptRunner {
  readonly kind = "quickjs" as const;

  async check(code: string): Promise<CheckResult> {
    const sandbox = await Sandbox.open({ timeoutMs: 200, memoryBytes: 16 << 20, stackBytes: 256 << 10 }, null);
    let stopped = true;
    try {
      const loaded = await sandbox.load(code);
      loaded.main?.dispose();
      stopped = !!loaded.error && LIMIT_CODES.has(loaded.error.code);
      return loaded.error ? { ok: false, error: loaded.error } : { ok: true };
    } catch (err) {
      return { ok: false, error: instanceFailure(err) };
    } finally {
      sandbox.dispose(stopped);
    }
  }

  async run(run: ScriptRun): Promise<ScriptOutcome> {
    const began = performance.now();
    const sandbox = await Sandbox.open(run.limits, run.host);
    const elapsed = () => Math.round((performance.now() - began) * 100) / 100;
    let stopped = true;
    try {
      const loaded = await sandbox.load(run.code);
      const outcome = loaded.main ? await sandbox.call(loaded.main, run.eventJson) : { error: loaded.error };
      if (outcome.error) {
        const error = memoryError(sandbox.timeoutError(outcome.error, run.limits.timeoutMs), run.limits);
        stopped = LIMIT_CODES.has(error.code);
        return { ok: false, logs: sandbox.logs, durationMs: elapsed(), error };
      }
      stopped = false;
      return { ok: true, result: outcome.result, logs: sandbox.logs, durationMs: elapsed() };
    } catch (err) {
      return {
        ok: false,
        logs: sandbox.logs,
        durationMs: elapsed(),
        error: memoryError(instanceFailure(err), run.limits),
      };
    } finally {
      sandbox.dispose(stopped);
    }
  }
}
