import app from "../../worker/app";
import { describe, expect, it } from "vitest";
import { call, createKey, uniqueName } from "../helpers/api";

describe("collection management", () => {
  it("creates with a JSON Schema validator that writes must satisfy (400 names the path)", async () => {
    const c = uniqueName();
    const validator = {
      type: "object",
      required: ["email"],
      properties: {
        email: { type: "string", pattern: "@" },
        age: { type: "integer", minimum: 0 },
        address: { type: "object", properties: { zip: { type: "string" } } },
      },
    };
    const created = await call("POST", "/api/management/collections", { body: { name: c, validator } });
    expect(created.status).toBe(201);
    expect(created.json).toMatchObject({ name: c, count: 0, validator });
    expect((await call("POST", "/api/management/collections", { body: { name: c } })).status).toBe(409);
    const bad = await call("POST", `/api/db/${c}`, { body: { email: "a@x", address: { zip: 12345 } } });
    expect(bad.status).toBe(400);
    expect(bad.json.error.code).toBe("SCHEMA_VALIDATION_FAILED");
    expect(bad.json.error.details.errors[0].path).toBe("address.zip");
    const missing = await call("POST", `/api/db/${c}`, { body: { age: 3 } });
    expect(missing.status).toBe(400);
    expect((await call("POST", `/api/db/${c}`, { body: { _id: 1, email: "a@x", age: 3 } })).status).toBe(201);
    const upd = await call("PATCH", `/api/db/${c}/1`, { body: { age: -1 } });
    expect(upd.status).toBe(400);
    expect(upd.json.error.details.errors[0].path).toBe("age");
    expect((await call("GET", `/api/db/${c}/1`)).json.age).toBe(3);
  });

  it("sets, replaces and removes a validator on an existing collection (stored documents are not re-checked)", async () => {
    const c = uniqueName();
    expect((await call("POST", `/api/db/${c}`, { body: { _id: 1, name: 3 } })).status).toBe(201);
    const set = await call("PATCH", `/api/management/collections/${c}`, {
      body: { validator: { type: "object", properties: { name: { type: "string" } } } },
    });
    expect(set.status).toBe(200);
    expect(set.json.validator.properties.name).toEqual({ type: "string" });
    expect((await call("GET", `/api/db/${c}/1`)).json.name).toBe(3);
    const refused = await call("POST", `/api/db/${c}`, { body: { name: 4 } });
    expect(refused.json.error).toMatchObject({ code: "SCHEMA_VALIDATION_FAILED" });
    expect((await call("PATCH", `/api/management/collections/${c}`, { body: { validator: [1] } })).status).toBe(400);
    const cleared = await call("PATCH", `/api/management/collections/${c}`, { body: { validator: null } });
    expect(cleared.json.validator).toBeUndefined();
    expect((await call("POST", `/api/db/${c}`, { body: { name: 4 } })).status).toBe(201);
    expect(
      (await call("PATCH", `/api/management/collections/${uniqueName()}`, { body: { validator: null } })).json.error
        .code,
    ).toBe("COLLECTION_NOT_FOUND");
    expect((await call("PATCH", `/api/management/collections/${c}`, { body: {} })).status).toBe(400);
  });

  it("lists collections with counts and sizes, shows stats, drops", async () => {
    const c = uniqueName();
    await call("POST", `/api/db/${c}`, { body: [{ a: 1 }, { a: 2 }] });
    const list = await call("GET", "/api/management/collections");
    const mine = list.json.collections.find((x: { name: string }) => x.name === c);
    expect(mine.count).toBe(2);
    expect(mine.sizeBytes).toBeGreaterThan(0);
    expect((await call("GET", `/api/management/collections/${c}`)).json).toMatchObject({ name: c, count: 2 });
    expect((await call("DELETE", `/api/management/collections/${c}`)).status).toBe(200);
    expect((await call("GET", `/api/management/collections/${c}`)).status).toBe(404);
    expect((await call("DELETE", `/api/management/collections/${c}`)).status).toBe(404);
    expect((await call("GET", `/api/db/${c}`)).json.documents).toEqual([]);
  });

  it("creates, lists and drops single-field and compound indexes", async () => {
    const c = uniqueName();
    expect(
      (
        await call("POST", `/api/management/collections/${c}/indexes`, {
          body: { keys: { a: 1, b: -1 }, unique: true },
        })
      ).json,
    ).toEqual({ name: "a_1_b_-1", keys: { a: 1, b: -1 }, unique: true });
    await call("POST", `/api/db/${c}`, { body: { a: 1, b: 1 } });
    expect((await call("POST", `/api/db/${c}`, { body: { a: 1, b: 2 } })).status).toBe(201);
    expect((await call("POST", `/api/db/${c}`, { body: { a: 1, b: 1 } })).status).toBe(409);
    const listed = await call("GET", `/api/management/collections/${c}/indexes`);
    expect(listed.json.indexes.map((i: { name: string }) => i.name)).toEqual(["_id_", "a_1_b_-1"]);
    const bad = await call("POST", `/api/management/collections/${c}/indexes`, { body: { keys: { a: 2 } } });
    expect(bad.status).toBe(400);
    expect((await call("DELETE", `/api/management/collections/${c}/indexes/a_1_b_-1`)).status).toBe(200);
    expect((await call("POST", `/api/db/${c}`, { body: { a: 1, b: 1 } })).status).toBe(201);
    expect(
      (await call("POST", `/api/management/collections/${c}/indexes`, { body: { keys: { a: 1 }, unique: true } })).json
        .error.code,
    ).toBe("DUPLICATE_KEY");
    expect((await call("DELETE", `/api/management/collections/${c}/indexes/_id_`)).status).toBe(400);
  });

  it("infers a schema: paths, types and how often each appears", async () => {
    const c = uniqueName();
    await call("POST", `/api/db/${c}`, {
      body: [
        { name: "a", age: 1, tags: ["x"] },
        { name: "b", age: 1.5 },
        { name: 3, nested: { deep: true } },
        { name: "d" },
      ],
    });
    const schema = (await call("GET", `/api/management/collections/${c}/schema`)).json;
    expect(schema.sampled).toBe(4);
    const field = (p: string) => schema.fields.find((f: { path: string }) => f.path === p);
    expect(field("name")).toMatchObject({ count: 4, frequency: 1, types: { string: 3, int: 1 } });
    expect(field("age")).toMatchObject({ count: 2, frequency: 0.5, types: { int: 1, double: 1 } });
    expect(field("tags[]").types).toEqual({ string: 1 });
    expect(field("nested.deep").types).toEqual({ bool: 1 });
  });
});

