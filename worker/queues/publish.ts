import { stringify } from "../lib/ejson";
import type { ChangeEvent } from "../lib/change-events";

/** Sends change events (canonical EJSON text, so BSON types survive) to the EVENTS queue in batches of 100. */
export async function publishEvents(queue: Queue, events: ChangeEvent[]): Promise<void> {
  for (let i = 0; i < events.length; i += 100) {
    await queue.sendBatch(events.slice(i, i + 100).map((e) => ({ body: stringify(e, true), contentType: "text" as const })));
  }
}
