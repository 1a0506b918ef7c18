import type { ScriptRecord } from "../lib/records";
import type { z } from "@hono/zod-openapi";
import { sha256Hex } from "../lib/hash";
import { fromJson, parseEjson, stringify, toJson } from "../lib/ejson";
import { AppError } from "../lib/errors";
import { checkTrigger, type CreateScript, type ScriptConfig, type TriggerInput } from "../lib/script-config";
import { registryOf, schedulerOf, SYSTEM_REGISTRY } from "../stubs";
import { scriptRunner } from "./index";
import { invalidateScripts } from "./script-cache";
import { useDatabase } from "../store/databases";

type TriggerIn = z.infer<typeof TriggerInput>;

export const scriptNotFound = (id: string) => new AppError(404, "SCRIPT_NOT_FOUND", `no script ${id}`, { id });

/** Stored trigger: the event filter as canonical EJSON text so BSON values survive. */
function storedTrigger(t: TriggerIn): ScriptConfig["trigger"] {
  checkTrigger(t);
  if (t.type === "cron") return { type: "cron", schedule: t.schedule.trim(), timezone: t.timezone };
  return {
    type: "event",
    collection: t.collection,
    events: t.events,
    filter: t.filter ? stringify(fromJson(t.filter, "trigger.filter"), true) : null,
  };
}

/** How a script is shown: the filter back as relaxed JSON. */
export function scriptView(s: ScriptRecord) {
  const t = s.trigger;
  return {
    ...s,
    trigger: t.type === "event" ? { ...t, filter: t.filter ? toJson(parseEjson(t.filter, "filter")) : null } : t,
  };
}

/** Code is checked on save: it must parse and default-export a function; a syntax error is a 400 with its line. */
async function checkCode(env: Env, code: string): Promise<void> {
  const checked = await scriptRunner(env).check(code);
  if (checked.ok) return;
  const e = checked.error!;
  const where = e.line ? ` (line ${e.line})` : "";
  throw new AppError(400, "SCRIPT_INVALID", `code: ${e.name}: ${e.message}${where}`, {
    field: "code",
    line: e.line ?? null,
    name: e.name,
    message: e.message,
  });
}

async function versionOf(config: ScriptConfig): Promise<string> {
  return sha256Hex(JSON.stringify(config), 12);
}

/** Keeps the tenant's coordinator (and the system directory of scheduled tenants) in step with its cron scripts. */
async function syncSchedule(
  env: Env,
  tenant: string,
  before: ScriptRecord | null,
  after: ScriptRecord | null,
): Promise<void> {
  const scheduler = schedulerOf(env, tenant);
  if (after?.trigger.type === "cron") {
    await scheduler.upsertJob(tenant, after.id, after.trigger.schedule, after.trigger.timezone, after.enabled);
  } else if (before?.trigger.type === "cron") {
    await scheduler.removeJob(before.id);
  }
  const anyCron = (await registryOf(env, tenant).listScripts()).some((s) => s.trigger.type === "cron");
  await registryOf(env, SYSTEM_REGISTRY).setScheduledTenant(tenant, anyCron);
}

async function save(
  env: Env,
  tenant: string,
  id: string,
  config: ScriptConfig,
  before: ScriptRecord | null,
): Promise<ScriptRecord> {
  if (config.database) await useDatabase(env, tenant, config.database);
  const record = await registryOf(env, tenant).putScript(id, config, await versionOf(config));
  invalidateScripts(tenant);
  await syncSchedule(env, tenant, before, record);
  return record;
}

export async function createScript(
  env: Env,
  tenant: string,
  input: z.infer<typeof CreateScript>,
): Promise<ScriptRecord> {
  const config: ScriptConfig = { ...input, trigger: storedTrigger(input.trigger) };
  await checkCode(env, config.code);
  return save(env, tenant, `scr_${crypto.randomUUID().replaceAll("-", "")}`, config, null);
}

export async function updateScript(
  env: Env,
  tenant: string,
  id: string,
  patch: Partial<z.infer<typeof CreateScript>>,
): Promise<ScriptRecord> {
  const current = await registryOf(env, tenant).getScript(id);
  if (!current) throw scriptNotFound(id);
  const { id: _id, versionId: _v, createdAt: _c, updatedAt: _u, ...stored } = current;
  const config: ScriptConfig = {
    ...stored,
    ...patch,
    trigger: patch.trigger ? storedTrigger(patch.trigger) : stored.trigger,
  };
  if (patch.code !== undefined) await checkCode(env, config.code);
  return save(env, tenant, id, config, current);
}

export async function deleteScript(env: Env, tenant: string, id: string): Promise<void> {
  const current = await registryOf(env, tenant).getScript(id);
  if (!current || !(await registryOf(env, tenant).deleteScript(id))) throw scriptNotFound(id);
  invalidateScripts(tenant);
  await syncSchedule(env, tenant, current, null);
}