describe("Data API served", () => {
  const base = "/app/data-abcde/endpoint/data/v1/action";
  const apiKey = (body: unknown, headers: Record<string, string> = {}) => ({
    token: null,
    body,
    headers: { apiKey: "test-admin-token", ...headers },
  });

  it("runs the ten v1 actions with the protocol's shapes", async () => {
    const coll = { dataSource: "Cluster0", database: "shop", collection: uniqueName() };
    const one = await call("POST", `${base}/insertOne`, apiKey({ ...coll, document: { sku: "a", qty: 1 } }));
    expect(one.status).toBe(201);
    expect(one.json.insertedId).toMatch(/^[0-9a-f]{24}$/);
    const many = await call(
      "POST",
      `${base}/insertMany`,
      apiKey({
        ...coll,
        documents: [
          { sku: "b", qty: 2 },
          { sku: "c", qty: 3 },
        ],
      }),
    );
    expect(many.json.insertedIds).toHaveLength(2);
    expect(
      (await call("POST", `${base}/findOne`, apiKey({ ...coll, filter: { sku: "b" }, projection: { _id: 0 } }))).json,
    ).toEqual({ document: { sku: "b", qty: 2 } });
    const found = await call(
      "POST",
      `${base}/find`,
      apiKey({ ...coll, filter: { qty: { $gte: 2 } }, sort: { qty: -1 }, limit: 1, projection: { sku: 1, _id: 0 } }),
    );
    expect(found.json).toEqual({ documents: [{ sku: "c" }] });
    expect(
      (await call("POST", `${base}/updateOne`, apiKey({ ...coll, filter: { sku: "a" }, update: { $inc: { qty: 5 } } })))
        .json,
    ).toEqual({ matchedCount: 1, modifiedCount: 1 });
    const upsert = await call(
      "POST",
      `${base}/updateMany`,
      apiKey({ ...coll, filter: { sku: "z" }, update: { $set: { qty: 0 } }, upsert: true }),
    );
    expect(upsert.json).toMatchObject({ matchedCount: 0, modifiedCount: 0, upsertedId: expect.any(String) });
    expect(
      (
        await call(
          "POST",
          `${base}/replaceOne`,
          apiKey({ ...coll, filter: { sku: "z" }, replacement: { sku: "z", qty: 9 } }),
        )
      ).json,
    ).toEqual({ matchedCount: 1, modifiedCount: 1 });
    const agg = await call(
      "POST",
      `${base}/aggregate`,
      apiKey({ ...coll, pipeline: [{ $group: { _id: null, total: { $sum: "$qty" } } }] }),
    );
    expect(agg.json.documents).toEqual([{ _id: null, total: 20 }]);
    expect((await call("POST", `${base}/deleteOne`, apiKey({ ...coll, filter: { sku: "z" } }))).json).toEqual({
      deletedCount: 1,
    });
    expect((await call("POST", `/action/deleteMany`, apiKey({ ...coll, filter: {} }))).json).toEqual({
      deletedCount: 3,
    });
  });

  it("speaks canonical EJSON when asked, and accepts the key as api-key, Bearer or Basic", async () => {
    const coll = { dataSource: "x", database: "shop", collection: uniqueName() };
    const ins = await call("POST", `/action/insertOne`, {
      token: null,
      rawBody: JSON.stringify({
        ...coll,
        document: {
          _id: { $oid: "65f000000000000000000001" },
          at: { $date: { $numberLong: "1700000000000" } },
          n: { $numberInt: "5" },
        },
      }),
      headers: { "api-key": "test-admin-token", "Content-Type": "application/ejson", Accept: "application/ejson" },
    });
    expect(ins.status).toBe(201);
    expect(ins.headers.get("content-type")).toContain("application/ejson");
    expect(ins.json).toEqual({ insertedId: { $oid: "65f000000000000000000001" } });
    const canon = await call("POST", `/action/findOne`, {
      body: { ...coll, filter: {} },
      headers: { Accept: "application/ejson" },
    });
    expect(canon.json.document).toEqual({
      _id: { $oid: "65f000000000000000000001" },
      at: { $date: { $numberLong: "1700000000000" } },
      n: { $numberInt: "5" },
    });
    const plainJson = await call("POST", `/action/findOne`, {
      token: null,
      body: { ...coll, filter: {} },
      headers: { Authorization: `Basic ${btoa("user:test-admin-token")}` },
    });
    expect(plainJson.json.document).toEqual({ _id: "65f000000000000000000001", at: "2023-11-14T22:13:20.000Z", n: 5 });
  });

  it("answers errors in the protocol's { error, error_code } shape, with Docflare's code beside it", async () => {
    const noAuth = await call("POST", `/action/find`, { token: null, body: { database: "d", collection: "c" } });
    expect(noAuth.status).toBe(401);
    expect(noAuth.json).toMatchObject({
      error: expect.any(String),
      error_code: "InvalidSession",
      code: "UNAUTHENTICATED",
    });
    const missing = await call("POST", `/action/find`, apiKey({ database: "d" }));
    expect(missing.status).toBe(400);
    expect(missing.json.error_code).toBe("MissingParameter");
    const forbidden = await call(
      "POST",
      `/action/find`,
      apiKey({ database: "d", collection: "c", filter: { $where: "1" } }),
    );
    expect(forbidden.status).toBe(400);
    expect(forbidden.json.error).toContain("$where");
    expect((await call("POST", `/action/nope`, apiKey({}))).json.error_code).toBe("FunctionNotFound");
    const dup = { database: "d", collection: uniqueName(), document: { _id: 1 } };
    await call("POST", `/action/insertOne`, apiKey(dup));
    const again = await call("POST", `/action/insertOne`, apiKey(dup));
    expect(again.status).toBe(409);
    expect(again.json.error_code).toBe("DuplicateKey");
  });
});

