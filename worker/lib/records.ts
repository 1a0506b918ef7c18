import type { WebhookConfig } from "./webhook-config";
import type { ScriptConfig } from "./script-config";

/*
 * The records Durable Objects keep and the Worker reads, and the retention the API promises: one home, so that
 * durable-objects/ depends on worker/lib/ and never the other way round.
 */

// Identity (IdentityDO)

export interface UserRecord {
  id: string;
  email: string;
  /** read, write, admin, or the name of a custom role of the tenant. */
  role: string;
  collections: string[] | null;
  disabled: boolean;
  createdAt: string;
  updatedAt: string;
}

export interface SigningKey {
  kid: string;
  publicJwk: JsonWebKey;
  privateJwk: JsonWebKey;
  createdAt: number;
  retiredAt: number | null;
}

// Webhooks (RegistryDO, WebhookDO)

export interface Secret {
  secret: string;
  /** Epoch ms after which an old secret stops being used for signing; null for the current one. */
  expiresAt: number | null;
}

export interface WebhookRecord extends WebhookConfig {
  id: string;
  createdAt: string;
  updatedAt: string;
  disabledReason: string | null;
}

/** A webhook as the delivery path needs it: config plus its secrets (expired ones are skipped at send time). */
export interface WebhookRuntime extends WebhookRecord {
  secrets: Secret[];
}

export type DeliveryStatus = "pending" | "retrying" | "delivered" | "failed" | "skipped";

export type AttemptOutcome = "delivered" | "retrying" | "failed" | "skipped";

export interface AttemptRecord {
  deliveryId: string;
  eventId: string;
  /** Canonical EJSON of the change event, kept for replay. */
  event: string;
  generation: number;
  attempt: number;
  outcome: AttemptOutcome;
  statusCode: number | null;
  error: string | null;
  latencyMs: number | null;
  nextAttemptAt?: number | null;
  test?: boolean;
}

// Scripts (RegistryDO, ScriptDO)

export interface ScriptRecord extends ScriptConfig {
  id: string;
  /** Hash of code and config: the dynamic-worker runner keeps one isolate per version. */
  versionId: string;
  createdAt: string;
  updatedAt: string;
}

export type RunStatus = "running" | "succeeded" | "failed" | "retrying" | "skipped";

export type RunTrigger = "event" | "cron" | "manual";

/** Retention and the stated truncation sizes of what a run keeps. */
export const RUN_RETENTION = {
  runs: 500,
  maxAgeMs: 7 * 24 * 3600_000,
  logBytes: 16_384,
  logLines: 200,
  resultBytes: 8_192,
};

// Tenants (RegistryDO) and the audit trail (AuditDO)

/** A tenant database as the registry lists it ("main" always exists and is not listed here). */
export interface DatabaseRecord {
  name: string;
  createdAt: string;
}

export interface AuditEntry {
  /** Who: `key:<id>`, `user:<id>`, `admin-token`, or `anonymous` (a sign-in attempt names the email in details). */
  actor: string;
  /** From where: the client address and user agent. */
  client: string | null;
  userAgent: string | null;
  /** What: `POST /api/webhooks/:id/rotate-secret`, or an identity event such as `auth.login`. */
  action: string;
  target: string | null;
  /** The outcome: the HTTP status, and the error code when refused. */
  status: number;
  code: string | null;
  details: Record<string, unknown> | null;
}
