import { env } from "cloudflare:workers";
import { runInDurableObject } from "cloudflare:test";
import { describe, expect, inject, it } from "vitest";
import { Webhook } from "standardwebhooks";
import { call, uniqueName } from "../helpers/api";
import { behave, byWebhookId, createWebhook, eventually, received, receiverUrl } from "../helpers/webhooks";
import { storeFor } from "../../worker/store";
import { sendTo } from "../../worker/webhooks/deliver";
import { webhooksOf } from "../../worker/webhooks/webhook-cache";
import type { DatabaseDO } from "../../durable-objects/database";

const newTenant = () => uniqueName("t").replaceAll("_", "-");
const bodies = async (path: string) =>
  [...byWebhookId(await received(path)).values()].map((rs) => JSON.parse(rs[0].body));

describe("per-webhook rate limits", () => {
  it("200 events to a webhook limited to 30 per window: no window holds more than 30, all arrive; a second webhook is not slowed", async () => {
    const tenant = newTenant();
    const slowPath = `/${uniqueName("slow")}`;
    const fastPath = `/${uniqueName("fast")}`;
    await createWebhook(tenant, { url: `${receiverUrl()}${slowPath}`, collection: "bulk", rateLimitPerMinute: 30 });
    await createWebhook(tenant, { url: `${receiverUrl()}${fastPath}`, collection: "bulk", rateLimitPerMinute: 300 });
    const docs = Array.from({ length: 200 }, (_, i) => ({ _id: i }));
    expect((await call("POST", "/api/db/bulk", { tenant, body: docs })).status).toBe(201);
    const fastDone = await eventually(async () => {
      const got = byWebhookId(await received(fastPath));
      expect(got.size).toBe(200);
      return Date.now();
    }, 60_000);
    const slow = await eventually(async () => {
      const got = byWebhookId(await received(slowPath));
      expect(got.size).toBe(200);
      return got;
    }, 90_000);
    const window = Number(env.WEBHOOK_RATE_WINDOW_MS);
    const arrivals = (await received(slowPath)).map((r) => r.at).sort((a, b) => a - b);
    let worst = 0;
    for (let i = 0; i < arrivals.length; i++) {
      let j = i;
      while (j < arrivals.length && arrivals[j] < arrivals[i] + window) j++;
      worst = Math.max(worst, j - i);
    }
    expect(worst).toBeLessThanOrEqual(30);
    const slowDone = Math.max(...[...slow.values()].map((rs) => rs[0].at));
    // 200 at 30 per window needs at least 6 full windows; the unthrottled webhook finished well before that.
    expect(slowDone - fastDone).toBeGreaterThan(3 * window);
  }, 120_000);
});

describe("filters and excludeFields", () => {
  it("send only matching documents, without excluded paths (nested, inside arrays, in updateDescription)", async () => {
    const tenant = newTenant();
    const path = `/${uniqueName("filtered")}`;
    await createWebhook(tenant, {
      url: `${receiverUrl()}${path}`,
      collection: "orders",
      events: ["create", "update", "delete"],
      filter: { status: { $in: ["paid", "shipped"] }, "customer.tier": "gold" },
      excludeFields: ["customer.email", "items.cost", "secret"],
    });
    await call("POST", "/api/db/orders", {
      tenant,
      body: [
        {
          _id: 1,
          status: "paid",
          secret: "x",
          customer: { tier: "gold", email: "a@x", name: "A" },
          items: [
            { sku: "s", cost: 3 },
            { sku: "t", cost: 4 },
          ],
        },
        { _id: 2, status: "draft", customer: { tier: "gold", email: "b@x" } },
        { _id: 3, status: "paid", customer: { tier: "silver", email: "c@x" } },
      ],
    });
    await call("PATCH", "/api/db/orders/1", {
      tenant,
      body: { $set: { status: "shipped", "customer.email": "new@x", "customer.name": "B", secret: "y" } },
    });
    await call("PATCH", "/api/db/orders/2", { tenant, body: { $set: { note: "still draft" } } });
    await call("DELETE", "/api/db/orders/1", { tenant });
    await call("DELETE", "/api/db/orders/3", { tenant });
    const events = await eventually(async () => {
      const list = await bodies(path);
      expect(list.length).toBe(3);
      return list.sort(
        (a, b) =>
          a.clusterTime.localeCompare(b.clusterTime) ||
          ["insert", "update", "delete"].indexOf(a.operationType) -
            ["insert", "update", "delete"].indexOf(b.operationType),
      );
    });
    const [insert, update, del] = events;
    expect(insert.fullDocument).toEqual({
      _id: 1,
      status: "paid",
      customer: { tier: "gold", name: "A" },
      items: [{ sku: "s" }, { sku: "t" }],
    });
    expect(update.operationType).toBe("update");
    expect(update.updateDescription).toEqual({
      updatedFields: { status: "shipped", "customer.name": "B" },
      removedFields: [],
    });
    expect(update.fullDocument.customer).toEqual({ tier: "gold", name: "B" });
    expect(del).toMatchObject({ operationType: "delete", documentKey: { _id: 1 } });
    expect(del.fullDocument).toBeUndefined();
    expect(del.fullDocumentBeforeChange).toBeUndefined();
  });
});