describe("docs and health", () => {
  it("publishes OpenAPI 3.1 covering every route the app serves, with operation ids, security and error bodies", async () => {
    const spec = (await call("GET", "/openapi.json", { token: null })).json;
    expect(spec.openapi).toBe("3.1.0");
    // Every route the Hono app serves (middleware aside) is in the document, under the same path template.
    const served = app.routes
      .filter((r) => r.method !== "ALL" && r.path !== "/api/docs")
      .map((r) => `${r.method.toLowerCase()} ${r.path.replace(/:(\w+)/g, "{$1}")}`);
    const documented = new Set(
      Object.entries(spec.paths).flatMap(([path, item]) => Object.keys(item as object).map((m) => `${m} ${path}`)),
    );
    const dataApiShapes = served.filter((r) => r.includes("{action}"));
    expect(dataApiShapes).toEqual(["post /app/{appId}/endpoint/data/v1/action/{action}", "post /action/{action}"]);
    for (const route of served.filter((r) => !r.includes("{action}"))) expect(documented.has(route), route).toBe(true);
    for (const action of [
      "find",
      "findOne",
      "insertOne",
      "insertMany",
      "updateOne",
      "updateMany",
      "replaceOne",
      "deleteOne",
      "deleteMany",
      "aggregate",
    ]) {
      expect(spec.paths[`/action/${action}`]?.post, action).toBeDefined();
      expect(spec.paths[`/app/{appId}/endpoint/data/v1/action/${action}`]?.post, action).toBeDefined();
    }
    const ops = Object.values(spec.paths).flatMap((item) =>
      Object.values(
        item as Record<
          string,
          { operationId: string; security?: unknown[]; responses: Record<string, { content?: unknown }> }
        >,
      ),
    );
    expect(new Set(ops.map((o) => o.operationId)).size).toBe(ops.length);
    expect(spec.paths["/health"].get.security).toEqual([]);
    expect(spec.paths["/openapi.json"].get.security).toEqual([]);
    expect(spec.paths["/api/sdk/typescript"].get.security).toEqual([{ bearerAuth: [] }]);
    expect(spec.paths["/api/auth/login"].post.security).toEqual([]);
    expect(spec.security).toEqual([{ bearerAuth: [] }]);
    expect(spec.paths["/api/db/{collection}/{id}"].get.responses["404"].content["application/json"].schema.$ref).toBe(
      "#/components/schemas/Error",
    );
    const list = spec.paths["/api/db/{collection}"].get;
    expect(list.parameters.find((p: { name: string }) => p.name === "limit").schema.type).toBe("integer");
    expect(list.parameters.map((p: { name: string }) => p.name)).toEqual(
      expect.arrayContaining(["X-Docflare-Tenant", "X-Docflare-Database"]),
    );
    expect(spec.paths["/api/db/{collection}/{id}"].patch.parameters.map((p: { name: string }) => p.name)).toContain(
      "if-match",
    );
    expect((await call("GET", "/api/docs", { token: null })).text).toContain("swagger");
    expect((await call("GET", "/health", { token: null })).json).toEqual({ status: "ok" });
    expect((await call("GET", "/ready", { token: null })).json).toMatchObject({ status: "ready", backend: "embedded" });
  });

  it("describes the caller's collections: a validator as it is, else the schema their documents imply; and serves a typed SDK", async () => {
    const tenant = `oa-${uniqueName("t").replace(/_/g, "-").toLowerCase()}`.slice(0, 40);
    await call("POST", "/api/management/collections", {
      tenant,
      body: {
        name: "products",
        validator: {
          type: "object",
          required: ["sku"],
          properties: { sku: { type: "string" }, price: { type: "number" } },
        },
      },
    });
    await call("POST", "/api/db/line_items", {
      tenant,
      body: [{ qty: 1, note: "x", at: { $date: "2026-01-01T00:00:00Z" } }, { qty: 2 }],
    });
    const spec = (await call("GET", "/openapi.json", { tenant })).json;
    expect(spec.components.schemas.Products).toMatchObject({
      required: ["sku"],
      properties: { _id: {}, sku: { type: "string" }, price: { type: "number" } },
    });
    expect(spec.components.schemas.LineItems).toMatchObject({
      type: "object",
      required: ["_id", "qty"],
      properties: {
        _id: { properties: { $oid: { type: "string" } } },
        qty: { type: "integer" },
        note: { type: "string" },
        at: { properties: { $date: { type: "string" } } },
      },
    });
    expect(spec.paths["/api/db/products"].get.operationId).toBe("listProducts");
    expect(spec.paths["/api/db/products/{id}"].get.responses["200"].content["application/json"].schema.$ref).toBe(
      "#/components/schemas/Products",
    );
    expect(spec.paths["/api/db/line_items"].post.requestBody.content["application/json"].schema.anyOf[0].$ref).toBe(
      "#/components/schemas/LineItems",
    );
    const sdk = await call("GET", "/api/sdk/typescript", { tenant });
    expect(sdk.headers.get("content-disposition")).toContain("docflare-sdk.ts");
    expect(sdk.text).toContain("export type Products = {\n  _id?: unknown;\n  sku: string;\n  price?: number;\n};");
    expect(sdk.text).toContain('"line_items": LineItems;');
    const limited = await createKey("read", tenant, ["products"]);
    const narrow = (await call("GET", "/openapi.json", { token: limited })).json;
    expect(narrow.paths["/api/db/products"]).toBeDefined();
    expect(narrow.paths["/api/db/line_items"]).toBeUndefined();
  });
});
