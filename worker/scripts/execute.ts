import type { ScriptRecord } from "../lib/records";
import { publicEvent, type ChangeEvent } from "../lib/change-events";
import { parseEjson, stringify } from "../lib/ejson";
import { recordScriptRun } from "../metrics";
import { scriptHost } from "./host";
import { scriptRunner } from "./index";
import type { ScriptOutcome } from "./runner";
import { scriptSettings } from "./settings";
import { SCRIPT_ISOLATE_MEMORY_MB } from "../lib/script-config";

/** The event as a script sees it: change events in relaxed EJSON without internal fields; ticks as they are. */
export function scriptEvent(trigger: "event" | "cron" | "manual", text: string): string {
  if (trigger !== "event") return text;
  return stringify(publicEvent(parseEjson(text, "event") as ChangeEvent));
}

/**
 * Memory promised to the runs under way in this isolate. Runs of one isolate share its 128 MB with every request it
 * serves, so their limits together stay within SCRIPT_ISOLATE_MEMORY_MB: a run waits until its limit fits.
 */
const memory = { reserved: 0, waiters: [] as Array<() => void> };
const ISOLATE_BYTES = SCRIPT_ISOLATE_MEMORY_MB * 1024 * 1024;

async function reserve(bytes: number): Promise<void> {
  while (memory.reserved > 0 && memory.reserved + bytes > ISOLATE_BYTES)
    await new Promise<void>((r) => memory.waiters.push(r));
  memory.reserved += bytes;
}

function release(bytes: number): void {
  memory.reserved -= bytes;
  for (const wake of memory.waiters.splice(0)) wake();
}

/** For tests: the memory promised to runs under way in this isolate. */
export function reservedScriptMemory(): number {
  return memory.reserved;
}

/** Runs a script once in the configured sandbox, bound to its tenant, with its own limits. */
export async function execute(
  env: Env,
  tenant: string,
  script: ScriptRecord,
  eventJson: string,
  chainDepth: number,
): Promise<ScriptOutcome> {
  const bytes = script.memoryLimitMb * 1024 * 1024;
  await reserve(bytes);
  try {
    return await run(env, tenant, script, eventJson, chainDepth);
  } finally {
    release(bytes);
  }
}

async function run(
  env: Env,
  tenant: string,
  script: ScriptRecord,
  eventJson: string,
  chainDepth: number,
): Promise<ScriptOutcome> {
  const settings = scriptSettings(env);
  const runner = scriptRunner(env);
  const outcome = await runner.run({
    versionId: script.versionId,
    code: script.code,
    eventJson,
    limits: {
      timeoutMs: script.timeoutMs,
      memoryBytes: script.memoryLimitMb * 1024 * 1024,
      stackBytes: settings.stackBytes,
    },
    host: scriptHost(env, { tenant, chainDepth, allowedHosts: script.allowedHosts, database: script.database }),
  });
  recordScriptRun(outcome.ok ? "succeeded" : "failed", outcome.durationMs);
  return outcome;
}
