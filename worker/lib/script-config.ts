import { z } from "@hono/zod-openapi";
import { Cron } from "croner";
import { AppError } from "./errors";
import type { OperationType } from "./change-events";
import { checkStoredFilter } from "./query-policy";
import { MAX_ATTEMPTS, RATE_LIMIT } from "./webhook-config";

export const TIMEOUT_MS = { min: 10, max: 30_000, default: 5_000 };
/** A Worker isolate has 128 MB; one run may take at most half, and runs in one isolate share SCRIPT_ISOLATE_MEMORY_MB. */
export const MEMORY_MB = { min: 1, max: 64, default: 32 };
export const SCRIPT_ISOLATE_MEMORY_MB = 64;
export const SCRIPT_ATTEMPTS = { ...MAX_ATTEMPTS, default: 3 };
export const MAX_CODE_BYTES = 256 * 1024;

export interface EventTrigger {
  type: "event";
  collection: string;
  events: OperationType[];
  /** Canonical EJSON text of a MongoDB query on the document, or null. */
  filter: string | null;
}

export interface CronTrigger {
  type: "cron";
  schedule: string;
  timezone: string;
}

/** What is stored per script. */
export interface ScriptConfig {
  name: string;
  description: string;
  code: string;
  trigger: EventTrigger | CronTrigger;
  enabled: boolean;
  timeoutMs: number;
  memoryLimitMb: number;
  rateLimitPerMinute: number;
  maxAttempts: number;
  /** Hosts `ctx.fetch` may reach ("api.example.com" or "*.example.com"); empty means no network at all. */
  allowedHosts: string[];
  /** The database the script works on: its event trigger listens there and `ctx.api` reads and writes there. */
  database?: string;
}

const events = z
  .array(z.enum(["insert", "update", "replace", "delete"]))
  .min(1, "name at least one of insert, update, replace, delete")
  .transform((list) => [...new Set(list)] as OperationType[]);

const EventTriggerInput = z
  .object({
    type: z.literal("event"),
    collection: z.string().min(1).max(120).default("*").openapi({ description: 'a collection name, or "*" for all' }),
    events: events.default(["insert", "update", "replace", "delete"]),
    filter: z
      .record(z.string(), z.unknown())
      .nullable()
      .default(null)
      .openapi({ description: "MongoDB query on the document" }),
  })
  .strict();

const CronTriggerInput = z
  .object({
    type: z.literal("cron"),
    schedule: z
      .string()
      .min(1)
      .max(200)
      .openapi({ description: "5 fields, or 6 with seconds first", example: "*/10 * * * * *" }),
    timezone: z.string().min(1).max(64).default("UTC"),
  })
  .strict();

export const TriggerInput = z.discriminatedUnion("type", [EventTriggerInput, CronTriggerInput]);

const host = z
  .string()
  .max(253)
  .regex(/^(\*\.)?[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*$/, 'a host name such as "api.example.com" or "*.example.com"');

const fields = {
  name: z.string().min(1).max(120),
  description: z.string().max(500),
  code: z.string().min(1).max(MAX_CODE_BYTES),
  trigger: TriggerInput,
  enabled: z.boolean(),
  timeoutMs: z.number().int().min(TIMEOUT_MS.min).max(TIMEOUT_MS.max),
  memoryLimitMb: z.number().int().min(MEMORY_MB.min).max(MEMORY_MB.max),
  rateLimitPerMinute: z.number().int().min(RATE_LIMIT.min).max(RATE_LIMIT.max),
  maxAttempts: z.number().int().min(SCRIPT_ATTEMPTS.min).max(SCRIPT_ATTEMPTS.max),
  allowedHosts: z.array(host).max(20),
  database: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,64}$/, "1-64 letters, digits, _ or -")
    .openapi({ description: 'the tenant database the script works on (default "main")' }),
};

export const CreateScript = z
  .object({
    ...fields,
    description: fields.description.default(""),
    enabled: fields.enabled.default(true),
    timeoutMs: fields.timeoutMs.default(TIMEOUT_MS.default),
    memoryLimitMb: fields.memoryLimitMb.default(MEMORY_MB.default),
    rateLimitPerMinute: fields.rateLimitPerMinute.default(RATE_LIMIT.default),
    maxAttempts: fields.maxAttempts.default(SCRIPT_ATTEMPTS.default),
    allowedHosts: fields.allowedHosts.default([]),
    database: fields.database.default("main"),
  })
  .strict();

export const UpdateScript = z.object(fields).partial().strict();

const invalid = (field: string, message: string) =>
  new AppError(400, "VALIDATION_FAILED", `${field}: ${message}`, { field });

/** Parses a schedule with croner; a bad expression or time zone is a 400 naming the field. */
export function parseSchedule(schedule: string, timezone: string): Cron {
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: timezone });
  } catch {
    throw invalid("trigger.timezone", `"${timezone}" is not an IANA time zone`);
  }
  const fieldsCount = schedule.trim().split(/\s+/).length;
  if (fieldsCount < 5 || fieldsCount > 6)
    throw invalid("trigger.schedule", `expected 5 fields (or 6 with seconds), got ${fieldsCount}`);
  try {
    return new Cron(schedule, { timezone, paused: true, mode: fieldsCount === 6 ? "6-part" : "5-part" });
  } catch (err) {
    throw invalid("trigger.schedule", err instanceof Error ? err.message : String(err));
  }
}

/** Checks what zod cannot: the trigger filter against the read policy, the collection name, the schedule. */
export function checkTrigger(trigger: z.infer<typeof TriggerInput>): void {
  if (trigger.type === "cron") {
    parseSchedule(trigger.schedule, trigger.timezone);
    return;
  }
  if (trigger.filter) checkStoredFilter(trigger.filter, "trigger.filter");
  if (trigger.collection !== "*" && /^\$|^system\.|\0/.test(trigger.collection))
    throw invalid("trigger.collection", `"${trigger.collection}" is not a valid collection name`);
}

/** `ctx.fetch` may go to `hostname` only when a listed host names it exactly or by a `*.` suffix. */
export function hostAllowed(hostname: string, allowed: string[]): boolean {
  const h = hostname.toLowerCase().replace(/\.$/, "");
  return allowed.some((a) => {
    const rule = a.toLowerCase();
    return rule.startsWith("*.") ? h.endsWith(rule.slice(1)) && h.length > rule.length - 1 : h === rule;
  });
}
