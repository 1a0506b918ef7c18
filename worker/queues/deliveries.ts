import { log } from "../log";
import { deliver, webhookStub } from "../webhooks/deliver";
import { isDeliveryMessage } from "./messages";

/** DELIVERIES consumer: each message is one step of one delivery, run concurrently within the batch. */
export async function consumeDeliveries(batch: MessageBatch<unknown>, env: Env): Promise<void> {
  await Promise.all(
    batch.messages.map(async (msg) => {
      if (!isDeliveryMessage(msg.body)) {
        log("error", "malformed delivery message dropped to the dead-letter queue", { id: msg.id });
        await env.DEAD_LETTERS.send(msg.body);
        msg.ack();
        return;
      }
      try {
        await deliver(env, msg.body);
        msg.ack();
      } catch (err) {
        log("error", "delivery step failed; the queue will retry it", { error: String(err), deliveryId: msg.body.deliveryId });
        msg.retry({ delaySeconds: 2 });
      }
    }),
  );
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
