/** A SCRIPT_RUNS message: one run of one script, for one change event or one scheduled time. */
export interface ScriptRunMessage {
  kind: "script-run";
  tenant: string;
  scriptId: string;
  /** (script id, event id) or (script id, scheduled time): a redelivered message with the same key never runs twice. */
  runKey: string;
  trigger: "event" | "cron";
  /** The change event (canonical EJSON) or the schedule tick (JSON). */
  event: string;
  /** The change event's chain depth; the script's own writes carry one more. */
  chainDepth: number;
  /** Attempts already made (0 on the first). */
  attempt: number;
  /** Cron runs: the coordinator's fencing token when it dispatched the run; runs from a deposed leader are refused. */
  fencingToken?: number;
  scheduledAt?: number;
}

export function isScriptRunMessage(body: unknown): body is ScriptRunMessage {
  return typeof body === "object" && body !== null && (body as { kind?: unknown }).kind === "script-run";
}

/** The first attempt of a run: for a change event, or for a scheduled time (with the dispatching leader's token). */
export function scriptRunMessage(
  r: Pick<ScriptRunMessage, "tenant" | "scriptId" | "runKey" | "trigger" | "event"> &
    Partial<Pick<ScriptRunMessage, "chainDepth" | "fencingToken" | "scheduledAt">>,
): ScriptRunMessage {
  return { kind: "script-run", ...r, chainDepth: r.chainDepth ?? 0, attempt: 0 };
}
