import { log } from "../log";
import { deliverGroup } from "../webhooks/deliver";
import { isDeliveryMessage, type DeliveryMessage } from "./delivery-messages";
import { isScriptRunMessage } from "./script-messages";
import { eventIdOf } from "../lib/schedule";
import { scriptStub, webhookStub } from "../stubs";

/**
 * DELIVERIES consumer: each message is one step of one delivery. A batch's messages for one webhook are taken
 * together (one call for their rate-limit slots, one for their log entries); each webhook's group succeeds or is
 * retried as a whole, and a retried step that already succeeded is skipped by the webhook's log.
 */
export async function consumeDeliveries(batch: MessageBatch<unknown>, env: Env): Promise<void> {
  const groups = new Map<string, Array<Message<unknown> & { body: DeliveryMessage }>>();
  for (const msg of batch.messages) {
    if (!isDeliveryMessage(msg.body)) {
      // Not a delivery: the dead-letter queue could not use it either.
      log("error", "malformed delivery message dropped", { id: msg.id });
      msg.ack();
      continue;
    }
    const key = `${msg.body.tenant}/${msg.body.webhookId}`;
    const group = groups.get(key) ?? [];
    group.push(msg as Message<unknown> & { body: DeliveryMessage });
    groups.set(key, group);
  }
  await Promise.all(
    [...groups.values()].map(async (msgs) => {
      try {
        await deliverGroup(
          env,
          msgs.map((m) => m.body),
        );
        msgs.forEach((m) => m.ack());
      } catch (err) {
        log("error", "delivery step failed; the queue will retry it", {
          error: String(err),
          deliveryIds: msgs.map((m) => m.body.deliveryId),
        });
        msgs.forEach((m) => m.retry({ delaySeconds: 2 }));
      }
    }),
  );
}

/** The dead-letter queue's own retries (wrangler config); past them a letter is logged whole rather than dropped. */
export const DEAD_LETTER_MAX_RETRIES = 100;

/**
 * Dead letters: exhausted deliveries are recorded as failed (replayable), script runs whose processing failed every
 * retry are recorded as failed runs, and change events the fan-out could not handle go back to EVENTS after a minute,
 * because an event must never be dropped. A letter that cannot be recorded is retried; after the last retry it is
 * written to the error log in full.
 */
export async function consumeDeadLetters(batch: MessageBatch<unknown>, env: Env): Promise<void> {
  for (const msg of batch.messages) {
    const body = msg.body;
    try {
      if (isDeliveryMessage(body)) {
        await webhookStub(env, body.tenant, body.webhookId).markFailed(
          body.deliveryId,
          body.generation,
          body.lastError ?? "exhausted retries",
        );
      } else if (isScriptRunMessage(body)) {
        const eventId = body.trigger === "event" ? eventIdOf(body.runKey, body.scriptId) : null;
        await scriptStub(env, body.tenant, body.scriptId).finish(
          body.runKey,
          { trigger: body.trigger, eventId, scheduledAt: body.scheduledAt ?? null, attempt: body.attempt + 1 },
          {
            status: "failed",
            durationMs: null,
            logs: [],
            error: {
              code: "SCRIPT_RUN_LOST",
              message: "the run could not be processed after every queue retry; recorded from the dead-letter queue",
            },
          },
        );
      } else if (typeof body === "string") {
        log("warn", "change event back from the dead-letter queue; re-queued", { id: msg.id });
        await env.EVENTS.send(body, { contentType: "text", delaySeconds: 60 });
      } else {
        log("error", "unknown dead letter: not a delivery, script run or event", {
          id: msg.id,
          body: JSON.stringify(body)?.slice(0, 10_000),
        });
      }
      msg.ack();
    } catch (err) {
      if (msg.attempts >= DEAD_LETTER_MAX_RETRIES) {
        log("error", "dead letter could not be recorded after every retry", {
          id: msg.id,
          error: String(err),
          body: JSON.stringify(body)?.slice(0, 100_000),
        });
        msg.ack();
      } else {
        msg.retry({ delaySeconds: 30 });
      }
    }
  }
}
