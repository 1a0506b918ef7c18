import { env } from "cloudflare:workers";
import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { afterAll, beforeEach, describe, expect, inject, it } from "vitest";
import { Decimal128, Long, ObjectId } from "bson";
import worker from "../../worker/index";
import { RemoteStore } from "../../worker/store/remote";
import { MongoGatewayClient } from "../../worker/store/mongodb-client";
import { databaseStub } from "../../worker/store/embedded";
import type { MongoSettings } from "../../worker/mongodb/settings";
import { uniqueName } from "../helpers/api";
import { exerciseDocumentOperations, failure } from "../helpers/store-contract";
import { createWebhook, eventually, received, receiverUrl } from "../helpers/webhooks";

/**
 * The mongodb backend in workerd: the API Worker's RemoteStore, over the MONGODB service binding, to the gateway
 * Worker, whose Durable Object runs the official driver over real sockets to a MongoDB-wire-compatible server on
 * 127.0.0.1 (test/setup/wire-server.ts), or to the cluster in MONGODB_URI when it is set (then the fault tests, which
 * need the test server's controls, are skipped).
 */
const uri = inject("mongodbUri");
const control = inject("mongodbControl");
const jobs = databaseStub(env.DATABASE, "mongo", "db");
/** Every database this run touches is named docflare_test_{run}_*, and dropped at the end on a real cluster. */
const run = Date.now().toString(36);
const main = `docflare_test_${run}_main`;
const settings = (overrides: Partial<MongoSettings> = {}): MongoSettings => ({
  uri,
  timeoutMs: 3_000,
  failureThreshold: 50,
  cooldownMs: 1_000,
  ...overrides,
});
const storeOn = (s: MongoSettings = settings(), database = main) =>
  new RemoteStore(new MongoGatewayClient(env.MONGODB, s), database, jobs, "mongodb");
const post = (path: string, body?: unknown) =>
  fetch(`${control}${path}`, { method: "POST", body: body === undefined ? undefined : JSON.stringify(body) });
const commands = async (): Promise<Array<Record<string, unknown>>> => (await fetch(`${control}/commands`)).json();

