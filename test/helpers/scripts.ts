import { expect } from "vitest";
import { call } from "./api";
import { eventually } from "./webhooks";

export async function createScript(tenant: string, body: Record<string, unknown>) {
  const res = await call("POST", "/api/scripts", { tenant, body });
  if (res.status !== 201) throw new Error(`script create failed: ${res.status} ${res.text}`);
  return res.json as { id: string; versionId: string } & Record<string, unknown>;
}

export async function executions(tenant: string, id: string, query = "") {
  const res = await call("GET", `/api/scripts/${id}/executions${query}`, { tenant });
  expect(res.status).toBe(200);
  return res.json as {
    executions: Array<Record<string, any>>;
    stats: Record<string, any>;
    nextBefore: number | null;
    truncation: Record<string, number>;
  };
}

/** Waits until the script has `n` runs in the given status (and returns them). */
export async function waitForRuns(tenant: string, id: string, status: string, n: number, timeoutMs = 20_000) {
  return eventually(async () => {
    const list = (await executions(tenant, id, `?status=${status}&limit=200`)).executions;
    expect(list.length).toBeGreaterThanOrEqual(n);
    return list;
  }, timeoutMs);
}
