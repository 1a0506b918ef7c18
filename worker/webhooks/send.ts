import type { Secret } from "../lib/records";
import { Webhook } from "standardwebhooks";
import { parseRetryAfter } from "../lib/backoff";

export interface SendResult {
  ok: boolean;
  statusCode: number | null;
  error: string | null;
  latencyMs: number;
  retryAfterMs?: number;
}

/** Standard Webhooks headers; during a secret rotation every still-valid secret signs, space-separated. */
export function signatureHeaders(
  secrets: Secret[],
  deliveryId: string,
  payload: string,
  now = new Date(),
): Record<string, string> {
  const valid = secrets.filter((s) => s.expiresAt === null || s.expiresAt > now.getTime());
  return {
    "webhook-id": deliveryId,
    "webhook-timestamp": String(Math.floor(now.getTime() / 1000)),
    "webhook-signature": valid.map((s) => new Webhook(s.secret).sign(deliveryId, now, payload)).join(" "),
  };
}

/** One POST: JSON body, signed, bounded by a timeout, redirects not followed (a 3xx is a failure). */
export async function postSigned(
  url: string,
  headers: Record<string, string>,
  secrets: Secret[],
  deliveryId: string,
  payload: string,
  timeoutMs: number,
): Promise<SendResult> {
  const started = Date.now();
  try {
    const res = await fetch(url, {
      method: "POST",
      redirect: "manual",
      signal: AbortSignal.timeout(timeoutMs),
      headers: {
        ...headers,
        "content-type": "application/json",
        "user-agent": "Docflare-Webhooks/1",
        ...signatureHeaders(secrets, deliveryId, payload),
      },
      body: payload,
    });
    await res.body?.cancel();
    const latencyMs = Date.now() - started;
    const ok = res.status >= 200 && res.status < 300;
    const error = ok
      ? null
      : res.status >= 300 && res.status < 400
        ? `redirect ${res.status} not followed`
        : `HTTP ${res.status}`;
    return {
      ok,
      statusCode: res.status,
      error,
      latencyMs,
      retryAfterMs: parseRetryAfter(res.headers.get("retry-after")),
    };
  } catch (err) {
    const latencyMs = Date.now() - started;
    const name = (err as Error).name;
    const error =
      name === "TimeoutError" || name === "AbortError"
        ? `timed out after ${timeoutMs} ms`
        : `network error: ${(err as Error).message}`;
    return { ok: false, statusCode: null, error, latencyMs };
  }
}
