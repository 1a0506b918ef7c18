import { env } from "cloudflare:workers";
import { beforeEach, describe, expect, inject, it } from "vitest";
import { ObjectId } from "bson";
import worker from "../../worker/index";
import { RemoteStore } from "../../worker/store/remote";
import { DataApiClient } from "../../worker/store/data-api-client";
import { databaseStub } from "../../worker/store/embedded";
import type { DataApiConfig } from "../../worker/store/data-api-client";
import { uniqueName } from "../helpers/api";
import { exerciseDocumentOperations, failure } from "../helpers/store-contract";

const proxy = inject("proxyUrl");
const upstream = inject("upstreamUrl");
const token = inject("upstreamToken");
/** Where these stores keep import jobs; the documents live upstream. */
const jobs = databaseStub(env.DATABASE, "backend", "db");

function config(overrides: Partial<DataApiConfig> = {}): DataApiConfig {
  return {
    baseUrl: `${proxy}/app/docflare-test/endpoint/data/v1`,
    auth: { kind: "apiKey", key: token },
    dataSource: "local",
    format: "ejson",
    timeoutMs: 2_000,
    maxAttempts: 3,
    retryBaseMs: 10,
    failureThreshold: 50,
    cooldownMs: 1_000,
    ...overrides,
  };
}

async function fault(mode: string, count?: number) {
  await fetch(`${proxy}/__fault`, { method: "POST", body: JSON.stringify({ mode, count }) });
}
async function stats(): Promise<{ received: number; forwarded: number }> {
  return (await fetch(`${proxy}/__stats`)).json();
}