describe("mongodb backend: the official driver in workerd", () => {
  const used = new Set<string>([main]);
  beforeEach(async () => {
    if (control) await post("/delay", { ms: 0 });
  });
  afterAll(async () => {
    for (const database of used) {
      const store = storeOn(settings(), database);
      for (const c of await store.listCollections().catch(() => [])) await store.dropCollection(c.name);
    }
  });

  // Reported as skipped on every run without MONGODB_URI, so the report says which target the suite had.
  it.skipIf(Boolean(control))(
    "runs against the real cluster in MONGODB_URI (skipped: not set, so the suite ran against the test wire server; npm run test:mongodb)",
    async () => {
      await storeOn().ping();
      expect(uri).not.toMatch(/^mongodb:\/\/127\.0\.0\.1:/);
    },
  );

  it("supports every DocumentStore operation", async () => {
    const store = storeOn();
    const c = await exerciseDocumentOperations(store);
    expect(await store.listIndexes(c)).toEqual([
      { name: "_id_", keys: { _id: 1 }, unique: false },
      { name: "n_1", keys: { n: 1 }, unique: true },
    ]);
    expect((await store.listCollections()).find((x) => x.name === c)).toMatchObject({
      count: 2,
      indexes: [{ name: "_id_" }, { name: "n_1" }],
    });
    expect(await store.dropIndex(c, "n_1")).toBe(true);
    expect(await store.dropIndex(c, "n_1")).toBe(false);
    expect(await store.dropCollection(c)).toBe(true);
    expect(await store.dropCollection(c)).toBe(false);
    expect(await store.collectionStats(c)).toBeNull();
  });

  it("maps a duplicate key to 409 and a validator refusal to 400 naming the path", async () => {
    const store = storeOn();
    const c = uniqueName();
    const created = await store.createCollection(c, {
      validator: {
        type: "object",
        required: ["name"],
        properties: {
          age: { type: "integer", minimum: 0 },
          address: { type: "object", properties: { zip: { type: "string" } } },
        },
      },
    });
    expect(created).toMatchObject({ name: c, created: true, count: 0 });
    // Read back as it was set: JSON Schema's `integer` travels as bsonType [int, long] and comes back.
    expect(created.validator).toEqual({
      type: "object",
      required: ["name"],
      properties: {
        age: { type: "integer", minimum: 0 },
        address: { type: "object", properties: { zip: { type: "string" } } },
      },
    });
    expect((await store.createCollection(c, {})).created).toBe(false);
    await store.createIndex(c, { email: 1 }, { unique: true, name: "by_email" });
    await store.insertOne(c, { name: "ada", email: "a@x" });
    const dup = await failure(store.insertOne(c, { name: "bob", email: "a@x" }));
    expect(dup).toMatchObject({ status: 409, code: "DUPLICATE_KEY", details: { index: "by_email" } });
    const bulkDup = await failure(
      store.insertMany(c, [
        { name: "c", email: "c@x" },
        { name: "d", email: "a@x" },
      ]),
    );
    expect(bulkDup).toMatchObject({ status: 409, code: "DUPLICATE_KEY" });
    const young = await failure(store.insertOne(c, { name: "eve", age: -1 }));
    expect(young).toMatchObject({ status: 400, code: "SCHEMA_VALIDATION_FAILED" });
    expect((young.details as { errors: Array<{ path: string }> }).errors.map((e) => e.path)).toEqual(["age"]);
    const nested = await failure(store.updateOne(c, { name: "ada" }, { $set: { "address.zip": 75001 } }));
    expect((nested.details as { errors: Array<{ path: string }> }).errors.map((e) => e.path)).toEqual(["address.zip"]);
    const missing = await failure(store.insertOne(c, { age: 3 }));
    expect((missing.details as { errors: Array<{ path: string; message: string }> }).errors).toEqual([
      { path: "name", message: "is required" },
    ]);
    expect((await store.setValidator(c, null))?.validator).toBeUndefined();
    await store.insertOne(c, { age: 3 });
    expect(await store.setValidator(uniqueName(), { type: "object" })).toBeNull();
  });

  it("round-trips BSON types and reads large results through getMore", async () => {
    const store = storeOn();
    const c = uniqueName();
    const doc = {
      _id: new ObjectId(),
      at: new Date("2026-01-02T03:04:05.000Z"),
      price: Decimal128.fromString("12.30"),
      big: Long.fromString("9007199254740993"),
      nested: { list: [1, "two", null] },
    };
    await store.insertOne(c, doc);
    const found = await store.findOne(c, { _id: doc._id });
    expect(found?.doc._id).toEqual(doc._id);
    expect(found?.doc.at).toEqual(doc.at);
    expect(String(found?.doc.price)).toBe("12.30");
    expect(String(found?.doc.big)).toBe("9007199254740993");
    expect(found?.doc.nested).toEqual(doc.nested);
    await store.insertMany(
      c,
      Array.from({ length: 300 }, (_, i) => ({ i })),
    );
    if (control) await post("/commands/clear");
    const all = await store.aggregate(c, [{ $match: { i: { $gte: 0 } } }, { $sort: { i: 1 } }]);
    expect(all.map((d) => d.i)).toEqual(Array.from({ length: 300 }, (_, i) => i));
    if (control) expect((await commands()).filter((x) => "getMore" in x).length).toBeGreaterThan(0);
  });

  it.skipIf(!control)("sends maxTimeMS with every command that reaches the server", async () => {
    const store = storeOn();
    const c = uniqueName();
    await post("/commands/clear");
    await store.insertOne(c, { a: 1 });
    await store.find(c, { filter: { a: 1 }, limit: 5, count: true });
    await store.updateOne(c, { a: 1 }, { $set: { b: 2 } });
    await store.aggregate(c, [{ $group: { _id: "$a" } }], { maxTimeMS: 700 });
    await store.createIndex(c, { a: 1 }, {});
    await store.listCollections();
    await store.deleteMany(c, { a: 1 });
    const sent = (await commands()).filter((x) => !("getMore" in x) && !("killCursors" in x));
    expect(sent.length).toBeGreaterThan(8);
    expect(sent.filter((cmd) => !((cmd.maxTimeMS as number) > 0)).map((cmd) => Object.keys(cmd)[0])).toEqual([]);
    expect(sent.find((x) => "aggregate" in x && (x.pipeline as unknown[]).length === 1)?.maxTimeMS).toBe(700);
  });

  it.skipIf(!control)(
    "recovers from a dropped connection and a transient server fault, applying a retried write once",
    async () => {
      const store = storeOn();
      const c = uniqueName();
      await store.insertOne(c, { _id: "before" });
      await post("/drop");
      expect((await store.findOne(c, { _id: "before" }))?.doc).toEqual({ _id: "before" });
      await post("/drop");
      await store.insertOne(c, { _id: "after" });
      // A primary stepping down (91, ShutdownInProgress) is retried once by the driver: reads and writes succeed.
      await post("/fail", { command: "find", code: 91 });
      expect((await store.findOne(c, { _id: "after" }))?.doc).toEqual({ _id: "after" });
      await post("/fail", { command: "insert", code: 91 });
      await store.insertOne(c, { _id: "retried" });
      expect(await store.countDocuments(c, {})).toBe(3);
      // A fault that is not transient reaches the caller as the input error it is.
      await post("/fail", { command: "insert", code: 2 });
      expect(await failure(store.insertOne(c, { _id: "bad" }))).toMatchObject({
        status: 400,
        code: "UPSTREAM_INVALID_INPUT",
      });
    },
  );

  it.skipIf(!control)(
    "answers 504 for a server that stops answering and 503 (then an open circuit) for one that is gone",
    async () => {
      const slow = storeOn(settings({ timeoutMs: 800 }), "docflare_test_slow");
      expect(await slow.findOne(uniqueName(), {})).toBeNull();
      await post("/delay", { ms: 2_500 });
      expect(await failure(slow.findOne(uniqueName(), {}))).toMatchObject({ status: 504, code: "UPSTREAM_TIMEOUT" });
      await post("/delay", { ms: 0 });
      const gone = storeOn(
        settings({
          uri: "mongodb://127.0.0.1:1/?directConnection=true",
          timeoutMs: 300,
          failureThreshold: 2,
          cooldownMs: 60_000,
        }),
        "docflare_test_gone",
      );
      expect(await failure(gone.findOne("x", {}))).toMatchObject({ status: 503, code: "UPSTREAM_UNAVAILABLE" });
      expect(await failure(gone.findOne("x", {}))).toMatchObject({ status: 503, code: "UPSTREAM_UNAVAILABLE" });
      expect(await failure(gone.findOne("x", {}))).toMatchObject({ status: 503, code: "UPSTREAM_CIRCUIT_OPEN" });
      const bad = storeOn(settings({ uri: "not-a-uri" }), "docflare_test_bad");
      expect(await failure(bad.findOne("x", {}))).toMatchObject({ status: 503, code: "STORE_NOT_CONFIGURED" });
    },
  );

  it("serves the REST API, management, schemas, export and import with STORE_BACKEND=mongodb, and sends events after the write", async () => {
    const tenant = `mongo-${Date.now().toString(36)}`;
    const mongoEnv = {
      ...env,
      STORE_BACKEND: "mongodb",
      MONGODB_URI: uri,
      MONGODB_DATABASE_TEMPLATE: `docflare_test_${run}_{tenant}_{database}`,
    };
    used.add(`docflare_test_${run}_${tenant}_main`);
    const c = uniqueName();
    const hook = await createWebhook(tenant, { url: `${receiverUrl()}/mongo-${c}`, collection: c });
    expect(hook.id).toBeTruthy();
    const headers = {
      Authorization: "Bearer test-admin-token",
      "Content-Type": "application/json",
      "X-Docflare-Tenant": tenant,
    };
    const send = async (method: string, path: string, body?: unknown, extra: Record<string, string> = {}) => {
      const ctx = createExecutionContext();
      const res = await worker.fetch(
        new Request(`http://x${path}`, {
          method,
          headers: { ...headers, ...extra },
          body: typeof body === "string" ? body : body === undefined ? undefined : JSON.stringify(body),
        }),
        mongoEnv,
        ctx,
      );
      await waitOnExecutionContext(ctx);
      return res;
    };
    expect(
      (
        await send("POST", "/api/management/collections", {
          name: c,
          validator: { type: "object", properties: { v: { type: "integer" } } },
        })
      ).status,
    ).toBe(201);
    expect((await send("POST", `/api/management/collections/${c}/indexes`, { keys: { v: 1 } })).status).toBe(201);
    expect((await send("POST", `/api/db/${c}`, { _id: "k", v: 1, tags: ["a"] })).status).toBe(201);
    expect((await send("POST", `/api/db/${c}`, { _id: "k", v: 2 })).status).toBe(409);
    const invalid = await send("POST", `/api/db/${c}`, { _id: "z", v: "one" });
    expect(invalid.status).toBe(400);
    expect(((await invalid.json()) as { error: { code: string } }).error.code).toBe("SCHEMA_VALIDATION_FAILED");
    expect(await (await send("GET", `/api/db/${c}/k`)).json()).toEqual({ _id: "k", v: 1, tags: ["a"] });
    const patched = await send("PATCH", `/api/db/${c}/k`, { v: 5, tags: null });
    expect(patched.status).toBe(200);
    expect(await (await send("GET", `/api/db/${c}/k`)).json()).toEqual({ _id: "k", v: 5 });
    expect((await send("POST", `/api/db/${c}`, [{ v: 6 }, { v: 7 }])).status).toBe(201);
    const list = (await (
      await send("GET", `/api/db/${c}?filter=${encodeURIComponent(JSON.stringify({ v: { $gte: 6 } }))}&sort=-v`)
    ).json()) as { documents: Array<{ v: number }> };
    expect(list.documents.map((d) => d.v)).toEqual([7, 6]);
    const schema = (await (await send("GET", `/api/management/collections/${c}/schema`)).json()) as {
      fields: Array<{ path: string; count: number; types: Record<string, number> }>;
    };
    expect(schema.fields.find((f) => f.path === "v")).toMatchObject({ count: 3, types: { int: 3 } });
    const csv = await (await send("GET", `/api/db/${c}/export?format=csv&fields=_id,v`)).text();
    expect(csv.trim().split("\n").length).toBe(4);
    const imported = await send("POST", `/api/db/${c}/import?format=ndjson`, '{"v":8}\n{"v":9}\n', {
      "Content-Type": "application/x-ndjson",
    });
    expect(imported.status).toBeLessThan(300);
    expect((await (await send("GET", `/api/db/${c}?count=true&limit=1`)).json()) as { total: number }).toMatchObject({
      total: 5,
    });
    const served = await send("POST", "/action/find", {
      dataSource: "mongodb-atlas",
      database: "main",
      collection: c,
      filter: { v: { $gte: 8 } },
      sort: { v: 1 },
    });
    expect(((await served.json()) as { documents: Array<{ v: number }> }).documents.map((d) => d.v)).toEqual([8, 9]);
    const ready = await send("GET", "/ready");
    expect(await ready.json()).toMatchObject({ status: "ready", backend: "mongodb" });
    // Events leave once MongoDB has acknowledged the write: the insert and the update reach the webhook.
    const got = await eventually(async () => {
      const list = await received(`/mongo-${c}`);
      const types = new Set(list.map((r) => (JSON.parse(r.body) as { operationType: string }).operationType));
      if (!types.has("insert") || !types.has("update")) throw new Error(`only ${[...types].join(", ")} so far`);
      return list;
    });
    expect(got.length).toBeGreaterThanOrEqual(2);
  });
});
