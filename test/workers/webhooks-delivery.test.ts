import { settled } from "../helpers/pipeline";
import { describe, expect, it } from "vitest";
import { Webhook } from "standardwebhooks";
import { call, uniqueName } from "../helpers/api";
import { behave, byWebhookId, createWebhook, eventually, received, receiverUrl } from "../helpers/webhooks";

describe("webhook delivery", () => {
  it("delivers a signed insert event that verifies with standardwebhooks, and rejects tampering", async () => {
    const tenant = uniqueName("t").replaceAll("_", "-");
    const path = `/${uniqueName("hook")}`;
    const hook = await createWebhook(tenant, { url: `${receiverUrl()}${path}`, collection: "orders" });
    expect(hook.secret).toMatch(/^whsec_/);
    const ins = await call("POST", "/api/db/orders", { tenant, body: { _id: "o1", total: 42 } });
    expect(ins.status).toBe(201);
    const [got] = await eventually(async () => {
      const list = await received(path);
      expect(list.length).toBeGreaterThan(0);
      return list;
    });
    const wh = new Webhook(hook.secret);
    const headers = {
      "webhook-id": got.headers["webhook-id"],
      "webhook-timestamp": got.headers["webhook-timestamp"],
      "webhook-signature": got.headers["webhook-signature"],
    };
    const event = wh.verify(got.body, headers) as Record<string, any>;
    expect(event).toMatchObject({
      operationType: "insert",
      tenant,
      database: "main",
      collection: "orders",
      documentKey: { _id: "o1" },
      fullDocument: { _id: "o1", total: 42 },
    });
    expect(event.id).toMatch(/^evt_/);
    expect(got.headers["webhook-id"]).toMatch(/^msg_/);
    expect(() => wh.verify(got.body.replace("42", "43"), headers)).toThrow();
    expect(() => wh.verify(got.body, { ...headers, "webhook-id": "msg_other" })).toThrow();
    expect(() =>
      wh.verify(got.body, { ...headers, "webhook-timestamp": String(Number(headers["webhook-timestamp"]) + 1) }),
    ).toThrow();
    expect(byWebhookId(await received(path)).size).toBe(1);
  });
});

async function setup(steps?: Array<number | string>, extra: Record<string, unknown> = {}) {
  const tenant = uniqueName("t").replaceAll("_", "-");
  const path = `/${uniqueName("hook")}`;
  if (steps) await behave(path, steps);
  const hook = await createWebhook(tenant, {
    url: `${receiverUrl()}${path}`,
    collection: "items",
    maxAttempts: 6,
    ...extra,
  });
  return { tenant, path, hook };
}

async function deliveries(tenant: string, id: string, query = "") {
  const res = await call("GET", `/api/webhooks/${id}/deliveries${query}`, { tenant });
  expect(res.status, res.text).toBe(200);
  return res.json.deliveries as Array<{
    id: string;
    status: string;
    attempts: number;
    lastStatusCode: number | null;
    lastError: string | null;
    log: Array<{ outcome: string; statusCode: number | null; error: string | null }>;
  }>;
}

/** Every event arrives exactly once after de-duplication by webhook-id, and the log says delivered. */
async function expectAllDelivered(tenant: string, path: string, hookId: string, ids: string[]) {
  const unique = await eventually(async () => {
    const map = byWebhookId(await received(path));
    expect(map.size).toBe(ids.length);
    return map;
  }, 40_000);
  const ids2 = [...unique.values()].map((rs) => JSON.parse(rs[0].body).documentKey._id).sort();
  expect(ids2).toEqual([...ids].sort());
  const log = await eventually(async () => {
    const list = await deliveries(tenant, hookId);
    expect(list.filter((d) => d.status === "delivered").length).toBe(ids.length);
    return list;
  });
  return { unique, log };
}

