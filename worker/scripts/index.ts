import { AppError } from "../lib/errors";
import { DynamicWorkerRunner } from "./dynamic-worker";
import { QuickJsRunner } from "./quickjs";
import type { ScriptRunner } from "./runner";

const quickjs = new QuickJsRunner();

/** The configured sandbox: SCRIPT_RUNNER = "quickjs" (default) or "dynamic-worker". */
export function scriptRunner(env: Env, kind = env.SCRIPT_RUNNER || "quickjs"): ScriptRunner {
  if (kind === "quickjs") return quickjs;
  if (kind === "dynamic-worker") {
    if (!env.LOADER)
      throw new AppError(
        503,
        "RUNNER_NOT_CONFIGURED",
        "SCRIPT_RUNNER is dynamic-worker but no Worker Loader binding (LOADER) exists",
      );
    return new DynamicWorkerRunner(env.LOADER);
  }
  throw new AppError(503, "RUNNER_NOT_CONFIGURED", `unknown SCRIPT_RUNNER "${kind}" (quickjs or dynamic-worker)`);
}
