import type { WebhookRuntime } from "../../durable-objects/sql/webhooks";
import { backoffDelay } from "../lib/backoff";
import { excludeFields, publicEvent, type ChangeEvent } from "../lib/change-events";
import { parseEjson, stringify } from "../lib/ejson";
import { AppError } from "../lib/errors";
import { checkOutboundUrl } from "../lib/ssrf";
import { log } from "../log";
import { recordDelivery } from "../metrics";
import { delaySeconds, type DeliveryMessage } from "../queues/messages";
import { registryOf } from "../registry";
import { invalidateWebhooks, webhooksOf } from "./registry-cache";
import { postSigned, type SendResult } from "./send";
import { outboundPolicy, webhookSettings } from "./settings";

export function webhookStub(env: Env, tenant: string, webhookId: string) {
  return env.WEBHOOK.get(env.WEBHOOK.idFromName(`${tenant}/${webhookId}`));
}

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

/**
 * One step of a delivery: take a rate-limit slot (or come back later without spending an attempt), POST, then
 * record the attempt and decide: done, retry later with backoff (Retry-After honoured), or dead-letter.
 */
export async function deliver(env: Env, msg: DeliveryMessage): Promise<void> {
  const settings = webhookSettings(env);
  const entry = await webhooksOf(env, msg.tenant);
  const hook = entry.items.find((h) => h.id === msg.webhookId);
  const stub = webhookStub(env, msg.tenant, msg.webhookId);
  const base = { deliveryId: msg.deliveryId, eventId: msg.eventId, event: msg.event, generation: msg.generation };
  if (!hook || !hook.enabled) {
    if (hook) await stub.record({ ...base, attempt: msg.attempt, outcome: "skipped", statusCode: null, error: "webhook disabled", latencyMs: null });
    return;
  }
  const slot = await stub.acquire(msg.deliveryId, msg.generation, hook.rateLimitPerMinute, settings.windowMs, settings.timeoutMs);
  if ("skip" in slot) return;
  if (!slot.go) {
    await env.DELIVERIES.send(msg, { delaySeconds: delaySeconds(slot.waitMs) });
    return;
  }
  const attempt = msg.attempt + 1;
  const result = await sendTo(env, hook, msg.deliveryId, payloadFor(hook, msg.event));
  recordDelivery(result.ok ? "delivered" : "failed", result.latencyMs);
  if (result.ok) {
    await stub.record({ ...base, attempt, outcome: "delivered", statusCode: result.statusCode, error: null, latencyMs: result.latencyMs }, slot.slot);
    return;
  }
  if (result.statusCode === 410) {
    await registryOf(env, msg.tenant).updateWebhook(hook.id, { enabled: false }, "the receiver answered 410 Gone");
    invalidateWebhooks(msg.tenant);
    await stub.record({ ...base, attempt, outcome: "failed", statusCode: 410, error: "410 Gone: webhook disabled", latencyMs: result.latencyMs }, slot.slot);
    log("warn", "webhook disabled after 410", { tenant: msg.tenant, webhookId: hook.id });
    return;
  }
  if (attempt >= hook.maxAttempts) {
    await stub.record({ ...base, attempt, outcome: "retrying", statusCode: result.statusCode, error: result.error, latencyMs: result.latencyMs }, slot.slot);
    await env.DEAD_LETTERS.send({ ...msg, attempt, lastError: result.error ?? "failed" });
    return;
  }
  const wait = Math.min(settings.retryCapMs, Math.max(result.retryAfterMs ?? 0, settings.retryBaseMs / 2 + backoffDelay(attempt, settings.retryBaseMs, settings.retryCapMs)));
  await stub.record({ ...base, attempt, outcome: "retrying", statusCode: result.statusCode, error: result.error, latencyMs: result.latencyMs, nextAttemptAt: Date.now() + wait }, slot.slot);
  await env.DELIVERIES.send({ ...msg, attempt }, { delaySeconds: delaySeconds(wait) });
}