describe("data-api backend against a real Docflare Data API server", () => {
  beforeEach(() => fault("pass"));

  it("round-trips documents with BSON types through Atlas-shaped and FerretDB-shaped base URLs", async () => {
    for (const baseUrl of [`${proxy}/app/docflare-test/endpoint/data/v1`, proxy]) {
      const store = new RemoteStore(new DataApiClient(config({ baseUrl })), "backend_db", jobs);
      const c = uniqueName();
      const when = new Date("2026-01-02T03:04:05.000Z");
      const { insertedId } = await store.insertOne(c, { name: "ada", born: when, tags: ["x"] });
      expect(insertedId).toBeInstanceOf(ObjectId);
      const found = await store.findOne(c, { _id: insertedId });
      expect(found?.doc.born).toEqual(when);
      expect(found?.doc._id).toEqual(insertedId);
      expect(found?.etag).toMatch(/^"[0-9a-f]{16}"$/);
    }
  });

  it("supports every DocumentStore operation", async () => {
    const store = new RemoteStore(new DataApiClient(config({ format: "json" })), "backend_db", jobs);
    const c = await exerciseDocumentOperations(store);
    expect((await store.listCollections()).some((x) => x.name === c)).toBe(true);
    const withValidator = await store.setValidator(c, { type: "object", required: ["n"] });
    expect(withValidator?.validator).toEqual({ type: "object", required: ["n"] });
    const invalid = await failure(store.insertOne(c, { m: 1 }));
    expect(invalid).toMatchObject({ status: 400, code: "SCHEMA_VALIDATION_FAILED" });
    expect((invalid.details as { errors: { path: string }[] }).errors[0].path).toBe("(document)");
    expect((await store.setValidator(c, null))?.validator).toBeUndefined();
    expect(await store.setValidator(uniqueName(), { type: "object" })).toBeNull();
  });

  it("imports chunk by chunk upstream: a replayed chunk is not applied twice, and rows a lost attempt wrote count as written", async () => {
    const store = new RemoteStore(new DataApiClient(config()), "backend_db", jobs);
    const c = uniqueName();
    const job = `up_${c}`;
    await store.importJobs.start(job, c, "ndjson", {
      mapping: {},
      types: {},
      nullIfEmpty: true,
      upsertKeys: [],
      onError: "skip",
      events: false,
      formulas: "reject",
    });
    const rows = [1, 2, 3].map((n) => ({ row: n, doc: { _id: new ObjectId(), n }, generatedId: true }));
    // An attempt that wrote its rows and was lost before recording the chunk:
    await store.insertOne(c, rows[0].doc);
    const chunk = {
      job,
      seq: 0,
      read: 4,
      rejected: [],
      upsertKeys: [],
      events: false,
      stopOnError: false,
      docs: [...rows, { row: 4, doc: { _id: "taken", n: 4 } }],
    };
    await store.insertOne(c, { _id: "taken" });
    const outcome = await store.importChunk(c, chunk);
    expect(outcome).toMatchObject({ inserted: 3, failures: [{ row: 4, code: "DUPLICATE_KEY" }] });
    expect(await store.importChunk(c, chunk)).toMatchObject({ replayed: true, inserted: 3 });
    expect(await store.countDocuments(c, {})).toBe(4);
    expect((await store.importJobs.get(job))!.rows).toMatchObject({ read: 4, inserted: 3, failed: 1 });
  });

  it("enforces If-Match as a compare-and-set on the upstream", async () => {
    const store = new RemoteStore(new DataApiClient(config()), "backend_db", jobs);
    const c = uniqueName();
    await store.insertOne(c, { _id: "a", v: 1 });
    const current = await store.findOne(c, { _id: "a" });
    expect((await store.updateOne(c, { _id: "a" }, { $set: { v: 2 } }, { ifMatch: current!.etag })).modifiedCount).toBe(
      1,
    );
    const stale = await failure(store.updateOne(c, { _id: "a" }, { $set: { v: 3 } }, { ifMatch: current!.etag }));
    expect(stale.status).toBe(412);
  });

  it("authenticates with an apiKey header, a Bearer token or Basic credentials", async () => {
    const c = uniqueName();
    for (const auth of [
      { kind: "apiKey", key: token },
      { kind: "bearer", token },
      { kind: "basic", username: "u", password: token },
    ] as const) {
      const store = new RemoteStore(new DataApiClient(config({ auth, baseUrl: upstream })), "backend_db", jobs);
      await store.insertOne(c, { auth: auth.kind });
    }
    const wrong = new RemoteStore(
      new DataApiClient(config({ auth: { kind: "apiKey", key: "wrong" }, baseUrl: upstream })),
      "backend_db",
      jobs,
    );
    const err = await failure(wrong.findOne(c, {}));
    expect(err.status).toBe(502);
    expect(err.code).toBe("UPSTREAM_REJECTED");
    expect(err.details).toMatchObject({ upstreamStatus: 401, upstreamError: expect.stringContaining("not valid") });
  });

  it("retries idempotent reads after a 5xx, but never a write", async () => {
    const store = new RemoteStore(new DataApiClient(config()), "backend_db", jobs);
    const c = uniqueName();
    await store.insertOne(c, { _id: 1 });
    await fault("error500", 1);
    expect((await store.findOne(c, { _id: 1 }))?.doc).toEqual({ _id: 1 });
    expect((await stats()).received).toBe(2);

    await fault("error500", 1);
    const err = await failure(store.insertOne(c, { _id: 2 }));
    expect(err).toMatchObject({ status: 502, code: "UPSTREAM_ERROR" });
    expect(err.details).toMatchObject({ upstreamStatus: 500, upstreamError: "upstream exploded" });
    expect((await stats()).received).toBe(1);
    expect(await store.findOne(c, { _id: 2 })).toBeNull();
  });

  it("retries writes on 429 and 503, which mean the request was not processed", async () => {
    const store = new RemoteStore(new DataApiClient(config()), "backend_db", jobs);
    const c = uniqueName();
    await fault("unavailable503", 1);
    await store.insertOne(c, { _id: "x" });
    expect((await stats()).received).toBe(2);
    await fault("ratelimit429", 2);
    await store.insertOne(c, { _id: "y" });
    expect((await stats()).received).toBe(3);
    expect(await store.countDocuments(c, {})).toBe(2);
    await fault("unavailable503");
    const err = await failure(store.insertOne(c, { _id: "z" }));
    expect(err).toMatchObject({ status: 503, code: "UPSTREAM_UNAVAILABLE" });
  });

  it("maps a timeout to 504 and an unreachable upstream to 502", async () => {
    const store = new RemoteStore(new DataApiClient(config({ timeoutMs: 300, maxAttempts: 1 })), "backend_db", jobs);
    await fault("slow");
    expect(await failure(store.findOne(uniqueName(), {}))).toMatchObject({ status: 504, code: "UPSTREAM_TIMEOUT" });
    await fault("down");
    expect(await failure(store.findOne(uniqueName(), {}))).toMatchObject({ status: 502, code: "UPSTREAM_UNREACHABLE" });
  });

  it("opens the circuit after repeated failures, fails fast, and closes after a successful trial", async () => {
    const store = new RemoteStore(
      new DataApiClient(
        config({
          baseUrl: `${proxy}/app/circuit/endpoint/data/v1`,
          failureThreshold: 2,
          cooldownMs: 400,
          maxAttempts: 1,
        }),
      ),
      "backend_db",
      jobs,
    );
    await fault("error500");
    await failure(store.findOne("things", {}));
    await failure(store.findOne("things", {}));
    const before = (await stats()).received;
    const open = await failure(store.findOne("things", {}));
    expect(open).toMatchObject({ status: 503, code: "UPSTREAM_CIRCUIT_OPEN" });
    expect((await stats()).received).toBe(before);
    await new Promise((r) => setTimeout(r, 450));
    await fault("pass");
    expect(await store.findOne("things", { _id: "none" })).toBeNull();
    expect(await store.findOne("things", { _id: "none" })).toBeNull();
  });

  it("serves the REST API with STORE_BACKEND=data-api", async () => {
    const upstreamEnv = {
      ...env,
      STORE_BACKEND: "data-api",
      DATA_API_URL: upstream,
      DATA_API_KEY: token,
      DATA_API_AUTH: "bearer",
    };
    const ctx = { waitUntil() {}, passThroughOnException() {}, props: {} } as unknown as ExecutionContext;
    const c = uniqueName();
    const headers = { Authorization: "Bearer test-admin-token", "Content-Type": "application/json" };
    const ins = await worker.fetch(
      new Request(`http://x/api/db/${c}`, { method: "POST", headers, body: JSON.stringify({ _id: "k", v: 1 }) }),
      upstreamEnv,
      ctx,
    );
    expect(ins.status).toBe(201);
    const got = await worker.fetch(new Request(`http://x/api/db/${c}/k`, { headers }), upstreamEnv, ctx);
    expect(await got.json()).toEqual({ _id: "k", v: 1 });
    const ready = await worker.fetch(new Request("http://x/ready"), upstreamEnv, ctx);
    expect(await ready.json()).toMatchObject({ status: "ready", backend: "data-api" });
  });
});
