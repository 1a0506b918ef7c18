import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { call, createKey, uniqueName } from "../helpers/api";
import { lockOf } from "../../worker/stubs";

const tenantName = () => uniqueName("mg").replaceAll("_", "-").toLowerCase();

const PRODUCTS = {
  id: "0001_products",
  code: `export async function up(ctx) {
  await ctx.api.createCollection("products", { validator: { type: "object", required: ["sku"] } });
  await ctx.api.createIndex("products", { sku: 1 }, { unique: true });
}
export async function down(ctx) {
  await ctx.api.dropCollection("products");
}`,
};
const CURRENCY = {
  id: "0002_currency",
  code: `export async function up(ctx) {
  await ctx.api.updateMany("products", { currency: { $exists: false } }, { $set: { currency: "EUR" } });
}
export async function down(ctx) {
  await ctx.api.updateMany("products", {}, { $unset: { currency: "" } }, { allowEmptyFilter: true });
}`,
};

const run = (tenant: string, body: Record<string, unknown>, headers: Record<string, string> = {}) =>
  call("POST", "/api/migrations", { tenant, body, headers });
const states = (res: { json: { status: { id: string; state: string }[] } }) =>
  res.json.status.map((s) => `${s.id}:${s.state}`);

describe("migrations", () => {
  it("applies in order with a dry run first, records checksums and fencing tokens, refuses edited files, and reverts", async () => {
    const tenant = tenantName();
    const files = [CURRENCY, PRODUCTS];
    expect(states(await run(tenant, { command: "status", migrations: files }))).toEqual([
      "0001_products:pending",
      "0002_currency:pending",
    ]);

    const one = await run(tenant, { command: "up", migrations: files, steps: 1 });
    expect(one.status, one.text).toBe(200);
    expect(one.json.steps.map((s: { id: string }) => s.id)).toEqual(["0001_products"]);
    expect(states(one)).toEqual(["0001_products:applied", "0002_currency:pending"]);
    await call("POST", "/api/db/products", {
      tenant,
      body: [{ sku: "a" }, { sku: "b" }, { sku: "c", currency: "USD" }],
    });
    expect((await call("POST", "/api/db/products", { tenant, body: { name: "no sku" } })).status).toBe(400);

    // A dry run says what would change, with document counts, and writes nothing.
    const dry = await run(tenant, { command: "up", migrations: files, dryRun: true });
    expect(dry.json.steps).toEqual([
      {
        id: "0002_currency",
        direction: "up",
        durationMs: expect.any(Number),
        plan: [{ op: "updateMany", collection: "products", documents: 2 }],
      },
    ]);
    expect(
      (await call("GET", "/api/db/products/count?filter=" + encodeURIComponent('{"currency":"EUR"}'), { tenant })).json
        .count,
    ).toBe(0);
    expect(states(dry)).toEqual(["0001_products:applied", "0002_currency:pending"]);

    const rest = await run(tenant, { command: "up", migrations: files });
    expect(rest.json.steps.map((s: { id: string }) => s.id)).toEqual(["0002_currency"]);
    expect(
      (await call("GET", "/api/db/products/count?filter=" + encodeURIComponent('{"currency":"EUR"}'), { tenant })).json
        .count,
    ).toBe(2);
    const records = (await call("GET", "/api/db/_migrations?sort=_id", { tenant })).json.documents;
    expect(records.map((r: { _id: string }) => r._id)).toEqual(["0001_products", "0002_currency"]);
    expect(records[1]).toMatchObject({
      checksum: expect.stringMatching(/^[0-9a-f]{64}$/),
      fencingToken: rest.json.fencingToken,
    });
    expect(rest.json.fencingToken).toBeGreaterThan(one.json.fencingToken);
    expect((await run(tenant, { command: "up", migrations: files })).json.steps).toEqual([]);

    const edited = await run(tenant, {
      command: "up",
      migrations: [{ ...PRODUCTS, code: PRODUCTS.code.replace("sku: 1", "sku: -1") }, CURRENCY],
    });
    expect(edited.status).toBe(409);
    expect(edited.json.error).toMatchObject({ code: "MIGRATION_MODIFIED", details: { ids: ["0001_products"] } });

    const down = await run(tenant, { command: "down", migrations: files });
    expect(down.status, down.text).toBe(200);
    expect(down.json.steps.map((s: { id: string; direction: string }) => `${s.id}:${s.direction}`)).toEqual([
      "0002_currency:down",
    ]);
    expect(
      (
        await call("GET", "/api/db/products/count?filter=" + encodeURIComponent('{"currency":{"$exists":true}}'), {
          tenant,
        })
      ).json.count,
    ).toBe(0);
    expect((await run(tenant, { command: "down", migrations: [CURRENCY] })).json.error.code).toBe(
      "MIGRATION_FILE_MISSING",
    );
    await run(tenant, { command: "down", migrations: files });
    expect((await call("GET", "/api/management/collections/products", { tenant })).status).toBe(404);
    expect(states(await run(tenant, { command: "status", migrations: files }))).toEqual([
      "0001_products:pending",
      "0002_currency:pending",
    ]);
  });

  it("stops at a failing step with its line, holds one lock per database, and runs per database", async () => {
    const tenant = tenantName();
    const broken = {
      id: "0003_broken",
      code: "export async function up(ctx) {\n  await ctx.api.insert('x', { a: 1 });\n  throw new Error('boom');\n}\nexport async function down() {}",
    };
    const failed = await run(tenant, { command: "up", migrations: [PRODUCTS, broken] });
    expect(failed.status).toBe(400);
    expect(failed.json.error).toMatchObject({
      code: "MIGRATION_FAILED",
      details: { id: "0003_broken", line: 3, completed: ["0001_products"] },
    });
    expect(failed.json.error.message).toContain("0001_products were applied");
    expect(states(await run(tenant, { command: "status", migrations: [PRODUCTS, broken] }))).toEqual([
      "0001_products:applied",
      "0003_broken:pending",
    ]);

    const lock = lockOf(env, tenant, "docflare:migrations:main");
    const held = await lock.acquire("someone-else", 60_000, 0);
    expect((await run(tenant, { command: "up", migrations: [PRODUCTS] })).json.error.code).toBe("MIGRATION_LOCKED");
    if (held.ok) await lock.release(held.value.token!);

    const other = await run(tenant, { command: "up", migrations: [PRODUCTS] }, { "x-docflare-database": "staging" });
    expect(other.json).toMatchObject({ database: "staging", steps: [{ id: "0001_products" }] });
    expect(
      (
        await call("POST", "/api/migrations", {
          tenant,
          body: { command: "up", migrations: [{ id: "bad", code: "" }] },
        })
      ).json.error.code,
    ).toBe("INVALID_MIGRATION_ID");
    const writer = await createKey("write", tenant);
    expect(
      (await call("POST", "/api/migrations", { token: writer, body: { command: "up", migrations: [PRODUCTS] } }))
        .status,
    ).toBe(403);
  });

  it("applies seeds once, never reverts them, and lists tenants for an all-tenants run", async () => {
    const tenant = tenantName();
    const seed = {
      id: "0001_sample_products",
      code: "export async function up(ctx) { await ctx.api.insertMany('products', [{ sku: 's1' }, { sku: 's2' }]); }",
    };
    expect((await run(tenant, { command: "up", kind: "seed", migrations: [seed] })).json.steps).toHaveLength(1);
    expect((await run(tenant, { command: "up", kind: "seed", migrations: [seed] })).json.steps).toHaveLength(0);
    expect((await call("GET", "/api/db/products/count", { tenant })).json.count).toBe(2);
    expect((await run(tenant, { command: "down", kind: "seed", migrations: [seed] })).json.error.code).toBe(
      "SEEDS_NOT_REVERSIBLE",
    );
    // Seeds and migrations are recorded apart: the seed is not a pending or missing migration.
    expect((await run(tenant, { command: "status", migrations: [] })).json.status).toEqual([]);
    expect((await call("GET", "/api/migrations/tenants")).json.tenants).toContain(tenant);
    const admin = await createKey("admin", tenant);
    expect((await call("GET", "/api/migrations/tenants", { token: admin })).status).toBe(403);
  });
});
