import type { LockStatus } from "../lib/lease";
import { DEFAULT_DATABASE, backendOf } from "../store";
import { databaseStub } from "../store/embedded";
import { isolateInfo } from "../metrics";
import { lockOf, registryOf, schedulerOf, scriptStub, webhookStub } from "../stubs";

const MAX_LOCKS = 100;

/** The tenant's locks that are held now (or all recently used ones), newest first. */
export async function tenantLocks(env: Env, tenant: string, all = false): Promise<(LockStatus & { name: string })[]> {
  const names = await registryOf(env, tenant).lockNames(MAX_LOCKS);
  const statuses = await Promise.all(
    names.map(async (name) => ({ name, ...(await lockOf(env, tenant, name).status()) })),
  );
  return all ? statuses : statuses.filter((s) => s.held);
}

/** Per-script and per-webhook totals from their Durable Objects (one call each, in parallel). */
export async function tenantWork(env: Env, tenant: string) {
  const registry = registryOf(env, tenant);
  const [scripts, webhooks] = await Promise.all([registry.listScripts(), registry.listWebhooks()]);
  const [scriptStats, webhookStats] = await Promise.all([
    Promise.all(
      scripts.map(async (s) => ({ id: s.id, name: s.name, stats: await scriptStub(env, tenant, s.id).stats() })),
    ),
    Promise.all(webhooks.map(async (w) => ({ id: w.id, stats: await webhookStub(env, tenant, w.id).stats() }))),
  ]);
  return { scriptStats, webhookStats };
}

export function instance(request: Request) {
  const cf = (request as Request & { cf?: { colo?: string } }).cf;
  const { id, startedAt } = isolateInfo();
  return { colo: cf?.colo ?? "local", isolate: id, isolateStartedAt: startedAt };
}

export function outboxOf(env: Env, tenant: string) {
  if (backendOf(env) !== "embedded") return Promise.resolve(null);
  return databaseStub(env.DATABASE, tenant, DEFAULT_DATABASE).outboxBacklog();
}

/**
 * The cluster as one tenant sees it. Cloudflare Queues expose no depth to a Worker, so the backlog is what the
 * objects behind the queues still owe: outbox rows not yet on EVENTS (`pending`) or on EVENTS but not yet confirmed
 * by its consumer (`inFlight`: sent again after RESEND_AFTER_MS), deliveries and script runs not yet settled,
 * scheduled runs not yet dispatched.
 */
export async function clusterStatus(env: Env, tenant: string, request: Request) {
  const [leadership, locks, work, outbox] = await Promise.all([
    schedulerOf(env, tenant).leadership(),
    tenantLocks(env, tenant),
    tenantWork(env, tenant),
    outboxOf(env, tenant),
  ]);
  const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
  return {
    instance: instance(request),
    backend: backendOf(env),
    scriptRunner: env.SCRIPT_RUNNER || "quickjs",
    coordinators: [{ kind: "SchedulerDO", role: "cron coordinator", ...leadership }],
    backlog: {
      outbox: outbox ?? {
        pending: null,
        oldestAt: null,
        note: "the data-api backend has no outbox: events are published after the upstream acknowledges",
      },
      webhookDeliveries: sum(work.webhookStats.map((w) => w.stats.deliveries.pending + w.stats.deliveries.retrying)),
      scriptRuns: sum(work.scriptStats.map((s) => s.stats.byStatus.running + s.stats.byStatus.retrying)),
      scheduledDispatch: leadership.dispatchBacklog,
    },
    locks: { active: locks.length, held: locks },
    scripts: work.scriptStats.length,
    webhooks: work.webhookStats.length,
  };
}
