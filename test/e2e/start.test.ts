import { execFile } from "node:child_process";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import openapiTS, { astToString } from "openapi-typescript";
import { createConfig, lintFromString } from "@redocly/openapi-core";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { renderTypes, TYPES_FILE } from "../../scripts/dashboard-types.mjs";
import { startStack, type Stack } from "./stack";

let stack: Stack;
let base = "";
let admin = "";

beforeAll(async () => {
  stack = await startStack();
  ({ base, admin } = stack);
});

afterAll(() => stack?.stop());

async function http(
  method: string,
  path: string,
  token: string | null,
  body?: unknown,
  headers: Record<string, string> = {},
) {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: {
      ...(token ? { Authorization: `Bearer ${token}` } : {}),
      ...(body !== undefined ? { "Content-Type": "application/json" } : {}),
      ...headers,
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, json: text ? JSON.parse(text) : undefined };
}

describe("npm start, driven over HTTP", () => {
  it("is healthy and ready on the embedded store", async () => {
    expect((await http("GET", "/health", null)).json).toEqual({ status: "ok" });
    expect((await http("GET", "/ready", null)).json).toMatchObject({ status: "ready", backend: "embedded" });
    expect((await http("GET", "/api/db/anything", null)).status).toBe(401);
  });

  it("serves a tenant's whole lifecycle: key, index, writes, queries, Data API, revocation", async () => {
    const created = await http("POST", "/api/keys", admin, {
      name: "e2e",
      role: "admin",
      tenant: `e2e-${Date.now().toString(36)}`,
    });
    expect(created.status).toBe(201);
    const key = created.json.token;
    expect(
      (await http("POST", "/api/management/collections/orders/indexes", key, { keys: { status: 1 } })).status,
    ).toBe(201);
    const docs = Array.from({ length: 50 }, (_, i) => ({
      _id: i,
      status: i % 5 === 0 ? "open" : "closed",
      total: i * 10,
    }));
    expect((await http("POST", "/api/db/orders", key, docs)).status).toBe(201);
    const open = await http("GET", "/api/db/orders?status=open&sort=-total&limit=3&explain=true", key);
    expect(open.json.documents.map((d: { _id: number }) => d._id)).toEqual([45, 40, 35]);
    expect(open.json.explain.strategy).toBe("index");
    const one = await http("GET", "/api/db/orders/45", key);
    const patched = await http(
      "PATCH",
      "/api/db/orders/45",
      key,
      { status: "paid" },
      { "If-Match": one.headers.get("etag")! },
    );
    expect(patched.json.status).toBe("paid");
    const viaDataApi = await http(
      "POST",
      "/app/any/endpoint/data/v1/action/find",
      null,
      { dataSource: "x", database: "main", collection: "orders", filter: { status: "paid" } },
      { apiKey: key },
    );
    expect(viaDataApi.json.documents).toEqual([{ _id: 45, status: "paid", total: 450 }]);
    expect((await http("GET", "/api/db/orders/45", admin)).status).toBe(404);
    expect((await http("DELETE", `/api/keys/${created.json.id}`, key)).status).toBe(200);
    expect((await http("GET", "/api/db/orders", key)).status).toBe(401);
  });

  it("serves the dashboard from the same origin with its security headers, and deep links as the app", async () => {
    for (const path of ["/", "/collections/orders/documents?filter=%7B%7D"]) {
      const res = await fetch(`${base}${path}`);
      expect(res.status).toBe(200);
      expect(await res.text()).toContain('<div id="root"></div>');
      expect(res.headers.get("content-security-policy")).toContain("frame-ancestors 'none'");
      expect(res.headers.get("content-security-policy")).toContain("script-src 'self'");
      expect(res.headers.get("x-content-type-options")).toBe("nosniff");
      expect(res.headers.get("referrer-policy")).toBe("strict-origin-when-cross-origin");
    }
    expect((await http("GET", "/api/db/anything", null)).json.error.code).toBeDefined();
  });

  it("the dashboard's API types match the live OpenAPI document (npm run dashboard:types when this fails)", async () => {
    const live = await renderTypes(await (await fetch(`${base}/openapi.json`)).json());
    expect(
      readFileSync(TYPES_FILE, "utf8") === live,
      "dashboard/src/api/schema.d.ts is stale: run npm run dashboard:types",
    ).toBe(true);
  });

  it("npm run migrate applies the migrations/ folder and its seeds to a tenant, with a dry run, status and down", async () => {
    const tenant = `mig-${Date.now().toString(36)}`;
    const migrate = async (...args: string[]) => {
      try {
        const { stdout } = await promisify(execFile)("node", [
          "scripts/migrate.mjs",
          ...args,
          "--url",
          base,
          "--token",
          admin,
          "--tenant",
          tenant,
        ]);
        return { code: 0, out: stdout };
      } catch (err) {
        const e = err as { code: number; stdout: string; stderr: string };
        return { code: e.code, out: e.stdout + e.stderr };
      }
    };
    expect((await migrate("status")).out).toMatch(/pending\s+0001_products[\s\S]*pending\s+0002_products_search/);
    expect((await migrate("up", "--dry-run")).out).toContain("would run 0001_products up()");
    expect(
      (await http("GET", "/api/management/collections/products", admin, undefined, { "X-Docflare-Tenant": tenant }))
        .status,
    ).toBe(404);
    const up = await migrate("up");
    expect(up.code, up.out).toBe(0);
    expect(up.out).toMatch(/ran 0001_products up\(\)[\s\S]*ran 0002_products_search up\(\)/);
    expect((await migrate("seed")).out).toContain("ran 0001_sample_products up()");
    expect((await migrate("seed")).out).toContain("nothing to apply");
    const search = await http(
      "GET",
      `/api/db/products?filter=${encodeURIComponent('{"$text":{"$search":"coffee"}}')}&sort=sku`,
      admin,
      undefined,
      { "X-Docflare-Tenant": tenant },
    );
    expect(search.json.documents.map((d: { sku: string }) => d.sku)).toEqual(["BEAN-03", "FILT-05", "GRND-04"]);
    expect((await migrate("status")).out).toMatch(/applied\s+0001_products[\s\S]*applied\s+0002_products_search/);
    expect((await migrate("down")).out).toContain("ran 0002_products_search down()");
    const bad = await migrate("down", "x");
    expect(bad.code).toBe(2);
  });

  it("/openapi.json passes an OpenAPI linter, and clients generated from it and from /api/sdk/typescript type-check and run without casts", async () => {
    const tenant = `sdk-${Date.now().toString(36)}`;
    const as = { "X-Docflare-Tenant": tenant };
    await http(
      "POST",
      "/api/management/collections",
      admin,
      {
        name: "products",
        validator: {
          type: "object",
          required: ["sku", "name", "price"],
          properties: { sku: { type: "string" }, name: { type: "string" }, price: { type: "number" } },
        },
      },
      as,
    );
    const config = await createConfig({ extends: ["recommended"] });
    for (const headers of [{}, { Authorization: `Bearer ${admin}`, ...as }]) {
      const source = await (await fetch(`${base}/openapi.json`, { headers })).text();
      const problems = await lintFromString({ source, absoluteRef: "openapi.json", config });
      expect(
        problems
          .filter((p) => p.severity === "error")
          .map((p) => `${p.ruleId}: ${p.message} ${p.location[0]?.pointer}`),
      ).toEqual([]);
    }
    const dir = join(process.cwd(), ".tmp", `clients-${tenant}`);
    mkdirSync(dir, { recursive: true });
    try {
      const spec = await (
        await fetch(`${base}/openapi.json`, { headers: { Authorization: `Bearer ${admin}`, ...as } })
      ).json();
      writeFileSync(join(dir, "api.d.ts"), astToString(await openapiTS(spec)));
      writeFileSync(
        join(dir, "sdk.ts"),
        await (
          await fetch(`${base}/api/sdk/typescript`, { headers: { Authorization: `Bearer ${admin}`, ...as } })
        ).text(),
      );
      writeFileSync(
        join(dir, "openapi-client.ts"),
        `import createClient from "openapi-fetch";
import type { paths } from "./api";
const client = createClient<paths>({ baseUrl: process.env.BASE, headers: { Authorization: "Bearer " + process.env.TOKEN, "X-Docflare-Tenant": process.env.TENANT } });
const created = await client.POST("/api/db/products", { body: { sku: "OA-1", name: "typed", price: 2 } });
if (created.error) throw new Error(created.error.error.code);
const listed = await client.GET("/api/db/products", { params: { query: { limit: 10, filter: JSON.stringify({ sku: "OA-1" }) } } });
const names: string[] = (listed.data?.documents ?? []).map((d) => d.name);
const missing = await client.GET("/api/db/{collection}/{id}", { params: { path: { collection: "products", id: "none" } } });
const code: string | undefined = missing.error?.error.code;
const counted = await client.GET("/api/db/{collection}/count", { params: { path: { collection: "products" } } });
const n: number | undefined = counted.data?.count;
console.log(JSON.stringify({ names, code, n }));
`,
      );
      writeFileSync(
        join(dir, "sdk-client.ts"),
        `import { Docflare, DocflareError } from "./sdk.ts";
const db = new Docflare({ baseUrl: process.env.BASE!, token: process.env.TOKEN!, tenant: process.env.TENANT });
const products = db.collection("products");
await products.insert({ sku: "SDK-1", name: "from the SDK", price: 3 });
const page = await products.list({ filter: { sku: "SDK-1" }, limit: 5 });
const price: number = page.documents[0].price;
// @ts-expect-error a collection the tenant does not have
db.collection("nope");
// @ts-expect-error price is a number
await products.insert({ sku: "SDK-2", name: "wrong", price: "3" }).catch(() => undefined);
let code = "";
try { await products.get("missing"); } catch (err) { if (err instanceof DocflareError) code = err.code; }
console.log(JSON.stringify({ price, total: await products.count(), code }));
`,
      );
      writeFileSync(
        join(dir, "tsconfig.json"),
        JSON.stringify({
          compilerOptions: {
            strict: true,
            noEmit: true,
            target: "es2022",
            module: "esnext",
            moduleResolution: "bundler",
            allowImportingTsExtensions: true,
            types: ["node"],
            skipLibCheck: true,
          },
          include: ["*.ts"],
        }),
      );
      const run = promisify(execFile);
      const tsc = await run("node", [join(process.cwd(), "node_modules/typescript/bin/tsc"), "-p", dir]).catch(
        (e) => e,
      );
      expect(`${tsc.stdout ?? ""}${tsc.stderr ?? ""}`).toBe("");
      const env = { ...process.env, BASE: base, TOKEN: admin, TENANT: tenant };
      const viaOpenapi = JSON.parse((await run("node", [join(dir, "openapi-client.ts")], { env })).stdout);
      expect(viaOpenapi).toEqual({ names: ["typed"], code: "DOCUMENT_NOT_FOUND", n: 1 });
      const viaSdk = JSON.parse((await run("node", [join(dir, "sdk-client.ts")], { env })).stdout);
      expect(viaSdk).toEqual({ price: 3, total: 2, code: "DOCUMENT_NOT_FOUND" });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
