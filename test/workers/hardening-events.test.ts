import { env } from "cloudflare:workers";
import { describe, expect, inject, it } from "vitest";
import { call, uniqueName } from "../helpers/api";
import { createWebhook, eventually, receiverUrl, received } from "../helpers/webhooks";
import { createScript, waitForRuns } from "../helpers/scripts";
import { storeFor } from "../../worker/store";
import { encodeEvent, queueBatches, utf8Bytes, MAX_EVENT_BYTES } from "../../worker/lib/event-wire";
import { buildEvent } from "../../worker/lib/change-events";

const newTenant = () => `he-${uniqueName("t").replace(/_/g, "-").toLowerCase()}`.slice(0, 40);
const bodies = async (path: string) => (await received(path)).map((r) => JSON.parse(r.body));
/** 150 KB of text, mostly two-byte characters: over the queue limit in bytes though not in UTF-16 units. */
const bulky = () => "é".repeat(75_000);

async function filteredHooks(tenant: string, collection: string) {
  const paid = `/${uniqueName("paid")}`;
  const unpaid = `/${uniqueName("unpaid")}`;
  await createWebhook(tenant, { url: `${receiverUrl()}${paid}`, collection, filter: { status: "paid" } });
  await createWebhook(tenant, { url: `${receiverUrl()}${unpaid}`, collection, filter: { status: { $ne: "paid" } } });
  return { paid, unpaid };
}

describe("events over the queue limit", () => {
  it("are measured in bytes, not UTF-16 units", () => {
    const event = buildEvent({ tenant: "t", database: "main" }, "c", "insert", "x", undefined, {
      _id: "x",
      text: "é".repeat(70_000),
    });
    expect(JSON.stringify(event).length).toBeLessThan(MAX_EVENT_BYTES);
    const wire = encodeEvent(event);
    expect(utf8Bytes(wire.body)).toBeLessThanOrEqual(MAX_EVENT_BYTES);
    expect(JSON.parse(wire.body).truncated).toBe(true);
    expect(wire.subject).toContain("é");
    const batches = queueBatches(Array.from({ length: 5 }, () => "é".repeat(40_000)));
    expect(batches.map((b) => b.length)).toEqual([2, 2, 1]);
  });

  it("reach webhooks and scripts whose filter matches the whole document (embedded store)", async () => {
    const tenant = newTenant();
    const coll = uniqueName("orders");
    const { paid, unpaid } = await filteredHooks(tenant, coll);
    const script = await createScript(tenant, {
      name: "on-paid",
      code: "export default async (e) => e.documentKey._id",
      trigger: { type: "event", collection: coll, filter: { status: "paid" } },
    });
    expect(
      (await call("POST", `/api/db/${coll}`, { tenant, body: { _id: "big", status: "paid", blob: bulky() } })).status,
    ).toBe(201);
    expect((await call("POST", `/api/db/${coll}`, { tenant, body: { _id: "small", status: "open" } })).status).toBe(
      201,
    );
    const got = await eventually(async () => {
      const list = await bodies(paid);
      expect(list.length).toBe(1);
      return list;
    });
    expect(got[0]).toMatchObject({ documentKey: { _id: "big" }, truncated: true });
    await eventually(async () => expect((await bodies(unpaid)).map((e) => e.documentKey._id)).toEqual(["small"]));
    const runs = await waitForRuns(tenant, script.id, "succeeded", 1);
    expect(runs.map((r) => r.result)).toEqual(["big"]);
  });

  it("are sent truncated by the data-api backend, after the upstream acknowledged, and filtered the same", async () => {
    const tenant = newTenant();
    const { paid, unpaid } = await filteredHooks(tenant, "remote");
    const upstreamEnv = {
      ...env,
      STORE_BACKEND: "data-api",
      DATA_API_URL: `${inject("upstreamUrl")}/app/x/endpoint/data/v1`,
      DATA_API_KEY: inject("upstreamToken"),
    } as Env;
    const store = storeFor(upstreamEnv, tenant);
    await store.insertOne("remote", { _id: "big", status: "paid", blob: bulky() });
    await store.insertOne("remote", { _id: "small", status: "open" });
    await eventually(async () =>
      expect((await bodies(paid)).map((e) => [e.documentKey._id, e.truncated])).toEqual([["big", true]]),
    );
    await eventually(async () => expect((await bodies(unpaid)).map((e) => e.documentKey._id)).toEqual(["small"]));
    expect((await store.findOne("remote", { _id: "big" }))?.doc.status).toBe("paid");
  });
});

describe("events the local queue lost", () => {
  it("are confirmed by the consumer, shown in flight until then, and sent again when never confirmed", async () => {
    const { runInDurableObject, runDurableObjectAlarm } = await import("cloudflare:test");
    const { databaseStub } = await import("../../worker/store/embedded");
    const { RESEND_AFTER_MS } = await import("../../durable-objects/tables/outbox");
    const tenant = newTenant();
    const coll = uniqueName("c");
    const path = `/${uniqueName("lost")}`;
    await createWebhook(tenant, { url: `${receiverUrl()}${path}`, collection: coll });
    const stub = databaseStub(env.DATABASE, tenant, "main");
    expect((await call("POST", `/api/db/${coll}`, { tenant, body: { _id: "a" } })).status).toBe(201);
    await eventually(async () => expect(await bodies(path)).toHaveLength(1));
    await eventually(async () => expect(await stub.outboxBacklog()).toMatchObject({ pending: 0, inFlight: 0 }));
    // An event the queue accepted and then lost (a killed `npm start`): sent, never confirmed.
    expect((await call("POST", `/api/db/${coll}`, { tenant, body: { _id: "b" } })).status).toBe(201);
    await runInDurableObject(stub, async (_instance, state) => {
      await state.storage.deleteAlarm();
      state.storage.sql.exec("UPDATE _outbox SET sent_at = ?", Date.now() - RESEND_AFTER_MS - 1000);
      await state.storage.setAlarm(Date.now() + 60_000);
    });
    const status = await call("GET", "/api/cluster/status", { tenant });
    expect(status.json.backlog.outbox).toMatchObject({ pending: 0, inFlight: 1 });
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    await eventually(async () => expect((await bodies(path)).map((e) => e.documentKey._id).sort()).toEqual(["a", "b"]));
    await eventually(async () => expect(await stub.outboxBacklog()).toMatchObject({ pending: 0, inFlight: 0 }));
  });
});