describe("outbound safety", () => {
  it("refuses private, internal and non-https targets at registration with a 400 naming the url", async () => {
    const tenant = newTenant();
    for (const url of [
      "https://10.0.0.1/h",
      "https://[::ffff:10.0.0.1]/h",
      "https://169.254.169.254/latest",
      "https://0xa9fea9fe/",
      "https://metadata.internal/x",
      "https://printer.local/",
      "ftp://example.com/",
      "http://example.com/h",
      "https://docflare.test/api",
    ]) {
      const res = await call("POST", "/api/webhooks", { tenant, body: { url } });
      expect(res.status, url).toBe(400);
      expect(res.json.error).toMatchObject({ code: "WEBHOOK_URL_REFUSED", details: { field: "url" } });
    }
  });

  it("checks again at send time: with loopback no longer allowed, nothing is sent", async () => {
    const tenant = newTenant();
    const path = `/${uniqueName("ssrf")}`;
    const hook = await createWebhook(tenant, { url: `${receiverUrl()}${path}` });
    const runtime = (await webhooksOf(env, tenant)).items.find((h: { id: string }) => h.id === hook.id)!;
    const result = await sendTo({ ...env, ALLOW_LOOPBACK_WEBHOOKS: "false" }, runtime, "msg_x", "{}");
    expect(result).toMatchObject({ ok: false, statusCode: null, error: expect.stringMatching(/only https|loopback/) });
    expect(await received(path)).toEqual([]);
  });
});

describe("outbox", () => {
  it("a write whose flush fails is delivered once the flush succeeds", async () => {
    const tenant = newTenant();
    const path = `/${uniqueName("outbox")}`;
    await createWebhook(tenant, { url: `${receiverUrl()}${path}` });
    const stub = env.DATABASE.get(env.DATABASE.idFromName(`${tenant}/main`));
    let failures = 0;
    await runInDurableObject(stub, (instance: DatabaseDO) => {
      const real = instance.publish.bind(instance);
      instance.publish = async (bodies: string[]) => {
        if (failures < 2) {
          failures++;
          throw new Error("queue unavailable");
        }
        return real(bodies);
      };
    });
    expect((await call("POST", "/api/db/things", { tenant, body: { _id: "kept" } })).status).toBe(201);
    await eventually(async () => expect(failures).toBe(2), 10_000);
    expect(await received(path)).toEqual([]);
    const [event] = await eventually(async () => {
      const list = await bodies(path);
      expect(list.length).toBe(1);
      return list;
    }, 20_000);
    expect(event).toMatchObject({ operationType: "insert", documentKey: { _id: "kept" } });
    expect(await stub.outboxBacklog()).toMatchObject({ pending: 0 });
  });
});

