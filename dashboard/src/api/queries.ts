import { api, unwrap } from "./client";

/** Shapes the dashboard reads from the API's JSON answers (the OpenAPI document types most bodies as free JSON). */
export type CollectionInfo = {
  name: string;
  count: number;
  sizeBytes: number;
  indexes: { name: string; keys: Record<string, number>; unique?: boolean }[];
  validator?: Record<string, unknown>;
};
export type Webhook = {
  id: string;
  url: string;
  collection: string;
  events: string[];
  excludeFields: string[];
  rateLimitPerMinute: number;
  maxAttempts: number;
  headers: Record<string, string>;
  enabled: boolean;
  description: string;
  filter: Record<string, unknown> | null;
  disabledReason: string | null;
  secret?: string;
};
export type Attempt = {
  attempt: number;
  at: string;
  outcome: string;
  statusCode: number | null;
  error: string | null;
  latencyMs: number;
};
export type Delivery = {
  id: string;
  eventId: string;
  status: string;
  attempts: number;
  test?: boolean;
  createdAt: string;
  updatedAt: string;
  lastStatusCode: number | null;
  lastError: string | null;
  nextAttemptAt: string | null;
  log: Attempt[];
};
export type WebhookStats = {
  deliveries: Record<string, number>;
  attempts: number;
  successRate: number | null;
  latencyMs: { p50: number | null; p95: number | null; samples: number };
  lastSuccessAt: string | null;
  lastFailureAt: string | null;
};
export type Script = {
  id: string;
  name: string;
  description: string;
  code: string;
  enabled: boolean;
  timeoutMs: number;
  memoryLimitMb: number;
  rateLimitPerMinute: number;
  maxAttempts: number;
  allowedHosts: string[];
  trigger:
    | { type: "event"; collection: string; events: string[]; filter: Record<string, unknown> | null }
    | { type: "cron"; schedule: string; timezone: string };
};
export type LogLine = { level: string; message: string; at: number };
export type ScriptError = { name: string; message: string; line?: number; code?: string; stack?: string };
export type Execution = {
  runKey: string;
  trigger: string;
  status: string;
  attempts: number;
  startedAt: string;
  finishedAt: string | null;
  durationMs: number | null;
  logs: LogLine[];
  result: unknown;
  error: ScriptError | null;
};
export type ExecutionStats = {
  total: number;
  byStatus: Record<string, number>;
  successRate: number | null;
  durationMs: { p50: number | null; p95: number | null; max: number | null };
  lastRunAt: string | null;
};

export const listCollections = async () =>
  ((await unwrap(() => api().GET("/api/management/collections"))) as { collections: CollectionInfo[] }).collections;
export const listWebhooks = async () =>
  ((await unwrap(() => api().GET("/api/webhooks"))) as { webhooks: Webhook[] }).webhooks;
export const listScripts = async () =>
  ((await unwrap(() => api().GET("/api/scripts"))) as { scripts: Script[] }).scripts;
export const webhookStats = async (id: string) =>
  (await unwrap(() => api().GET("/api/webhooks/{id}/stats", { params: { path: { id } } }))) as WebhookStats;
export const webhookDeliveries = async (id: string, status?: string) =>
  (await unwrap(() =>
    api().GET("/api/webhooks/{id}/deliveries", {
      params: { path: { id }, query: { limit: 100, ...(status ? { status: status as never } : {}) } },
    }),
  )) as { deliveries: Delivery[] };
export const scriptExecutions = async (id: string, status?: string) =>
  (await unwrap(() =>
    api().GET("/api/scripts/{id}/executions", {
      params: { path: { id }, query: { limit: 100, ...(status ? { status: status as never } : {}) } },
    }),
  )) as { executions: Execution[]; stats: ExecutionStats };

/** Events bucketed per minute for a chart: x in unix seconds, one series per outcome. */
export function perMinute<T>(items: T[], at: (t: T) => string | null, outcome: (t: T) => string, outcomes: string[]) {
  const buckets = new Map<number, Record<string, number>>();
  for (const item of items) {
    const t = at(item);
    if (!t) continue;
    const minute = Math.floor(new Date(t).getTime() / 60_000) * 60;
    const b = buckets.get(minute) ?? Object.fromEntries(outcomes.map((o) => [o, 0]));
    const o = outcome(item);
    if (o in b) b[o]++;
    buckets.set(minute, b);
  }
  const x = [...buckets.keys()].sort((a, b) => a - b);
  return { x, series: outcomes.map((o) => ({ label: o, values: x.map((m) => buckets.get(m)![o]) })) };
}
