import { log } from "../log";
import { deliver, webhookStub } from "../webhooks/deliver";
import { isDeliveryMessage } from "./messages";
import { consumeEach } from "./consume";

/** DELIVERIES consumer: each message is one step of one delivery. */
export function consumeDeliveries(batch: MessageBatch<unknown>, env: Env): Promise<void> {
  return consumeEach(batch, "delivery", isDeliveryMessage, (body) => deliver(env, body), (body) => ({ deliveryId: body.deliveryId }));
}

/**
 * Dead letters: exhausted deliveries are recorded as failed (replayable); change events the fan-out could not
 * handle go back to EVENTS after a minute, because an event must never be dropped.
 */
export async function consumeDeadLetters(batch: MessageBatch<unknown>, env: Env): Promise<void> {
  for (const msg of batch.messages) {
    const body = msg.body;
    if (isDeliveryMessage(body)) {
      await webhookStub(env, body.tenant, body.webhookId).markFailed(body.deliveryId, body.generation, body.lastError ?? "exhausted retries");
    } else if (typeof body === "string") {
      log("warn", "change event back from the dead-letter queue; re-queued", { id: msg.id });
      await env.EVENTS.send(body, { contentType: "text", delaySeconds: 60 });
    } else {
      log("error", "unknown dead letter discarded", { id: msg.id });
    }
    msg.ack();
  }
}
