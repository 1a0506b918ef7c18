import { consumeEvents } from "./events";
import { consumeDeadLetters, consumeDeliveries } from "./deliveries";
import { consumeScriptRuns } from "./script-runs";

/** One queue handler for the Worker; the batch's queue name picks the consumer. */
export async function queue(batch: MessageBatch<unknown>, env: Env): Promise<void> {
  if (batch.queue.endsWith("-events")) return consumeEvents(batch as MessageBatch<string>, env);
  if (batch.queue.endsWith("-deliveries")) return consumeDeliveries(batch, env);
  if (batch.queue.endsWith("-script-runs")) return consumeScriptRuns(batch, env);
  if (batch.queue.endsWith("-dead-letters")) return consumeDeadLetters(batch, env);
  throw new Error(`no consumer for queue ${batch.queue}`);
}
