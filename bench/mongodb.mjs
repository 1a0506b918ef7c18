// The mongodb backend's overhead over a direct driver call, measured in the same run against the same
// MongoDB-wire-compatible test server (test/setup/wire-server.ts) on 127.0.0.1: Docflare's GET /api/db/items/{id}
// (API Worker -> MONGODB service binding -> gateway Worker -> MongoClientDO -> driver) against a baseline Worker whose
// Durable Object keeps a driver client and calls findOne. Both run on `wrangler dev`; rounds are interleaved and CPU
// time per request is read from /proc for each stack's process tree (the test server, in this process, is shared).
// Usage: npm run bench:mongodb [-- --rounds 4 --duration 4 --connections 8]
import { execFileSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import autocannon from "autocannon";
import { MongoClient } from "mongodb";
import { cpuMicros, processTree, startWranglerDev } from "../scripts/stack.mjs";

const { values: args } = parseArgs({
  options: {
    rounds: { type: "string", default: "4" },
    duration: { type: "string", default: "4" },
    connections: { type: "string", default: "8" },
  },
});
const root = resolve(".");
const dir = join(root, "bench", ".build", "mongodb");
const DOCS = 1000;
const ADMIN = "bench-admin-token";

async function wireServer() {
  mkdirSync(dir, { recursive: true });
  execFileSync(
    "npx",
    [
      "esbuild",
      "test/setup/wire-server.ts",
      "--bundle",
      "--platform=node",
      "--format=esm",
      "--packages=external",
      `--outfile=${join(dir, "wire-server.mjs")}`,
    ],
    { stdio: "ignore" },
  );
  const { startWireServer } = await import(join(dir, "wire-server.mjs"));
  return startWireServer();
}

function load(url, path, headers, pids) {
  const before = cpuMicros(pids());
  return new Promise((ok, ko) =>
    autocannon(
      {
        url,
        connections: Number(args.connections),
        duration: Number(args.duration),
        requests: [{ method: "GET", headers, setupRequest: (r) => ({ ...r, path: path() }) }],
      },
      (err, r) =>
        err
          ? ko(err)
          : ok({
              rps: r.requests.average,
              p50: r.latency.p50,
              total: r.requests.total,
              bad: r.non2xx + r.errors,
              cpu: cpuMicros(pids()) - before,
            }),
    ),
  );
}

async function main() {
  const wire = await wireServer();
  const seed = new MongoClient(wire.url);
  await seed
    .db("docflare_bench_main")
    .collection("items")
    .insertMany(Array.from({ length: DOCS }, (_, i) => ({ _id: i, sku: `s${i}`, price: i % 97, name: `item ${i}` })));
  await seed.close();
  const directConfig = join(dir, "direct.jsonc");
  writeFileSync(
    directConfig,
    JSON.stringify({
      name: "bench-mongodb-direct",
      main: join(root, "bench/baselines/mongodb-direct.ts"),
      compatibility_date: "2026-11-01",
      compatibility_flags: ["nodejs_compat"],
      durable_objects: { bindings: [{ name: "DIRECT", class_name: "DirectDO" }] },
      migrations: [{ tag: "v1", new_sqlite_classes: ["DirectDO"] }],
    }),
  );
  const direct = await startWranglerDev({ configs: [directConfig], vars: { MONGODB_URI: wire.url }, readyPath: "/k1" });
  const auth = { Authorization: `Bearer ${ADMIN}` };
  const docflare = await startWranglerDev({
    configs: ["wrangler.jsonc", "wrangler.mongodb.jsonc"],
    readyPath: "/api/db/items/1",
    readyHeaders: auth,
    vars: {
      ADMIN_TOKEN: ADMIN,
      LOG_LEVEL: "error",
      STORE_BACKEND: "mongodb",
      MONGODB_URI: wire.url,
      MONGODB_DATABASE_TEMPLATE: "docflare_bench_main",
      READ_CACHE_BYTES: "0",
    },
  });
  try {
    const rand = () => Math.floor(Math.random() * DOCS);
    const scenarios = [
      {
        title: "baseline: Worker + DO + driver findOne",
        url: direct.url,
        path: () => `/k${rand()}`,
        headers: {},
        pids: () => processTree(direct.child.pid),
      },
      {
        title: "docflare mongodb backend: GET by id",
        url: docflare.url,
        path: () => `/api/db/items/${rand()}`,
        headers: auth,
        pids: () => processTree(docflare.child.pid),
      },
    ];
    for (const s of scenarios) await load(s.url, s.path, s.headers, s.pids);
    const runs = scenarios.map(() => []);
    for (let round = 0; round < Number(args.rounds); round++)
      for (const [i, s] of scenarios.entries()) runs[i].push(await load(s.url, s.path, s.headers, s.pids));
    const sum = (rs, k) => rs.reduce((a, r) => a + r[k], 0);
    const results = runs.map((rs, i) => ({
      title: scenarios[i].title,
      rps: sum(rs, "rps") / rs.length,
      p50: Math.max(...rs.map((r) => r.p50)),
      bad: sum(rs, "bad"),
      cpuMsPerRequest: sum(rs, "cpu") / 1000 / sum(rs, "total"),
    }));
    const [base, ours] = results;
    console.log(
      `\n${DOCS} documents on the test wire server, ${args.connections} connections, ${args.rounds} interleaved rounds of ${args.duration}s`,
    );
    for (const r of results)
      console.log(
        `${r.title.padEnd(42)} ${r.rps.toFixed(0).padStart(6)} req/s  p50 ${String(r.p50).padStart(3)} ms  ${r.cpuMsPerRequest.toFixed(2)} CPU ms/req${r.bad ? `  [${r.bad} errors]` : ""}`,
      );
    console.log(
      `throughput ratio ${(ours.rps / base.rps).toFixed(2)} of the direct driver call; CPU ${(ours.cpuMsPerRequest - base.cpuMsPerRequest).toFixed(2)} ms/req more`,
    );
    mkdirSync(join(root, "bench", "results"), { recursive: true });
    writeFileSync(
      join(root, "bench", "results", "mongodb.json"),
      JSON.stringify({ date: new Date().toISOString(), results }, null, 2),
    );
  } finally {
    direct.stop();
    docflare.stop();
    await wire.close();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
