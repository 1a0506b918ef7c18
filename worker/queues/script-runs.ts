import { backoffDelay } from "../lib/backoff";
import { eventIdOf } from "../lib/schedule";
import { schedulerOf, scriptStub } from "../stubs";
import { execute, scriptEvent } from "../scripts/execute";
import { scriptsOf } from "../scripts/script-cache";
import { scriptSettings } from "../scripts/settings";
import { delaySeconds } from "./delivery-messages";
import { consumeEach } from "./consume";
import { isScriptRunMessage, type ScriptRunMessage } from "./script-messages";
import type { ScriptOutcome } from "../scripts/runner";

/**
 * One attempt of one run: claim it in the script's ScriptDO (deduplicated by run key, rate limited), run it in the
 * sandbox, record the outcome, and either retry with backoff or finish. Cron outcomes also go to the coordinator.
 */
export async function runScriptMessage(env: Env, msg: ScriptRunMessage): Promise<void> {
  const script = (await scriptsOf(env, msg.tenant)).items.find((s) => s.id === msg.scriptId);
  const stub = scriptStub(env, msg.tenant, msg.scriptId);
  const eventId = msg.trigger === "event" ? eventIdOf(msg.runKey, msg.scriptId) : null;
  const info = { trigger: msg.trigger, eventId, scheduledAt: msg.scheduledAt ?? null, attempt: msg.attempt + 1 };
  if (!script) return;
  if (!script.enabled) {
    await stub.finish(msg.runKey, info, {
      status: "skipped",
      durationMs: null,
      logs: [],
      error: { code: "SCRIPT_DISABLED", message: "the script is paused" },
    });
    return;
  }
  const settings = scriptSettings(env);
  const claim = await stub.claim(
    msg.runKey,
    info,
    script.rateLimitPerMinute,
    settings.windowMs,
    script.timeoutMs + 30_000,
    msg.fencingToken,
  );
  if ("skip" in claim) return;
  if (!claim.go) {
    await env.SCRIPT_RUNS.send(msg, { delaySeconds: delaySeconds(claim.waitMs) });
    return;
  }
  // Whatever happens in the sandbox ends as an outcome that counts as an attempt: an exception escaping here would be
  // retried by the queue after the claim's lease expired, forever.
  const outcome = await execute(env, msg.tenant, script, scriptEvent(msg.trigger, msg.event), msg.chainDepth).catch(
    (err): ScriptOutcome => ({
      ok: false,
      logs: [],
      durationMs: 0,
      error: { name: "Error", message: `the run failed: ${String(err)}`, code: "SCRIPT_ERROR" },
    }),
  );
  const attempt = msg.attempt + 1;
  const final = outcome.ok || attempt >= script.maxAttempts || outcome.error?.code === "SCRIPT_INVALID";
  const wait = final ? 0 : settings.retryBaseMs / 2 + backoffDelay(attempt, settings.retryBaseMs, settings.retryCapMs);
  await stub.finish(
    msg.runKey,
    info,
    {
      status: outcome.ok ? "succeeded" : final ? "failed" : "retrying",
      durationMs: outcome.durationMs,
      logs: outcome.logs,
      result: outcome.result,
      error: outcome.error ?? null,
      nextAttemptAt: final ? null : Date.now() + wait,
    },
    claim.slot,
  );
  if (!final) {
    await env.SCRIPT_RUNS.send({ ...msg, attempt }, { delaySeconds: delaySeconds(wait) });
    return;
  }
  if (msg.trigger === "cron" && msg.scheduledAt !== undefined) {
    await schedulerOf(env, msg.tenant).recordOutcome(msg.scriptId, msg.scheduledAt, {
      ok: outcome.ok,
      durationMs: outcome.durationMs,
      error: outcome.error?.message ?? null,
    });
  }
}

/** SCRIPT_RUNS consumer: one message is one attempt of one run. */
export function consumeScriptRuns(batch: MessageBatch<unknown>, env: Env): Promise<void> {
  return consumeEach(
    batch,
    "script-run",
    isScriptRunMessage,
    (body) => runScriptMessage(env, body),
    (body) => ({ runKey: body.runKey }),
  );
}
