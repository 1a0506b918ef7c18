import { expect } from "vitest";
import { call } from "./api";
import { eventually } from "./webhooks";

/**
 * Waits until the tenant's pipeline has decided everything its writes so far call for: every change event fanned out
 * and confirmed by the EVENTS consumer (so each run or delivery it calls for has been queued), no scheduled run left to
 * dispatch, and no script run or webhook delivery still under way. A test then asserts what did not happen without
 * guessing how long "long enough" is.
 */
export async function settled(tenant: string, timeoutMs = 20_000) {
  await eventually(async () => {
    const { backlog } = (await call("GET", "/api/cluster/status", { tenant })).json;
    expect(backlog).toMatchObject({
      outbox: { pending: 0, inFlight: 0 },
      scheduledDispatch: 0,
      scriptRuns: 0,
      webhookDeliveries: 0,
    });
  }, timeoutMs);
}
