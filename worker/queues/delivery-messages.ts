/** A DELIVERIES message: one change event for one webhook. `deliveryId` is the webhook-id, stable across retries. */
export interface DeliveryMessage {
  kind: "delivery";
  deliveryId: string;
  webhookId: string;
  tenant: string;
  eventId: string;
  /** Canonical EJSON of the change event. */
  event: string;
  /** Attempts already made (0 on the first send); rate-limit waits do not count. */
  attempt: number;
  /** Bumped by a replay, so a settled delivery can be sent once more under the same id. */
  generation: number;
  lastError?: string;
}

export function isDeliveryMessage(body: unknown): body is DeliveryMessage {
  return typeof body === "object" && body !== null && (body as { kind?: unknown }).kind === "delivery";
}

/** Queue delays are whole seconds, at most 12 hours. */
export function delaySeconds(ms: number): number {
  return Math.min(43_200, Math.max(1, Math.ceil(ms / 1000)));
}

/** The first send of a delivery (or its replay, under a bumped generation). */
export function deliveryMessage(
  d: Pick<DeliveryMessage, "deliveryId" | "webhookId" | "tenant" | "eventId" | "event"> & { generation?: number },
): DeliveryMessage {
  return { kind: "delivery", ...d, attempt: 0, generation: d.generation ?? 0 };
}