describe("webhook failure modes: every event arrives, none twice after de-duplication, the log tells the truth", () => {
  it("receiver down (connection dropped) for a while, then up", async () => {
    const { tenant, path, hook } = await setup(["drop", "drop", 200]);
    await call("POST", "/api/db/items", { tenant, body: [{ _id: "a" }] });
    const { log } = await expectAllDelivered(tenant, path, hook.id, ["a"]);
    expect(log[0].attempts).toBe(3);
    expect(log[0].log.map((l) => l.outcome)).toEqual(["retrying", "retrying", "delivered"]);
    expect(log[0].log[0].error).toMatch(/network error/);
  });

  it("500 for a while, then 200", async () => {
    const { tenant, path, hook } = await setup([500, 500, 200]);
    await call("POST", "/api/db/items", { tenant, body: [{ _id: "a" }, { _id: "b" }] });
    const { log } = await expectAllDelivered(tenant, path, hook.id, ["a", "b"]);
    const statuses = log.flatMap((d) => d.log.map((l) => l.statusCode));
    expect(statuses.filter((s) => s === 500).length).toBe(2);
  });

  it("slow past the timeout, then fast", async () => {
    const { tenant, path, hook } = await setup(["slow:2500", 200]);
    await call("POST", "/api/db/items", { tenant, body: { _id: "a" } });
    const { log } = await expectAllDelivered(tenant, path, hook.id, ["a"]);
    expect(log[0].log[0].error).toMatch(/timed out after 1500 ms/);
  });

  it("429 with Retry-After is honoured", async () => {
    const { tenant, path, hook } = await setup(["retry-after:2", 200]);
    await call("POST", "/api/db/items", { tenant, body: { _id: "a" } });
    await expectAllDelivered(tenant, path, hook.id, ["a"]);
    const list = await received(path);
    expect(list[1].at - list[0].at).toBeGreaterThanOrEqual(1900);
  });

  it("a 302 is a failure (redirects are not followed), then retried", async () => {
    const { tenant, path, hook } = await setup(["redirect", 200]);
    await call("POST", "/api/db/items", { tenant, body: { _id: "a" } });
    const { log } = await expectAllDelivered(tenant, path, hook.id, ["a"]);
    expect(log[0].log[0]).toMatchObject({ outcome: "retrying", statusCode: 302, error: "redirect 302 not followed" });
  });

  it("410 disables the webhook; nothing more is sent", async () => {
    const { tenant, path, hook } = await setup([410]);
    await call("POST", "/api/db/items", { tenant, body: { _id: "a" } });
    await eventually(async () => {
      const res = await call("GET", `/api/webhooks/${hook.id}`, { tenant });
      expect(res.json).toMatchObject({ enabled: false, disabledReason: expect.stringMatching(/410/) });
    });
    await call("POST", "/api/db/items", { tenant, body: { _id: "b" } });
    await settled(tenant);
    expect((await received(path)).length).toBe(1);
  });

  it("exhausted retries end in the dead-letter queue and are recorded as failed, then replay delivers them", async () => {
    const { tenant, path, hook } = await setup([500, 500, 500, 200], { maxAttempts: 3 });
    await call("POST", "/api/db/items", { tenant, body: { _id: "a" } });
    const [failed] = await eventually(async () => {
      const list = await deliveries(tenant, hook.id, "?status=failed");
      expect(list.length).toBe(1);
      return list;
    }, 30_000);
    expect(failed.attempts).toBe(3);
    const stats = await call("GET", `/api/webhooks/${hook.id}/stats`, { tenant });
    expect(stats.json.deliveries.failed).toBe(1);
    const replay = await call("POST", `/api/webhooks/${hook.id}/deliveries/${failed.id}/replay`, { tenant });
    expect(replay.status).toBe(202);
    const got = await eventually(async () => {
      const list = (await received(path)).filter((r) => r.answered === 200);
      expect(list.length).toBe(1);
      return list[0];
    });
    const first = (await received(path))[0];
    expect(got.headers["webhook-id"]).toBe(first.headers["webhook-id"]);
    expect(got.headers["webhook-signature"]).not.toBe(first.headers["webhook-signature"]);
    new Webhook(hook.secret).verify(got.body, got.headers as never);
    await eventually(async () => expect((await deliveries(tenant, hook.id, "?status=delivered")).length).toBe(1));
  });
});
