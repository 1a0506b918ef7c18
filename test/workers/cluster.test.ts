import { describe, expect, it } from "vitest";
import { call, createKey, uniqueName } from "../helpers/api";
import { createScript, waitForRuns } from "../helpers/scripts";

const tenantName = () => uniqueName("cl").replaceAll("_", "-");

describe("cluster view", () => {
  it("status shows the coordinator, backlogs, active locks and this instance", async () => {
    const tenant = tenantName();
    await createScript(tenant, {
      name: "c",
      code: "export default async () => 1",
      trigger: { type: "cron", schedule: "0 0 1 1 *" },
    });
    const lock = await call("POST", "/api/locks/reindex/acquire", {
      tenant,
      body: { holder: "worker-1", ttlMs: 60_000 },
    });
    expect(lock.status).toBe(200);
    await call("POST", "/api/locks/old/acquire", { tenant, body: { holder: "w", ttlMs: 100 } });
    await new Promise((r) => setTimeout(r, 150));
    const status = (await call("GET", "/api/cluster/status", { tenant })).json;
    expect(status.instance).toMatchObject({
      colo: expect.any(String),
      isolate: expect.stringMatching(/^[0-9a-f]{8}$/),
    });
    expect(status).toMatchObject({ backend: "embedded", scriptRunner: "quickjs", scripts: 1, webhooks: 0 });
    expect(status.coordinators[0]).toMatchObject({
      kind: "SchedulerDO",
      coordinator: `SchedulerDO(${tenant})`,
      jobs: 1,
    });
    expect(status.backlog).toMatchObject({
      outbox: { pending: expect.any(Number) },
      webhookDeliveries: 0,
      scriptRuns: 0,
      scheduledDispatch: 0,
    });
    expect(status.locks.held.map((l: { name: string }) => l.name)).toEqual(["reindex"]);
    expect(status.locks.held[0]).toMatchObject({ holder: "worker-1", token: lock.json.token });
    const all = (await call("GET", "/api/cluster/locks?all=true", { tenant })).json.locks.map(
      (l: { name: string }) => l.name,
    );
    expect(all.sort()).toEqual(["old", "reindex"]);
    expect((await call("GET", "/api/cluster/locks", { tenant: tenantName() })).json.locks).toEqual([]);
    expect(
      (await call("POST", "/api/locks/docflare:scheduler/acquire", { tenant, body: { holder: "x" } })).status,
    ).toBe(400);
  });

  it("metrics are Prometheus text with requests, errors, deliveries, script runs and durations", async () => {
    const tenant = tenantName();
    const s = await createScript(tenant, {
      name: "m",
      code: "export default async () => 1",
      trigger: { type: "event", collection: "m" },
    });
    await call("POST", "/api/db/m", { tenant, body: { _id: 1 } });
    await waitForRuns(tenant, s.id, "succeeded", 1);
    await call("GET", "/api/db/m/nope", { tenant });
    const res = await call("GET", "/api/cluster/metrics", { tenant });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^text\/plain; version=0.0.4/);
    const text = res.text;
    expect(text).toMatch(/^# TYPE docflare_http_requests_total counter$/m);
    expect(text).toMatch(/^docflare_http_requests_total\{method="POST",status="201"\} \d+$/m);
    expect(text).toMatch(/^docflare_http_errors_total\{code="DOCUMENT_NOT_FOUND"\} \d+$/m);
    expect(text).toMatch(/^docflare_http_request_duration_ms_bucket\{le="\+Inf"\} \d+$/m);
    expect(text).toMatch(/^docflare_script_runs_total\{outcome="succeeded"\} \d+$/m);
    expect(text).toMatch(/^docflare_script_run_duration_ms_count \d+$/m);
    expect(text).toContain(`docflare_script_runs{script="${s.id}",status="succeeded"} 1`);
    for (const line of text.trim().split("\n"))
      expect(line).toMatch(/^(# (HELP|TYPE) \w+ .+|\w+(\{[^}]*\})? -?[\d.e+]+)$/);
  });

  it("reading the cluster needs credentials; resigning needs admin", async () => {
    const tenant = tenantName();
    expect((await call("GET", "/api/cluster/status", { token: null })).status).toBe(401);
    const reader = await createKey("read", tenant);
    expect((await call("GET", "/api/cluster/leadership", { token: reader })).status).toBe(200);
    expect((await call("POST", "/api/cluster/leadership/resign", { token: reader })).status).toBe(403);
  });
});
