import { Metrics } from "./lib/prometheus";

/**
 * Counters of this isolate since it started. Workers run many isolates, so these are per instance (labelled with the
 * isolate id in /api/cluster/metrics); the durable totals per script and webhook come from their Durable Objects.
 */
export const isolateMetrics = new Metrics();
let isolate: { id: string; startedAt: string } | undefined;

/** Random values cannot be drawn at global scope in Workers, so the isolate's identity is made on first use. */
export function isolateInfo(): { id: string; startedAt: string } {
  isolate ??= { id: crypto.randomUUID().slice(0, 8), startedAt: new Date().toISOString() };
  return isolate;
}

const DURATION_BUCKETS = [5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000];

export function recordRequest(method: string, status: number, durationMs: number, errorCode?: string): void {
  isolateMetrics.inc("docflare_http_requests_total", "HTTP requests served", { method, status: String(status) });
  if (status >= 400)
    isolateMetrics.inc("docflare_http_errors_total", "HTTP error responses by code", {
      code: errorCode ?? String(status),
    });
  isolateMetrics.observe(
    "docflare_http_request_duration_ms",
    "HTTP request duration",
    DURATION_BUCKETS,
    {},
    durationMs,
  );
}

export function recordScriptRun(outcome: string, durationMs: number): void {
  isolateMetrics.inc("docflare_script_runs_total", "Script runs executed in this isolate", { outcome });
  isolateMetrics.observe("docflare_script_run_duration_ms", "Script run duration", DURATION_BUCKETS, {}, durationMs);
}

export function recordDelivery(outcome: string, latencyMs: number | null): void {
  isolateMetrics.inc("docflare_webhook_deliveries_total", "Webhook delivery attempts made in this isolate", {
    outcome,
  });
  if (latencyMs !== null)
    isolateMetrics.observe(
      "docflare_webhook_delivery_duration_ms",
      "Webhook request duration",
      DURATION_BUCKETS,
      {},
      latencyMs,
    );
}
