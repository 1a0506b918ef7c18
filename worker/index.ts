import type { AppEnv } from "./app-env";
import app from "./app";
import { queue } from "./queues";
import { scheduled } from "./cron";

export { DatabaseDO } from "../durable-objects/database";
export { RegistryDO } from "../durable-objects/registry";
export { WebhookDO } from "../durable-objects/webhook";
export { LockDO } from "../durable-objects/lock";
export { SchedulerDO } from "../durable-objects/scheduler";
export { ScriptDO } from "../durable-objects/script";
export { IdentityDO } from "../durable-objects/identity";
export { AuditDO } from "../durable-objects/audit";
export { QuotaDO } from "../durable-objects/quota";

export default {
  fetch: app.fetch,
  queue,
  scheduled,
} satisfies ExportedHandler<Env>;

export type { AppEnv };
