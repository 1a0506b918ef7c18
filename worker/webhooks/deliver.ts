import type { AttemptRecord, WebhookRuntime } from "../lib/records";
import { backoffDelay } from "../lib/backoff";
import { excludeFields, publicEvent, type ChangeEvent } from "../lib/change-events";
import { parseEjson, stringify } from "../lib/ejson";
import { AppError } from "../lib/errors";
import { checkOutboundUrl } from "../lib/ssrf";
import { log } from "../log";
import { recordDelivery } from "../metrics";
import { delaySeconds, type DeliveryMessage } from "../queues/delivery-messages";
import { registryOf, webhookStub } from "../stubs";
import { invalidateWebhooks, webhooksOf } from "./webhook-cache";
import { postSigned, type SendResult } from "./send";
import { outboundPolicy, webhookSettings } from "./settings";

/** The JSON a receiver gets: the public event with the webhook's excluded fields removed. */
export function payloadFor(hook: Pick<WebhookRuntime, "excludeFields">, eventText: string): string {
  const event = parseEjson(eventText, "event") as ChangeEvent;
  return stringify(excludeFields(publicEvent(event) as ChangeEvent, hook.excludeFields));
}

/** Sends to the hook's URL after checking it again against the outbound rules; a refusal makes no request at all. */
export async function sendTo(env: Env, hook: WebhookRuntime, deliveryId: string, payload: string): Promise<SendResult> {
  try {
    checkOutboundUrl(hook.url, outboundPolicy(env));
  } catch (err) {
    return { ok: false, statusCode: null, error: err instanceof AppError ? err.message : String(err), latencyMs: 0 };
  }
  return postSigned(hook.url, hook.headers, hook.secrets, deliveryId, payload, webhookSettings(env).timeoutMs);
}

/** What one delivery step leads to: its log entry, and the queue message that continues it, if any. */
interface StepOutcome {
  record?: { attempt: AttemptRecord; slot?: number };
  later?: { msg: DeliveryMessage; delayMs: number };
  deadLetter?: DeliveryMessage & { lastError: string };
}

/**
 * One step of the deliveries of one webhook in a queue batch: take rate-limit slots for all of them in one call (or
 * come back later without spending an attempt), POST those that got one concurrently, then record every attempt in
 * one call and decide each: done, retry later with backoff (Retry-After honoured), or dead-letter.
 */
export async function deliverGroup(env: Env, msgs: DeliveryMessage[]): Promise<void> {
  const settings = webhookSettings(env);
  const { tenant, webhookId } = msgs[0];
  const entry = await webhooksOf(env, tenant);
  const hook = entry.items.find((h) => h.id === webhookId);
  const stub = webhookStub(env, tenant, webhookId);
  const base = (msg: DeliveryMessage) => ({
    deliveryId: msg.deliveryId,
    eventId: msg.eventId,
    event: msg.event,
    generation: msg.generation,
  });
  if (!hook || !hook.enabled) {
    if (hook)
      await stub.recordMany(
        msgs.map((msg) => ({
          attempt: {
            ...base(msg),
            attempt: msg.attempt,
            outcome: "skipped",
            statusCode: null,
            error: "webhook disabled",
            latencyMs: null,
          },
        })),
      );
    return;
  }
  const slots = await stub.acquireMany(
    msgs.map((m) => ({ deliveryId: m.deliveryId, generation: m.generation })),
    hook.rateLimitPerMinute,
    settings.windowMs,
    settings.timeoutMs,
  );
  const outcomes = await Promise.all(
    msgs.map(async (msg, i): Promise<StepOutcome> => {
      const slot = slots[i];
      if ("skip" in slot) return {};
      if (!slot.go) return { later: { msg, delayMs: slot.waitMs } };
      const attempt = msg.attempt + 1;
      const result = await sendTo(env, hook, msg.deliveryId, payloadFor(hook, msg.event));
      recordDelivery(result.ok ? "delivered" : "failed", result.latencyMs);
      const entry = { ...base(msg), attempt, statusCode: result.statusCode, latencyMs: result.latencyMs };
      if (result.ok) return { record: { attempt: { ...entry, outcome: "delivered", error: null }, slot: slot.slot } };
      if (result.statusCode === 410) {
        await registryOf(env, tenant).updateWebhook(hook.id, { enabled: false }, "the receiver answered 410 Gone");
        invalidateWebhooks(tenant);
        log("warn", "webhook disabled after 410", { tenant, webhookId: hook.id });
        return {
          record: { attempt: { ...entry, outcome: "failed", error: "410 Gone: webhook disabled" }, slot: slot.slot },
        };
      }
      if (attempt >= hook.maxAttempts) {
        return {
          record: { attempt: { ...entry, outcome: "retrying", error: result.error }, slot: slot.slot },
          deadLetter: { ...msg, attempt, lastError: result.error ?? "failed" },
        };
      }
      const wait = Math.min(
        settings.retryCapMs,
        Math.max(
          result.retryAfterMs ?? 0,
          settings.retryBaseMs / 2 + backoffDelay(attempt, settings.retryBaseMs, settings.retryCapMs),
        ),
      );
      return {
        record: {
          attempt: { ...entry, outcome: "retrying", error: result.error, nextAttemptAt: Date.now() + wait },
          slot: slot.slot,
        },
        later: { msg: { ...msg, attempt }, delayMs: wait },
      };
    }),
  );
  const records = outcomes.flatMap((o) => (o.record ? [o.record] : []));
  if (records.length) await stub.recordMany(records);
  const later = outcomes.flatMap((o) => (o.later ? [o.later] : []));
  for (let i = 0; i < later.length; i += 100) {
    await env.DELIVERIES.sendBatch(
      later.slice(i, i + 100).map((l) => ({ body: l.msg, delaySeconds: delaySeconds(l.delayMs) })),
    );
  }
  for (const o of outcomes) if (o.deadLetter) await env.DEAD_LETTERS.send(o.deadLetter);
}
