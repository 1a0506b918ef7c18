import { envNumber as num } from "../lib/env-number";

/** Script settings from the environment, with the documented defaults. */
export function scriptSettings(env: Env) {
  return {
    retryBaseMs: num(env.SCRIPT_RETRY_BASE_MS, 5_000),
    retryCapMs: num(env.SCRIPT_RETRY_CAP_MS, 600_000),
    windowMs: num(env.SCRIPT_RATE_WINDOW_MS, 60_000),
    /** Events from this many script writes in a row trigger no further scripts. */
    maxChainDepth: num(env.SCRIPT_MAX_CHAIN_DEPTH, 5),
    stackBytes: 512 * 1024,
  };
}
