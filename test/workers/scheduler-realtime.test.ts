import { describe, expect, it } from "vitest";
import { call, uniqueName } from "../helpers/api";
import { createScript, executions } from "../helpers/scripts";

describe("sub-minute schedules in real time", () => {
  it("a 6-field schedule every 5 seconds runs 4 times in 20 seconds (±1), driven by the coordinator's alarm", async () => {
    const tenant = uniqueName("rt").replaceAll("_", "-");
    const s = await createScript(tenant, {
      name: "every5s",
      code: "export default async (tick) => tick.scheduledTime",
      trigger: { type: "cron", schedule: "*/5 * * * * *" },
    });
    // Real time on purpose: this is the one test of the alarm-driven sub-minute schedule against the clock.
    await new Promise((r) => setTimeout(r, 21_000));
    const runs = (await executions(tenant, s.id, "?limit=50")).executions;
    expect(runs.length).toBeGreaterThanOrEqual(3);
    expect(runs.length).toBeLessThanOrEqual(5);
    // The coordinator's scheduled time, recorded with every run (a run that failed under load has no result to read).
    const times = runs.map((r) => Date.parse(r.scheduledAt)).sort((a, b) => a - b);
    expect(times.map((t) => new Date(t).getUTCSeconds() % 5)).toEqual(times.map(() => 0));
    expect(runs.filter((r) => r.status === "succeeded").every((r) => r.result === r.scheduledAt)).toBe(true);
    expect(new Set(times).size).toBe(times.length);
    const list = (await call("GET", "/api/scripts/scheduled/list", { tenant })).json.scheduled;
    expect(list[0].lastRun.outcome).toBe("succeeded");
  }, 90_000);
});
