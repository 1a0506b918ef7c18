import { describe, expect, it } from "vitest";
import { call, uniqueName } from "../helpers/api";

const J = { "Content-Type": "application/json" };
const deepText = (n: number) => `${'{"a":'.repeat(n)}1${"}".repeat(n)}`;

/** Hostile requests across every route family; each must end in a 4xx with a stable code, never a 5xx. */
function table(
  c: string,
): Array<
  [string, string, { rawBody?: string | Uint8Array; body?: unknown; headers?: Record<string, string>; token?: null }]
> {
  const q = (f: string) => encodeURIComponent(f);
  return [
    ["POST", `/api/db/${c}`, { rawBody: "{not json", headers: J }],
    ["POST", `/api/db/${c}`, { rawBody: deepText(100_000), headers: J }],
    ["POST", `/api/db/${c}`, { body: { a: { $oid: "nothex" } } }],
    ["POST", `/api/db/${c}`, { body: { a: { $date: "yesterday-ish" } } }],
    ["POST", `/api/db/${c}`, { body: { a: { $numberLong: "12abc" } } }],
    ["POST", `/api/db/${c}`, { body: { a: { $numberLong: "99999999999999999999999" } } }],
    ["POST", `/api/db/${c}`, { body: { a: { $numberDecimal: "not-a-number" } } }],
    ["POST", `/api/db/${c}`, { body: { a: { $binary: { base64: "!!", subType: "zz" } } } }],
    ["POST", `/api/db/${c}`, { rawBody: '{"__proto__":{"admin":true}}', headers: J }],
    ["POST", `/api/db/${c}`, { body: { a: { $code: "while(1){}" } } }],
    ["POST", `/api/db/${c}`, { body: { "bad\u0000name": 1 } }],
    ["POST", `/api/db/${c}`, { rawBody: new Uint8Array([0x7b, 0x22, 0xc3, 0x28, 0x22, 0x3a, 0x31, 0x7d]), headers: J }],
    ["POST", `/api/db/${c}`, { rawBody: "a=1", headers: { "Content-Type": "application/x-www-form-urlencoded" } }],
    ["POST", `/api/db/${c}`, { body: [] }],
    ["POST", `/api/db/${c}`, { body: Array.from({ length: 10_001 }, () => ({})) }],
    ["GET", `/api/db/${c}?filter=${q("{bad")}`, {}],
    ["GET", `/api/db/${c}?filter=${q('{"$where":"1"}')}`, {}],
    ["GET", `/api/db/${c}?filter=${q('{"a":{"$regex":"(a)\\\\1"}}')}`, {}],
    ["GET", `/api/db/${c}?filter=${q('{"a":{"$regex":"["}}')}`, {}],
    ["GET", `/api/db/${c}?filter=${q('{"a":{"$nosuch":1}}')}`, {}],
    ["GET", `/api/db/${c}?limit=-5`, {}],
    ["GET", `/api/db/${c}?limit=abc&skip=1e400`, {}],
    ["GET", `/api/db/${c}?cursor=garbage`, {}],
    ["GET", `/api/db/${c}?sort=${q('{"a":7}')}`, {}],
    ["GET", `/api/db/${c}?maxTimeMS=0`, {}],
    ["GET", `/api/db/${c}/%00`, {}],
    ["GET", `/api/db/${"x".repeat(5000)}`, {}],
    ["GET", `/api/db/$bad`, {}],
    ["PATCH", `/api/db/${c}/x`, { body: { $rename: { a: "_id" } } }],
    ["PATCH", `/api/db/${c}/x`, { body: { $set: { a: 1 }, plain: 2 } }],
    ["PATCH", `/api/db/${c}`, { body: { filter: {}, update: { $set: { a: 1 } } } }],
    ["PUT", `/api/db/${c}/x`, { body: { $set: 1 } }],
    ["POST", `/api/db/${c}/aggregate`, { body: [{ $out: "elsewhere" }] }],
    ["POST", `/api/db/${c}/aggregate`, { body: [{ $merge: { into: "x" } }] }],
    [
      "POST",
      `/api/db/${c}/aggregate`,
      { body: [{ $group: { _id: null, f: { $function: { body: "1", args: [], lang: "js" } } } }] },
    ],
    ["POST", `/api/db/${c}/aggregate`, { body: [{ $match: {}, $limit: 1 }] }],
    ["POST", `/api/db/${c}/aggregate`, { body: { pipeline: "nope" } }],
    ["POST", `/api/db/${c}/aggregate`, { body: [{ $project: { x: { $divide: [1, 0] } } }] }],
    ["POST", `/api/db/${c}/query`, { body: { filter: [1, 2] } }],
    ["POST", "/action/toString", { body: { database: "main", collection: c } }],
    ["POST", "/action/find", { body: { database: 5, collection: c } }],
    ["POST", "/action/find", { body: { database: "main", collection: c, limit: "ten" } }],
    ["POST", "/action/updateOne", { body: { database: "main", collection: c, filter: {}, update: "x" } }],
    ["POST", "/action/insertMany", { body: { database: "main", collection: c, documents: {} } }],
    ["POST", "/action/find", { body: { database: "../etc", collection: c } }],
    ["POST", `/api/management/collections/${c}/indexes`, { body: { keys: { "a\u0000b": 1 } } }],
    ["POST", `/api/management/collections/${c}/indexes`, { body: { keys: { a: 2 } } }],
    ["POST", "/api/management/collections", { body: { name: "system.users" } }],
    ["POST", "/api/webhooks", { body: { url: "https://[::ffff:127.0.0.1]/" } }],
    ["POST", "/api/webhooks", { body: { url: "http://127.0.0.1:9/", filter: { a: "x".repeat(200_000) } } }],
    ["POST", "/api/webhooks", { rawBody: `{"url":"${"x".repeat(2 * 1024 * 1024)}"}`, headers: J }],
    ["POST", "/api/webhooks", { body: { url: "http://127.0.0.1:9/", rateLimitPerMinute: 100_000 } }],
    ["POST", "/api/keys", { body: { name: "k", role: "root" } }],
    ["POST", "/api/locks/a", { body: { ttlMs: -1 } }],
    ["POST", "/api/auth/login", { body: {} }],
    ["POST", "/api/auth/login", { rawBody: "{", headers: J }],
    ["POST", "/api/auth/login", { body: { email: "a@b.co", password: "x".repeat(10_000) } }],
    ["POST", "/api/auth/refresh", { rawBody: "[1]", headers: J }],
    ["POST", "/api/auth/refresh", { body: { refreshToken: "dfr_x_" + "A".repeat(43) } }],
    ["GET", "/api/auth/me", { token: null, headers: { Authorization: "Bearer a.b.c" } }],
    ["GET", `/api/db/${c}`, { token: null, headers: { Authorization: "Bearer eyJhbGciOiJub25lIn0.e30." } }],
    ["POST", "/api/users", { body: { email: "not-an-email", password: "short", role: "root" } }],
    [
      "POST",
      "/api/scripts",
      { body: { name: "s", code: "export default (", trigger: { type: "event", collection: c } } },
    ],
    [
      "POST",
      "/api/scripts",
      { body: { name: "s", code: "export default async () => 1", trigger: { type: "cron", schedule: "99 99 * * *" } } },
    ],
  ];
}

describe("hostile input", () => {
  it("every hostile request ends in a 4xx with a stable code, and the runtime stays healthy", async () => {
    const c = uniqueName("hostile");
    await call("POST", `/api/db/${c}`, { body: { _id: "x", a: 1 } });
    const fives: string[] = [];
    for (const [method, path, options] of table(c)) {
      const res = await call(method, path, options);
      if (res.status >= 500) fives.push(`${method} ${path.slice(0, 80)} -> ${res.status} ${res.text.slice(0, 200)}`);
      else if (res.status >= 400)
        expect(res.json?.error?.code ?? res.json?.error_code, `${method} ${path.slice(0, 60)}`).toBeTruthy();
    }
    expect(fives).toEqual([]);
    expect((await call("GET", "/health", { token: null })).status).toBe(200);
    expect((await call("GET", `/api/db/${c}/x`)).json).toEqual({ _id: "x", a: 1 });
  });
});
