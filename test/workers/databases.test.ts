import { describe, expect, it } from "vitest";
import { call, createKey, uniqueName } from "../helpers/api";
import { createWebhook, eventually, received, receiverUrl } from "../helpers/webhooks";
import { createScript, waitForRuns } from "../helpers/scripts";

const tenantName = () => uniqueName("db").replaceAll("_", "-").toLowerCase();
const inDb = (database: string) => ({ "x-docflare-database": database });

describe("several databases per tenant", () => {
  it("keeps each database's collections apart; main stays the default, so existing URLs work", async () => {
    const tenant = tenantName();
    await call("POST", "/api/db/items", { tenant, body: { _id: 1, where: "main" } });
    expect(
      (
        await call("POST", "/api/db/items", {
          tenant,
          headers: inDb("analytics"),
          body: { _id: 1, where: "analytics" },
        })
      ).status,
    ).toBe(201);
    expect((await call("GET", "/api/db/items/1", { tenant })).json.where).toBe("main");
    expect((await call("GET", "/api/db/items/1", { tenant, headers: inDb("main") })).json.where).toBe("main");
    expect((await call("GET", "/api/db/items/1", { tenant, headers: inDb("analytics") })).json.where).toBe("analytics");

    // The Data API's `database` field addresses the same databases.
    const viaDataApi = await call("POST", "/action/insertOne", {
      tenant,
      body: {
        dataSource: "docflare",
        database: "analytics",
        collection: "items",
        document: { _id: 2, where: "data api" },
      },
    });
    expect(viaDataApi.status, viaDataApi.text).toBe(201);
    expect((await call("GET", "/api/db/items/2", { tenant, headers: inDb("analytics") })).json.where).toBe("data api");
    expect((await call("GET", "/api/db/items/2", { tenant })).status).toBe(404);

    const listed = await call("GET", "/api/databases", { tenant });
    expect(listed.json.databases.map((d: { name: string }) => d.name)).toEqual(["main", "analytics"]);
    expect((await call("GET", "/api/databases/analytics", { tenant })).json).toMatchObject({
      name: "analytics",
      collections: 1,
      documents: 2,
      indexes: 1,
    });
    expect((await call("GET", "/api/db/items", { tenant, headers: inDb("bad name!") })).json.error.code).toBe(
      "INVALID_DATABASE",
    );
  });

  it("creates, refuses a duplicate, and drops only with the name repeated", async () => {
    const tenant = tenantName();
    expect((await call("POST", "/api/databases", { tenant, body: { name: "reports" } })).status).toBe(201);
    expect((await call("POST", "/api/databases", { tenant, body: { name: "reports" } })).json.error.code).toBe(
      "DATABASE_EXISTS",
    );
    await call("POST", "/api/db/q1", { tenant, headers: inDb("reports"), body: [{ a: 1 }, { a: 2 }] });
    await call("POST", "/api/db/q2", { tenant, headers: inDb("reports"), body: [{ a: 1 }] });
    expect((await call("DELETE", "/api/databases/reports", { tenant })).json.error.code).toBe("CONFIRMATION_REQUIRED");
    expect((await call("DELETE", "/api/databases/reports?confirm=report", { tenant })).json.error.code).toBe(
      "CONFIRMATION_REQUIRED",
    );
    const dropped = await call("DELETE", "/api/databases/reports?confirm=reports", { tenant });
    expect(dropped.json).toMatchObject({ name: "reports", dropped: true, collections: 2, removed: true });
    expect(
      (await call("GET", "/api/databases", { tenant })).json.databases.map((d: { name: string }) => d.name),
    ).toEqual(["main"]);
    expect((await call("GET", "/api/databases/reports", { tenant })).json.error.code).toBe("DATABASE_NOT_FOUND");
    // Addressing it again starts an empty database.
    expect((await call("GET", "/api/db/q1/count", { tenant, headers: inDb("reports") })).json.count).toBe(0);
    const writer = await createKey("write", tenant);
    expect((await call("POST", "/api/databases", { tenant, token: writer, body: { name: "x" } })).json.error.code).toBe(
      "FORBIDDEN",
    );
  });

  it("scopes an API key to its databases", async () => {
    const tenant = tenantName();
    const created = await call("POST", "/api/keys", {
      tenant,
      body: { name: "analyst", role: "read", databases: ["analytics"] },
    });
    expect(created.json.databases).toEqual(["analytics"]);
    const token = created.json.token as string;
    await call("POST", "/api/db/events", { tenant, headers: inDb("analytics"), body: { n: 1 } });
    expect((await call("GET", "/api/db/events/count", { token, headers: inDb("analytics") })).json.count).toBe(1);
    expect((await call("GET", "/api/db/events", { token })).json.error.code).toBe("DATABASE_FORBIDDEN");
    expect((await call("GET", "/api/db/events", { token, headers: inDb("other") })).json.error.code).toBe(
      "DATABASE_FORBIDDEN",
    );
    const viaDataApi = await call("POST", "/action/find", {
      token,
      body: { dataSource: "docflare", database: "main", collection: "events", filter: {} },
    });
    expect(viaDataApi.status).toBe(403);
    expect(
      (await call("GET", "/api/databases", { token })).json.databases.map((d: { name: string }) => d.name),
    ).toEqual(["analytics"]);
    // The control plane does not address a database, so the key still reaches what its role allows there.
    expect((await call("GET", "/api/cluster/leadership", { token })).status).toBe(200);
  });

  it("webhooks and scripts listen to their database; a script's ctx.api works there", async () => {
    const tenant = tenantName();
    const path = `/${uniqueName("dbhook")}`;
    await createWebhook(tenant, { url: `${receiverUrl()}${path}`, database: "analytics", collection: "orders" });
    const script = await createScript(tenant, {
      name: "copy",
      database: "analytics",
      code: "export default async (event, ctx) => { await ctx.api.insert('copies', { _id: event.fullDocument._id }); };",
      trigger: { type: "event", collection: "orders", events: ["insert"] },
    });
    expect(script.database).toBe("analytics");
    await call("POST", "/api/db/orders", { tenant, body: { _id: "in-main" } });
    await call("POST", "/api/db/orders", { tenant, headers: inDb("analytics"), body: { _id: "in-analytics" } });
    await waitForRuns(tenant, script.id, "succeeded", 1);
    const hooks = await eventually(async () => {
      const got = await received(path);
      expect(got.length).toBeGreaterThanOrEqual(1);
      return got.map((r) => JSON.parse(r.body));
    });
    expect(hooks.map((e) => [e.database, e.documentKey._id])).toEqual([["analytics", "in-analytics"]]);
    expect((await call("GET", "/api/db/copies", { tenant, headers: inDb("analytics") })).json.documents).toEqual([
      { _id: "in-analytics" },
    ]);
    expect((await call("GET", "/api/db/copies/count", { tenant })).json.count).toBe(0);
    const invalid = await call("POST", "/api/webhooks", {
      tenant,
      body: { url: `${receiverUrl()}/x`, database: "no good" },
    });
    expect(invalid.status).toBe(400);
  });
});
