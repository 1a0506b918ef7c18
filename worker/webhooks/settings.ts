import { envNumber as num } from "../lib/env-number";
import type { OutboundPolicy } from "../lib/ssrf";

/** Webhook settings from the environment, with the documented defaults. */
export function webhookSettings(env: Env) {
  return {
    timeoutMs: num(env.WEBHOOK_TIMEOUT_MS, 15_000),
    retryBaseMs: num(env.WEBHOOK_RETRY_BASE_MS, 10_000),
    retryCapMs: num(env.WEBHOOK_RETRY_CAP_MS, 3_600_000),
    windowMs: num(env.WEBHOOK_RATE_WINDOW_MS, 60_000),
  };
}

export function outboundPolicy(env: Env, requestHost?: string): OutboundPolicy {
  const ownHosts = (env.API_HOSTS ?? "")
    .split(",")
    .map((h) => h.trim())
    .filter(Boolean);
  if (requestHost) ownHosts.push(requestHost.replace(/:\d+$/, ""));
  return { allowLoopback: env.ALLOW_LOOPBACK_WEBHOOKS === "true", ownHosts };
}
