import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { stringify } from "../../worker/lib/ejson";
import { databaseStub } from "../../worker/store/embedded";
import { call, uniqueName } from "../helpers/api";

describe("group commit", () => {
  it("writes that arrive together share one commit, and each keeps its own outcome", async () => {
    const tenant = uniqueName("gc").replaceAll("_", "-").toLowerCase();
    const stub = databaseStub(env.DATABASE, tenant, "main");
    const origin = { tenant, database: "main", chainDepth: 0 };
    const before = await stub.commitStats();
    // 30 inserts sent at once, one of them a duplicate of another's _id.
    const results = await Promise.all(
      [...Array.from({ length: 29 }, (_, i) => ({ _id: i, n: i })), { _id: 7, n: "dup" }].map((d) =>
        stub.insert("items", stringify([d]), origin),
      ),
    );
    const after = await stub.commitStats();
    expect(after.writes - before.writes).toBe(30);
    expect(after.commits - before.commits).toBeLessThan(30);
    const failed = results.filter((r) => !r.ok);
    expect(failed).toHaveLength(1);
    expect(failed[0]).toMatchObject({ ok: false, error: { code: "DUPLICATE_KEY" } });
    expect((await call("GET", "/api/db/items/count", { tenant })).json.count).toBe(29);
    expect((await call("GET", "/api/db/items/7", { tenant })).json.n).toBe(7);
  });

  it("a refused write in a group rolls back alone, over HTTP as well", async () => {
    const tenant = uniqueName("gh").replaceAll("_", "-").toLowerCase();
    await call("POST", "/api/management/collections", {
      tenant,
      body: { name: "v", validator: { type: "object", required: ["n"] } },
    });
    const answers = await Promise.all(
      Array.from({ length: 20 }, (_, i) => call("POST", "/api/db/v", { tenant, body: i === 10 ? { m: 1 } : { n: i } })),
    );
    expect(answers.map((a) => a.status).sort()).toEqual([...Array(19).fill(201), 400].sort());
    expect((await call("GET", "/api/db/v/count", { tenant })).json.count).toBe(19);
  });
});