describe("webhook registry", () => {
  it("validates with 400s that name the field, accepts create as insert, and requires admin", async () => {
    const tenant = newTenant();
    const url = `${receiverUrl()}/validation`;
    for (const [body, field] of [
      [{ url, rateLimitPerMinute: 0 }, "rateLimitPerMinute"],
      [{ url, rateLimitPerMinute: 301 }, "rateLimitPerMinute"],
      [{ url, events: ["bogus"] }, "events"],
      [{ url, filter: { $where: "1" } }, "filter"],
      [{ url, excludeFields: ["a..b"] }, "excludeFields"],
      [{ url, headers: { "webhook-id": "x" } }, "headers"],
      [{ url, maxAttempts: 0 }, "maxAttempts"],
      [{}, "url"],
    ] as const) {
      const res = await call("POST", "/api/webhooks", { tenant, body });
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.text).toContain(field);
    }
    const ok = await call("POST", "/api/webhooks", {
      tenant,
      body: { url, events: ["create"], rateLimitPerMinute: 300 },
    });
    expect(ok.status).toBe(201);
    expect(ok.json).toMatchObject({ events: ["insert"], rateLimitPerMinute: 300, maxAttempts: 8, enabled: true });
    const key = await call("POST", "/api/keys", { tenant, body: { name: "w", role: "write" } });
    expect((await call("GET", "/api/webhooks", { token: key.json.token })).status).toBe(403);
    expect((await call("GET", "/api/webhooks", { token: null })).status).toBe(401);
    expect((await call("GET", `/api/webhooks/${ok.json.id}`, { tenant: newTenant() })).status).toBe(404);
  });

  it("rotates the secret: during the overlap both signatures are sent and each verifies", async () => {
    const tenant = newTenant();
    const path = `/${uniqueName("rotate")}`;
    const hook = await createWebhook(tenant, { url: `${receiverUrl()}${path}` });
    const broken = await call("POST", `/api/webhooks/${hook.id}/rotate-secret`, {
      tenant,
      rawBody: "{oops",
      headers: { "Content-Type": "application/json" },
    });
    expect(broken.status).toBe(400);
    expect(
      (await call("POST", `/api/webhooks/${hook.id}/rotate-secret`, { tenant, body: { overlapSeconds: -1 } })).json
        .error.code,
    ).toBe("VALIDATION_FAILED");
    const rotated = await call("POST", `/api/webhooks/${hook.id}/rotate-secret`, {
      tenant,
      body: { overlapSeconds: 3600 },
    });
    expect(rotated.status).toBe(200);
    expect(rotated.json.secret).not.toBe(hook.secret);
    const test = await call("POST", `/api/webhooks/${hook.id}/test`, { tenant });
    expect(test.json).toMatchObject({ ok: true, statusCode: 200 });
    const [got] = await received(path);
    expect(got.headers["webhook-signature"].split(" ")).toHaveLength(2);
    for (const secret of [hook.secret, rotated.json.secret])
      expect(new Webhook(secret).verify(got.body, got.headers as never)).toMatchObject({ operationType: "insert" });
    const stats = await call("GET", `/api/webhooks/${hook.id}/stats`, { tenant });
    expect(stats.json).toMatchObject({ attempts: 1, latencyMs: { samples: 1 }, lastSuccessAt: expect.any(String) });
  });

  it("the test endpoint reports a failing receiver inline", async () => {
    const tenant = newTenant();
    const path = `/${uniqueName("testfail")}`;
    await behave(path, [503]);
    const hook = await createWebhook(tenant, { url: `${receiverUrl()}${path}` });
    const res = await call("POST", `/api/webhooks/${hook.id}/test`, { tenant });
    expect(res.json).toMatchObject({ ok: false, statusCode: 503, error: "HTTP 503" });
  });
});

describe("events from the data-api backend", () => {
  it("are sent after the upstream acknowledges: inserts, updates with their diff, deletes", async () => {
    const tenant = newTenant();
    const path = `/${uniqueName("upstream")}`;
    await createWebhook(tenant, { url: `${receiverUrl()}${path}`, collection: "remote" });
    const upstreamEnv = {
      ...env,
      STORE_BACKEND: "data-api",
      DATA_API_URL: `${inject("upstreamUrl")}/app/x/endpoint/data/v1`,
      DATA_API_KEY: inject("upstreamToken"),
    } as Env;
    const store = storeFor(upstreamEnv, tenant);
    await store.insertMany("remote", [
      { _id: "r1", n: 1, keep: true },
      { _id: "r2", n: 2 },
    ]);
    await store.updateMany("remote", {}, { $inc: { n: 10 }, $unset: { keep: "" } });
    await store.deleteOne("remote", { _id: "r2" });
    const events = await eventually(async () => {
      const list = await bodies(path);
      expect(list.length).toBe(5);
      return list;
    });
    const of = (op: string) => events.filter((e) => e.operationType === op);
    expect(
      of("insert")
        .map((e) => e.documentKey._id)
        .sort(),
    ).toEqual(["r1", "r2"]);
    const r1 = of("update").find((e) => e.documentKey._id === "r1");
    expect(r1.updateDescription).toEqual({ updatedFields: { n: 11 }, removedFields: ["keep"] });
    expect(r1.fullDocument).toEqual({ _id: "r1", n: 11 });
    expect(of("delete")).toMatchObject([{ documentKey: { _id: "r2" } }]);
  });
});
