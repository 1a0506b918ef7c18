import { inject } from "vitest";
import { call } from "./api";
import type { Received } from "./received";

export const receiverUrl = () => inject("receiverUrl");

export async function behave(path: string, steps: Array<number | string>): Promise<void> {
  await fetch(`${receiverUrl()}/__behaviour`, { method: "POST", body: JSON.stringify({ path, steps }) });
}

export async function received(path: string): Promise<Received[]> {
  return (await fetch(`${receiverUrl()}/__received?path=${encodeURIComponent(path)}`)).json();
}

/** Polls until `check` passes or the time is up (then the last failure is thrown). */
export async function eventually<T>(check: () => Promise<T>, timeoutMs = 20_000, everyMs = 200): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await check();
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, everyMs));
    }
  }
}

export async function createWebhook(tenant: string, body: Record<string, unknown>) {
  const res = await call("POST", "/api/webhooks", { tenant, body });
  if (res.status !== 201) throw new Error(`webhook create failed: ${res.status} ${res.text}`);
  return res.json as { id: string; secret: string } & Record<string, unknown>;
}

/** Distinct deliveries by webhook-id, with how many times each arrived. */
export function byWebhookId(list: Received[]): Map<string, Received[]> {
  const map = new Map<string, Received[]>();
  for (const r of list) {
    if (typeof r.answered === "number" && r.answered >= 200 && r.answered < 300)
      map.set(r.headers["webhook-id"], [...(map.get(r.headers["webhook-id"]) ?? []), r]);
  }
  return map;
}
