import { Metrics } from "../lib/prometheus";
import { isolateInfo, isolateMetrics } from "../metrics";
import { schedulerOf } from "../stubs";
import { outboxOf, tenantLocks, tenantWork } from "./status";

/** Prometheus text: this isolate's counters, then the tenant's durable totals read from its Durable Objects. */
export async function metricsText(env: Env, tenant: string): Promise<string> {
  const [work, locks, leadership, outbox] = await Promise.all([
    tenantWork(env, tenant),
    tenantLocks(env, tenant),
    schedulerOf(env, tenant).leadership(),
    outboxOf(env, tenant),
  ]);
  const m = new Metrics();
  m.set("docflare_isolate_info", "The isolate that answered this scrape", { isolate: isolateInfo().id }, 1);
  for (const s of work.scriptStats) {
    for (const [status, n] of Object.entries(s.stats.byStatus))
      m.set("docflare_script_runs", "Script runs in the retained history, by status", { script: s.id, status }, n);
    if (s.stats.durationMs.p50 !== null)
      m.set(
        "docflare_script_run_duration_p50_ms",
        "Median script run duration",
        { script: s.id },
        s.stats.durationMs.p50,
      );
    if (s.stats.durationMs.p95 !== null)
      m.set(
        "docflare_script_run_duration_p95_ms",
        "95th percentile script run duration",
        { script: s.id },
        s.stats.durationMs.p95,
      );
  }
  for (const w of work.webhookStats) {
    for (const [status, n] of Object.entries(w.stats.deliveries))
      m.set(
        "docflare_webhook_deliveries",
        "Webhook deliveries in the retained log, by status",
        { webhook: w.id, status },
        n,
      );
    if (w.stats.latencyMs.p50 !== null)
      m.set(
        "docflare_webhook_latency_p50_ms",
        "Median webhook request latency",
        { webhook: w.id },
        w.stats.latencyMs.p50,
      );
    if (w.stats.latencyMs.p95 !== null)
      m.set(
        "docflare_webhook_latency_p95_ms",
        "95th percentile webhook request latency",
        { webhook: w.id },
        w.stats.latencyMs.p95,
      );
  }
  m.set("docflare_locks_held", "Locks held now", {}, locks.length);
  m.set(
    "docflare_scheduler_dispatch_backlog",
    "Scheduled runs decided but not yet on the queue",
    {},
    leadership.dispatchBacklog,
  );
  m.set(
    "docflare_scheduler_fencing_token",
    "The cron coordinator's current fencing token",
    {},
    leadership.fencingToken ?? 0,
  );
  if (outbox)
    m.set("docflare_outbox_pending", "Change events in the outbox not yet on the EVENTS queue", {}, outbox.pending);
  return isolateMetrics.render() + m.render();
}
