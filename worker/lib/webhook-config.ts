import { z } from "@hono/zod-openapi";
import { AppError } from "./errors";
import type { OperationType } from "./change-events";
import { checkStoredFilter } from "./query-policy";
import { validIndexField } from "./planner";

export const RATE_LIMIT = { min: 1, max: 300, default: 60 };
export const MAX_ATTEMPTS = { min: 1, max: 20, default: 8 };
/** Headers a webhook may not set: the signature scheme's own and those the HTTP stack owns. */
const RESERVED_HEADERS =
  /^(webhook-(id|timestamp|signature)|content-type|content-length|host|connection|transfer-encoding|user-agent)$/i;

/** What is stored per webhook (secrets apart). `filter` is canonical EJSON text so BSON values survive. */
export interface WebhookConfig {
  url: string;
  /** A database name, or "*" for every database of the tenant (records made before databases existed have none). */
  database?: string;
  collection: string;
  events: OperationType[];
  filter: string | null;
  excludeFields: string[];
  rateLimitPerMinute: number;
  maxAttempts: number;
  headers: Record<string, string>;
  enabled: boolean;
  description: string;
}

const events = z
  .array(z.enum(["insert", "update", "replace", "delete", "create"]))
  .min(1, "name at least one of insert, update, replace, delete")
  .transform((list) => [...new Set(list.map((e) => (e === "create" ? "insert" : e)))] as OperationType[]);

const fields = {
  url: z.string().max(2048),
  database: z
    .string()
    .regex(/^(\*|[A-Za-z0-9_-]{1,64})$/, 'a database name or "*"')
    .openapi({ description: 'a database name, or "*" for every database' }),
  collection: z.string().min(1).max(120).openapi({ description: 'a collection name, or "*" for all' }),
  events,
  filter: z.record(z.string(), z.unknown()).nullable().openapi({ description: "MongoDB query on the document" }),
  excludeFields: z.array(z.string().max(300)).max(100),
  rateLimitPerMinute: z.number().int().min(RATE_LIMIT.min).max(RATE_LIMIT.max),
  maxAttempts: z.number().int().min(MAX_ATTEMPTS.min).max(MAX_ATTEMPTS.max),
  headers: z.record(z.string().max(100), z.string().max(1000)),
  enabled: z.boolean(),
  description: z.string().max(500),
};

export const CreateWebhook = z
  .object({
    ...fields,
    events: events.default(["insert", "update", "replace", "delete"]),
    collection: fields.collection.default("*"),
    database: fields.database.default("*"),
    filter: fields.filter.optional(),
    excludeFields: fields.excludeFields.default([]),
    rateLimitPerMinute: fields.rateLimitPerMinute.default(RATE_LIMIT.default),
    maxAttempts: fields.maxAttempts.default(MAX_ATTEMPTS.default),
    headers: fields.headers.default({}),
    enabled: fields.enabled.default(true),
    description: fields.description.default(""),
  })
  .strict();

export const UpdateWebhook = z.object(fields).partial().strict();

/** Checks what zod cannot: the filter against the read policy, field paths, header names. Throws 400s naming the field. */
export function checkWebhookParts(input: {
  filter?: Record<string, unknown> | null;
  excludeFields?: string[];
  headers?: Record<string, string>;
  collection?: string;
}): void {
  if (input.filter) checkStoredFilter(input.filter, "filter");
  for (const [i, path] of (input.excludeFields ?? []).entries()) {
    if (!validIndexField(path))
      throw new AppError(400, "VALIDATION_FAILED", `excludeFields.${i}: "${path}" is not a dotted field path`, {
        field: `excludeFields.${i}`,
      });
  }
  for (const name of Object.keys(input.headers ?? {})) {
    if (!/^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/.test(name))
      throw new AppError(400, "VALIDATION_FAILED", `headers: "${name}" is not a valid header name`, {
        field: "headers",
      });
    if (RESERVED_HEADERS.test(name))
      throw new AppError(400, "VALIDATION_FAILED", `headers: "${name}" is set by Docflare and cannot be overridden`, {
        field: "headers",
      });
  }
  if (input.collection !== undefined && input.collection !== "*" && /^\$|^system\.|\0/.test(input.collection)) {
    throw new AppError(400, "VALIDATION_FAILED", `collection: "${input.collection}" is not a valid collection name`, {
      field: "collection",
    });
  }
}

/** A new signing secret in the Standard Webhooks form: whsec_ + base64 of 32 random bytes. */
export function newSecret(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(32));
  return `whsec_${btoa(String.fromCharCode(...bytes))}`;
}
