// Throughput and p99 of Docflare against two baselines measured in the same run, on one workerd process:
// a bare Hono Worker returning a constant, and a minimal Worker + SQLite Durable Object (one PK read / one insert).
// Each scenario runs in several interleaved rounds (baseline, candidate, baseline, ...) and the rounds are averaged,
// because these shared machines drift by tens of percent within a minute.
// Usage: npm run bench [-- --rounds 5 --duration 4 --connections 16 --docs 100000]
import { spawn, execFileSync } from "node:child_process";
import { copyFileSync, mkdirSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import autocannon from "autocannon";
import { workerdConfig } from "./workerd-config.mjs";
import { cpuMicros, freePort } from "../scripts/stack.mjs";

const { values: args } = parseArgs({
  options: {
    rounds: { type: "string", default: "5" },
    duration: { type: "string", default: "4" },
    connections: { type: "string", default: "16" },
    docs: { type: "string", default: "100000" },
  },
});
const DURATION = Number(args.duration);
const ROUNDS = Number(args.rounds);
const CONNECTIONS = Number(args.connections);
const DOCS = Number(args.docs);
const ADMIN = "bench-admin-token";
const root = resolve(".");
const dir = join(root, "bench", ".build");

function build() {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(join(dir, "storage"), { recursive: true });
  execFileSync("npx", ["wrangler", "deploy", "--dry-run", "--outdir", join(dir, "docflare")], { stdio: "ignore" });
  for (const [name, entry] of [
    ["constant", "bench/baselines/constant.ts"],
    ["minimal", "bench/baselines/minimal-do.ts"],
  ]) {
    execFileSync(
      "npx",
      [
        "esbuild",
        entry,
        "--bundle",
        "--format=esm",
        "--platform=neutral",
        "--main-fields=module,main",
        "--external:cloudflare:*",
        `--outfile=${join(dir, name, "index.js")}`,
      ],
      { stdio: "ignore" },
    );
  }
}

async function waitUp(url) {
  for (let i = 0; i < 200; i++) {
    try {
      await fetch(url);
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  throw new Error(`${url} did not start`);
}

/** CPU time of the workerd process, from /proc (the same reading the other benches take of their stacks). */
const cpuOf = (pid) => cpuMicros([pid]);

/**
 * Waits until workerd is idle: writes leave change events in DatabaseDO's outbox, and their background flush would
 * otherwise be billed to whichever scenario runs next.
 */
async function waitQuiet(pid, maxMs = 20_000) {
  const started = Date.now();
  while (Date.now() - started < maxMs) {
    const before = cpuOf(pid);
    await new Promise((r) => setTimeout(r, 300));
    if (cpuOf(pid) - before < 300_000 * 0.05) return;
  }
}

/** Updates random documents of the listed collection at a steady 50 a second until stopped. */
function backgroundWriter(url) {
  let stopped = false;
  const loop = (async () => {
    while (!stopped) {
      const started = Date.now();
      await fetch(`${url}/api/db/items/${rand(DOCS)}`, {
        method: "PATCH",
        headers: json,
        body: JSON.stringify({ name: `renamed ${Date.now()}` }),
      }).catch(() => undefined);
      await new Promise((r) => setTimeout(r, Math.max(0, 20 - (Date.now() - started))));
    }
  })();
  return { stop: () => ((stopped = true), loop) };
}

function run(title, url, { method = "GET", body, paths, headers = json } = {}) {
  return new Promise((resolvePromise, reject) => {
    const requests = [{ method, body, headers, setupRequest: (req) => (paths ? { ...req, path: paths() } : req) }];
    autocannon({ url, connections: CONNECTIONS, duration: DURATION, requests }, (err, result) => {
      if (err) return reject(err);
      const bad = result.non2xx + result.errors + result.timeouts;
      resolvePromise({
        title,
        rps: result.requests.average,
        p99: result.latency.p99,
        total: result.requests.total,
        bad,
      });
    });
  });
}

const json = { Authorization: `Bearer ${ADMIN}`, "Content-Type": "application/json" };

const rand = (n) => Math.floor(Math.random() * n);
const inList = () =>
  encodeURIComponent(JSON.stringify({ price: { $in: Array.from({ length: 10 }, () => rand(997)) } }));
/** The indexed list shapes, each a page of 20. */
const LIST_SHAPES = {
  "equality (compound prefix)": () => `/api/db/items?category=c${rand(1000)}&limit=20`,
  range: () => `/api/db/items?price[$gt]=${rand(900)}&limit=20`,
  "range + sort on the field": () => `/api/db/items?price[$gt]=${rand(900)}&sort=price&limit=20`,
  "$in of 10": () => `/api/db/items?filter=${inList()}&limit=20`,
};

async function seedDocflare(url) {
  const batch = 2000;
  for (let start = 0; start < DOCS; start += batch) {
    const docs = Array.from({ length: Math.min(batch, DOCS - start) }, (_, k) => {
      const i = start + k;
      return { _id: i, sku: `s${i}`, category: `c${i % 1000}`, price: i % 997, name: `item ${i}` };
    });
    const res = await fetch(`${url}/api/db/items`, { method: "POST", headers: json, body: JSON.stringify(docs) });
    if (res.status !== 201) throw new Error(`seed failed: ${res.status} ${await res.text()}`);
  }
  // A compound index whose prefix answers the category lists, and one on price for ranges, $in and sorts.
  for (const keys of [{ category: 1, price: -1 }, { price: 1 }]) {
    const idx = await fetch(`${url}/api/management/collections/items/indexes`, {
      method: "POST",
      headers: json,
      body: JSON.stringify({ keys }),
    });
    if (idx.status !== 201) throw new Error(`index failed: ${await idx.text()}`);
  }
  for (const path of Object.values(LIST_SHAPES).map((f) => f())) {
    const check = await (await fetch(`${url}${path}&explain=true`, { headers: json })).json();
    if (check.explain.strategy !== "index" || check.documents.length !== 20 || check.explain.docsExamined > 21)
      throw new Error(`${path} does not read only its page: ${JSON.stringify(check.explain)}`);
  }
}

/**
 * Two tenants reached with API keys (the admin token skips quotas altogether): one without quotas, one with a quota
 * per key far above what the bench sends, so every request is counted and none refused. Returns each key's headers.
 */
const QUOTA_DOCS = 10_000;
async function seedQuotaTenants(url) {
  const headers = {};
  for (const tenant of ["bench-plain", "bench-quota"]) {
    const key = await (
      await fetch(`${url}/api/keys`, {
        method: "POST",
        headers: json,
        body: JSON.stringify({ name: "bench", role: "write", tenant }),
      })
    ).json();
    headers[tenant] = { Authorization: `Bearer ${key.token}`, "Content-Type": "application/json" };
    for (let start = 0; start < QUOTA_DOCS; start += 2000) {
      const docs = Array.from({ length: 2000 }, (_, k) => ({ _id: start + k, name: `item ${start + k}` }));
      const res = await fetch(`${url}/api/db/items`, {
        method: "POST",
        headers: headers[tenant],
        body: JSON.stringify(docs),
      });
      if (res.status !== 201) throw new Error(`seed failed: ${res.status} ${await res.text()}`);
    }
  }
  const rule = { requests: 1_000_000, writes: 1_000_000, windowSeconds: 60 };
  const set = await fetch(`${url}/api/quotas`, {
    method: "PUT",
    headers: { ...json, "X-Docflare-Tenant": "bench-quota" },
    body: JSON.stringify({ perKey: rule }),
  });
  if (set.status !== 200) throw new Error(`quota failed: ${await set.text()}`);
  const probe = await fetch(`${url}/api/db/items/1`, { headers: headers["bench-quota"] });
  if (!probe.headers.get("ratelimit-policy"))
    throw new Error("the quota tenant's answers carry no RateLimit-Policy: the quota is not counted");
  return headers;
}

async function main() {
  build();
  const ports = {
    constant: await freePort(),
    minimal: await freePort(),
    docflare: await freePort(),
    uncached: await freePort(),
  };
  const wasmModules = readdirSync(join(dir, "docflare")).filter((f) => f.endsWith(".wasm"));
  const queueSink = "queue-sink.js";
  copyFileSync(join(root, "bench", queueSink), join(dir, queueSink));
  writeFileSync(
    join(dir, "config.capnp"),
    workerdConfig({ dir, ports, adminToken: ADMIN, compatibilityDate: "2026-11-01", wasmModules, queueSink }),
  );
  const workerd = spawn(
    join(root, "node_modules/@cloudflare/workerd-linux-64/bin/workerd"),
    ["serve", join(dir, "config.capnp"), "--experimental"],
    { stdio: ["ignore", "inherit", "inherit"] },
  );
  const base = (p) => `http://127.0.0.1:${ports[p]}`;
  try {
    await Promise.all(Object.keys(ports).map((p) => waitUp(base(p))));
    console.log(`seeding ${DOCS} documents into each Docflare...`);
    await Promise.all(["docflare", "uncached"].map((name) => seedDocflare(base(name))));
    await fetch(`${base("minimal")}/seed?n=${DOCS}`);
    const keyed = await seedQuotaTenants(base("docflare"));
    await waitQuiet(workerd.pid, 120_000);

    const scenarios = [
      ["baseline: constant Hono worker", base("constant")],
      ["baseline: worker + DO point read", base("minimal"), { paths: () => `/k${rand(DOCS)}` }],
      ["baseline: worker + DO raw range page of 20", base("minimal"), { paths: () => `/page?gt=${rand(900)}` }],
      ["docflare: GET /api/db/items/{id}", base("docflare"), { paths: () => `/api/db/items/${rand(DOCS)}` }],
      [
        "docflare: indexed list of 20 of 100k",
        base("docflare"),
        { paths: () => `/api/db/items?category=c${rand(1000)}&limit=20` },
      ],
      ["read cache off: GET /api/db/items/{id}", base("uncached"), { paths: () => `/api/db/items/${rand(DOCS)}` }],
      [
        "read cache off: indexed list of 20",
        base("uncached"),
        { paths: () => `/api/db/items?category=c${rand(1000)}&limit=20` },
      ],
      ...Object.entries(LIST_SHAPES).map(([name, paths]) => [
        `uncached + writes: ${name}`,
        base("uncached"),
        { paths, writes: base("uncached") },
      ]),
      ["baseline: worker + DO insert", base("minimal"), { method: "POST", body: JSON.stringify({ name: "x", n: 1 }) }],
      [
        "docflare: POST /api/db/bench_inserts",
        base("docflare"),
        { method: "POST", body: JSON.stringify({ name: "x", n: 1 }), paths: () => "/api/db/bench_inserts" },
      ],
      [
        "key, no quota: GET by id",
        base("docflare"),
        { headers: keyed["bench-plain"], paths: () => `/api/db/items/${rand(QUOTA_DOCS)}` },
      ],
      [
        "key, quota set: GET by id",
        base("docflare"),
        { headers: keyed["bench-quota"], paths: () => `/api/db/items/${rand(QUOTA_DOCS)}` },
      ],
      [
        "key, no quota: insert",
        base("docflare"),
        {
          method: "POST",
          headers: keyed["bench-plain"],
          body: JSON.stringify({ name: "x" }),
          paths: () => "/api/db/bench_inserts",
        },
      ],
      [
        "key, quota set: insert",
        base("docflare"),
        {
          method: "POST",
          headers: keyed["bench-quota"],
          body: JSON.stringify({ name: "x" }),
          paths: () => "/api/db/bench_inserts",
        },
      ],
    ];
    for (const [, url, options] of scenarios) await run("warmup", url, { ...options }).catch(() => undefined);
    const runs = scenarios.map(() => []);
    for (let round = 0; round < ROUNDS; round++) {
      for (const [i, [title, url, options]] of scenarios.entries()) {
        await waitQuiet(workerd.pid);
        // CPU time of the server process (user + system, from /proc) over the run, per request: comparable with any
        // other server measured the same way on the same machine.
        const cpuBefore = cpuOf(workerd.pid);
        const writer = options?.writes ? backgroundWriter(options.writes) : null;
        const result = await run(title, url, options);
        await writer?.stop();
        runs[i].push({ ...result, cpuMicros: cpuOf(workerd.pid) - cpuBefore });
      }
    }
    const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;
    const results = runs.map((rs) => ({
      title: rs[0].title,
      rps: mean(rs.map((r) => r.rps)),
      p99: Math.max(...rs.map((r) => r.p99)),
      total: rs.reduce((a, r) => a + r.total, 0),
      bad: rs.reduce((a, r) => a + r.bad, 0),
      cpuMsPerRequest:
        rs.reduce((a, r) => a + r.cpuMicros, 0) /
        1000 /
        Math.max(
          1,
          rs.reduce((a, r) => a + r.total, 0),
        ),
      rounds: rs.map((r) => Math.round(r.rps)),
    }));
    const [constant, readBase, pageBase, getById, list, getUncached, listUncached, ...rest] = results;
    const shapes = rest.splice(0, Object.keys(LIST_SHAPES).length);
    const [insertBase, insert, keyGet, quotaGet, keyInsert, quotaInsert] = rest;
    const row = (r, baseline, goal) =>
      `${r.title.padEnd(40)} ${r.rps.toFixed(0).padStart(7)} req/s  p99 ${String(r.p99).padStart(4)} ms` +
      (baseline
        ? `  ratio ${(r.rps / baseline.rps).toFixed(2)} of "${baseline.title}"${goal ? ` (goal >= ${goal})` : ""}`
        : "") +
      `  ${r.cpuMsPerRequest.toFixed(2)} CPU ms/req` +
      (r.bad ? `  [${r.bad} non-2xx/errors]` : "");
    console.log(
      `\n${DOCS} documents, ${CONNECTIONS} connections, ${ROUNDS} interleaved rounds of ${DURATION}s per scenario, one workerd process`,
    );
    console.log(row(constant));
    console.log(row(readBase, constant));
    console.log(row(pageBase, readBase));
    console.log(row(getById, readBase, 0.7));
    console.log(row(list, readBase, 0.7));
    console.log(row(getUncached, readBase));
    console.log(row(listUncached, readBase));
    console.log(
      "\nIndexed list shapes, read cache off, while a writer updates 50 documents a second in the same collection:",
    );
    for (const r of shapes) console.log(row(r, readBase, 0.7));
    console.log("The same shapes against the raw page of 20 (the same SQL in a minimal Worker + Durable Object):");
    for (const r of shapes) console.log(row(r, pageBase));
    console.log(row(insertBase, constant));
    console.log(row(insert, insertBase, 0.8));
    console.log(
      "\nThe cost of a quota (every request counted in the key's QuotaDO), against the same key path without one:",
    );
    console.log(row(keyGet, readBase));
    console.log(row(quotaGet, keyGet));
    console.log(row(keyInsert, insertBase));
    console.log(row(quotaInsert, keyInsert));
    mkdirSync(join(root, "bench", "results"), { recursive: true });
    writeFileSync(
      join(root, "bench", "results", "latest.json"),
      JSON.stringify({ date: new Date().toISOString(), DOCS, CONNECTIONS, DURATION, ROUNDS, results }, null, 2),
    );
  } finally {
    workerd.kill("SIGTERM");
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
