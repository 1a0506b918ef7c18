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
    const headers = { "webhook-id": got.headers["webhook-id"], "webhook-timestamp": got.headers["webhook-timestamp"], "webhook-signature": got.headers["webhook-signature"] };
    const event = wh.verify(got.body, headers) as Record<string, any>;
    expect(event).toMatchObject({ operationType: "insert", tenant, database: "main", collection: "orders", documentKey: { _id: "o1" }, fullDocument: { _id: "o1", total: 42 } });
    expect(event.id).toMatch(/^evt_/);
    expect(got.headers["webhook-id"]).toMatch(/^msg_/);
    expect(() => wh.verify(got.body.replace("42", "43"), headers)).toThrow();
    expect(() => wh.verify(got.body, { ...headers, "webhook-id": "msg_other" })).toThrow();
    expect(() => wh.verify(got.body, { ...headers, "webhook-timestamp": String(Number(headers["webhook-timestamp"]) + 1) })).toThrow();
    expect(byWebhookId(await received(path)).size).toBe(1);
  });
});
