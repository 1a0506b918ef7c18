import { describe, expect, it } from "vitest";
import { call, uniqueName } from "../helpers/api";
import { LIMITS } from "../../worker/lib/limits";

async function seed(c: string, docs: unknown[]) {
  const res = await call("POST", `/api/db/${c}`, { body: docs });
  expect(res.status).toBe(201);
  return res.json.insertedIds;
}

describe("REST CRUD", () => {
  it("inserts one document with 201, Location and ETag, and reads it back by ObjectId hex", async () => {
    const c = uniqueName();
    const res = await call("POST", `/api/db/${c}`, { body: { name: "Ada", born: { $date: "1995-12-10T00:00:00Z" } } });
    expect(res.status).toBe(201);
    const id = res.json.insertedId.$oid;
    expect(id).toMatch(/^[0-9a-f]{24}$/);
    expect(res.headers.get("location")).toBe(`/api/db/${c}/${id}`);
    const got = await call("GET", `/api/db/${c}/${id}`);
    expect(got.status).toBe(200);
    expect(got.json).toEqual({ _id: { $oid: id }, name: "Ada", born: { $date: "1995-12-10T00:00:00Z" } });
    expect(got.headers.get("etag")).toBe(res.headers.get("etag"));
    const again = await call("GET", `/api/db/${c}/${id}`, { headers: { "If-None-Match": got.headers.get("etag")! } });
    expect(again.status).toBe(304);
  });

  it("inserts many and accepts string and number ids in the URL", async () => {
    const c = uniqueName();
    expect(await seed(c, [{ _id: "alpha", v: 1 }, { _id: 42, v: 2 }, { v: 3 }])).toHaveLength(3);
    expect((await call("GET", `/api/db/${c}/alpha`)).json).toEqual({ _id: "alpha", v: 1 });
    expect((await call("GET", `/api/db/${c}/42`)).json).toEqual({ _id: 42, v: 2 });
    const missing = await call("GET", `/api/db/${c}/nope`);
    expect(missing.status).toBe(404);
    expect(missing.json.error.code).toBe("DOCUMENT_NOT_FOUND");
  });

  it("replaces with PUT (keeping _id), upserts with ?upsert=true, and refuses changing _id", async () => {
    const c = uniqueName();
    await seed(c, [{ _id: "a", x: 1, y: 2 }]);
    const put = await call("PUT", `/api/db/${c}/a`, { body: { z: 3 } });
    expect(put.status).toBe(200);
    expect(put.json).toEqual({ _id: "a", z: 3 });
    expect((await call("PUT", `/api/db/${c}/b`, { body: { z: 1 } })).status).toBe(404);
    const up = await call("PUT", `/api/db/${c}/b?upsert=true`, { body: { z: 1 } });
    expect(up.status).toBe(201);
    expect(up.json).toEqual({ _id: "b", z: 1 });
    const change = await call("PUT", `/api/db/${c}/a`, { body: { _id: "other" } });
    expect(change.status).toBe(400);
    expect(change.json.error.code).toBe("IMMUTABLE_FIELD");
  });

  it("PATCH merges nested objects (null removes) or applies update operators", async () => {
    const c = uniqueName();
    await seed(c, [{ _id: 1, profile: { name: "a", city: "x" }, n: 1, gone: true }]);
    const merged = await call("PATCH", `/api/db/${c}/1`, { body: { profile: { city: "y" }, gone: null } });
    expect(merged.json).toEqual({ _id: 1, profile: { name: "a", city: "y" }, n: 1 });
    const ops = await call("PATCH", `/api/db/${c}/1`, { body: { $inc: { n: 5 }, $push: { log: "hi" } } });
    expect(ops.json).toEqual({ _id: 1, profile: { name: "a", city: "y" }, n: 6, log: ["hi"] });
    const mixed = await call("PATCH", `/api/db/${c}/1`, { body: { $inc: { n: 1 }, name: "x" } });
    expect(mixed.status).toBe(400);
    expect(mixed.json.error.code).toBe("INVALID_UPDATE");
  });

  it("honours If-Match on PUT, PATCH and DELETE with 412 on mismatch", async () => {
    const c = uniqueName();
    await seed(c, [{ _id: "d", v: 1 }]);
    const etag = (await call("GET", `/api/db/${c}/d`)).headers.get("etag")!;
    const first = await call("PATCH", `/api/db/${c}/d`, { body: { v: 2 }, headers: { "If-Match": etag } });
    expect(first.status).toBe(200);
    const newTag = first.headers.get("etag")!;
    expect(newTag).not.toBe(etag);
    for (const [method, body] of [
      ["PATCH", { v: 3 }],
      ["PUT", { v: 3 }],
      ["DELETE", undefined],
    ] as const) {
      const stale = await call(method, `/api/db/${c}/d`, { body, headers: { "If-Match": etag } });
      expect(stale.status).toBe(412);
      expect(stale.json.error.code).toBe("PRECONDITION_FAILED");
    }
    expect((await call("GET", `/api/db/${c}/d`)).json.v).toBe(2);
    expect((await call("DELETE", `/api/db/${c}/d`, { headers: { "If-Match": newTag } })).status).toBe(200);
    expect((await call("GET", `/api/db/${c}/d`)).status).toBe(404);
  });

  it("updates and deletes by filter; an empty filter needs allowEmptyFilter=true", async () => {
    const c = uniqueName();
    await seed(c, [{ k: 1 }, { k: 2 }, { k: 3 }]);
    const upd = await call("PATCH", `/api/db/${c}`, {
      body: { filter: { k: { $gte: 2 } }, update: { $set: { big: true } } },
    });
    expect(upd.json).toMatchObject({ matchedCount: 2, modifiedCount: 2 });
    expect(
      (await call("PATCH", `/api/db/${c}`, { body: { filter: {}, update: { $set: { all: 1 } } } })).json.error.code,
    ).toBe("EMPTY_FILTER");
    expect(
      (
        await call("PATCH", `/api/db/${c}?allowEmptyFilter=true`, {
          body: { filter: {}, update: { $set: { all: 1 } } },
        })
      ).json.modifiedCount,
    ).toBe(3);
    expect((await call("DELETE", `/api/db/${c}?big=true`)).json).toEqual({ deletedCount: 2 });
    const empty = await call("DELETE", `/api/db/${c}`);
    expect(empty.status).toBe(400);
    expect(empty.json.error.code).toBe("EMPTY_FILTER");
    expect((await call("DELETE", `/api/db/${c}?allowEmptyFilter=true`)).json).toEqual({ deletedCount: 1 });
  });

  it("lists an unknown collection as empty and validates collection names", async () => {
    expect((await call("GET", `/api/db/${uniqueName("never")}`)).json).toMatchObject({ documents: [], count: 0 });
    for (const bad of ["system.users", "a$b", "x".repeat(LIMITS.maxCollectionNameLength + 1), ".hidden"]) {
      const res = await call("GET", `/api/db/${encodeURIComponent(bad)}`);
      expect(res.status).toBe(400);
      expect(res.json.error.code).toBe("INVALID_COLLECTION_NAME");
    }
  });

  it("refuses documents over the size limit with 413", async () => {
    const c = uniqueName();
    const res = await call("POST", `/api/db/${c}`, { body: { blob: "x".repeat(LIMITS.maxDocumentBytes) } });
    expect(res.status).toBe(413);
    expect(res.json.error).toMatchObject({ code: "DOCUMENT_TOO_LARGE", details: { limit: LIMITS.maxDocumentBytes } });
    expect((await call("GET", `/api/db/${c}/count`)).json.count).toBe(0);
  });

  it("rejects duplicates of _id and of unique indexes with 409, leaving data unchanged", async () => {
    const c = uniqueName();
    await seed(c, [{ _id: 1, email: "a@x" }]);
    const dupId = await call("POST", `/api/db/${c}`, { body: { _id: 1 } });
    expect(dupId.status).toBe(409);
    expect(dupId.json.error).toMatchObject({ code: "DUPLICATE_KEY", details: { index: "_id_" } });
    expect(
      (await call("POST", `/api/management/collections/${c}/indexes`, { body: { keys: { email: 1 }, unique: true } }))
        .status,
    ).toBe(201);
    const dup = await call("POST", `/api/db/${c}`, {
      body: [
        { _id: 2, email: "b@x" },
        { _id: 3, email: "a@x" },
      ],
    });
    expect(dup.status).toBe(409);
    expect(dup.json.error.details.index).toBe("email_1");
    expect((await call("GET", `/api/db/${c}/count`)).json.count).toBe(1);
    const viaUpdate = await call("PATCH", `/api/db/${c}`, {
      body: { filter: { _id: 1 }, update: { $set: { email: "a@x" } } },
    });
    expect(viaUpdate.status).toBe(200);
    await seed(c, [{ _id: 2, email: "b@x" }]);
    const clash = await call("PATCH", `/api/db/${c}/2`, { body: { email: "a@x" } });
    expect(clash.status).toBe(409);
    expect((await call("GET", `/api/db/${c}/2`)).json.email).toBe("b@x");
  });

  it("aggregates and counts", async () => {
    const c = uniqueName();
    await seed(c, [
      { g: "a", v: 1 },
      { g: "a", v: 2 },
      { g: "b", v: 5 },
    ]);
    const agg = await call("POST", `/api/db/${c}/aggregate`, {
      body: [{ $group: { _id: "$g", total: { $sum: "$v" } } }, { $sort: { _id: 1 } }],
    });
    expect(agg.json.documents).toEqual([
      { _id: "a", total: 3 },
      { _id: "b", total: 5 },
    ]);
    expect((await call("GET", `/api/db/${c}/count?g=a`)).json.count).toBe(2);
  });

  it("echoes a request id and answers unknown routes with a JSON 404", async () => {
    const res = await call("GET", "/api/nothing-here", { headers: { "X-Request-Id": "abc-123" } });
    expect(res.status).toBe(404);
    expect(res.headers.get("x-request-id")).toBe("abc-123");
    expect(res.json.error.code).toBe("ROUTE_NOT_FOUND");
  });
});
