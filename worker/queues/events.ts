import type { ChangeEvent } from "../lib/change-events";
import { parseEjson, type Doc } from "../lib/ejson";
import { filterOf, webhooksOf } from "../webhooks/registry-cache";
import { log } from "../log";
import type { DeliveryMessage } from "./messages";

async function deliveryId(eventId: string, webhookId: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(`${eventId}:${webhookId}`));
  return `msg_${[...new Uint8Array(digest).slice(0, 16)].map((b) => b.toString(16).padStart(2, "0")).join("")}`;
}

/** The deliveries one event needs: enabled webhooks on its collection and event type whose filter matches. */
export async function deliveriesFor(env: Env, text: string): Promise<DeliveryMessage[]> {
  const event = parseEjson(text, "event") as ChangeEvent;
  const entry = await webhooksOf(env, event.tenant);
  const out: DeliveryMessage[] = [];
  for (const hook of entry.webhooks) {
    if (!hook.enabled || (hook.collection !== "*" && hook.collection !== event.collection)) continue;
    if (!hook.events.includes(event.operationType)) continue;
    // Deletes have no fullDocument; their filter sees the document as it was just before.
    const subject = (event.fullDocument ?? event.fullDocumentBeforeChange ?? event.documentKey) as Doc;
    if (!filterOf(entry, hook)(subject)) continue;
    out.push({
      kind: "delivery", deliveryId: await deliveryId(event.id, hook.id), webhookId: hook.id, tenant: event.tenant,
      eventId: event.id, event: text, attempt: 0, generation: 0,
    });
  }
  return out;
}

/** EVENTS consumer: fans each event out to DELIVERIES. Redelivery is harmless: delivery ids are derived, not drawn. */
export async function consumeEvents(batch: MessageBatch<string>, env: Env): Promise<void> {
  for (const msg of batch.messages) {
    try {
      const deliveries = await deliveriesFor(env, msg.body);
      for (let i = 0; i < deliveries.length; i += 100) {
        await env.DELIVERIES.sendBatch(deliveries.slice(i, i + 100).map((body) => ({ body })));
      }
      msg.ack();
    } catch (err) {
      log("error", "event fan-out failed; the queue will retry it", { error: String(err), messageId: msg.id });
      msg.retry({ delaySeconds: 5 });
    }
  }
}
