import type { ScriptRecord } from "../../durable-objects/sql/scripts";
import { publicEvent, type ChangeEvent } from "../lib/change-events";
import { parseEjson, stringify } from "../lib/ejson";
import { recordScriptRun } from "../metrics";
import { scriptHost } from "./host";
import { scriptRunner } from "./index";
import type { ScriptOutcome } from "./runner";
import { scriptSettings } from "./settings";

/** The event as a script sees it: change events in relaxed EJSON without internal fields; ticks as they are. */
export function scriptEvent(trigger: "event" | "cron" | "manual", text: string): string {
  if (trigger !== "event") return text;
  return stringify(publicEvent(parseEjson(text, "event") as ChangeEvent));
}

/** Runs a script once in the configured sandbox, bound to its tenant, with its own limits. */
export async function execute(env: Env, tenant: string, script: ScriptRecord, eventJson: string, chainDepth: number): Promise<ScriptOutcome> {
  const settings = scriptSettings(env);
  const runner = scriptRunner(env);
  const outcome = await runner.run({
    versionId: script.versionId,
    code: script.code,
    eventJson,
    limits: { timeoutMs: script.timeoutMs, memoryBytes: script.memoryLimitMb * 1024 * 1024, stackBytes: settings.stackBytes },
    host: scriptHost(env, { tenant, chainDepth, allowedHosts: script.allowedHosts }),
  });
  recordScriptRun(outcome.ok ? "succeeded" : "failed", outcome.durationMs);
  return outcome;
}
