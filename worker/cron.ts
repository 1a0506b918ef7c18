import { log } from "./log";
import { registryOf, schedulerOf, SYSTEM_REGISTRY } from "./stubs";

/**
 * The Cron Trigger (every minute) is the coordinators' heartbeat: it ticks the SchedulerDO of every tenant with cron
 * scripts. Each coordinator decides alone what is due, so a doubled or concurrent invocation dispatches nothing twice;
 * between ticks each coordinator's own alarm handles sub-minute schedules.
 */
export async function scheduled(_controller: ScheduledController, env: Env): Promise<void> {
  const tenants = await registryOf(env, SYSTEM_REGISTRY).scheduledTenants();
  const results = await Promise.allSettled(tenants.map((tenant) => schedulerOf(env, tenant).tick(tenant, "cron")));
  results.forEach((r, i) => {
    if (r.status === "rejected") log("error", "cron tick failed", { tenant: tenants[i], error: String(r.reason) });
  });
}
