// Import and export rows per second, against a bulk insert of the same documents in the same run (the baseline):
// POST /api/db/{c} with JSON arrays of 1,000 (the fastest way in today), then the import of the same rows as CSV (with
// types) and as NDJSON, then exports of them as NDJSON and CSV. Rounds are interleaved on one `npm start` stack.
// Usage: npm run bench:data-io [-- --rows 20000 --rounds 3]
import { parseArgs } from "node:util";
import { startStack } from "../scripts/stack.mjs";

const { values: args } = parseArgs({ options: { rows: { type: "string", default: "20000" }, rounds: { type: "string", default: "3" } } });
const ROWS = Number(args.rows);
const ROUNDS = Number(args.rounds);

const docs = Array.from({ length: ROWS }, (_, i) => ({
  sku: `sku-${i}`, qty: i % 500, price: (i % 997) / 10, at: `2026-01-${String((i % 28) + 1).padStart(2, "0")}T00:00:00Z`, city: `c${i % 50}`,
}));
const csv = `sku,qty,price,at,city\n${docs.map((d) => `${d.sku},${d.qty},${d.price},${d.at},${d.city}`).join("\n")}\n`;
const ndjson = docs.map((d) => JSON.stringify({ ...d, at: { $date: d.at } })).join("\n");
const types = encodeURIComponent(JSON.stringify({ qty: "integer", price: "number", at: "date" }));

const stack = await startStack();
const auth = { Authorization: `Bearer ${stack.admin}` };
async function timed(fn) {
  const t = performance.now();
  await fn();
  return performance.now() - t;
}
async function ok(res) {
  if (!res.ok) throw new Error(`${res.status} ${await res.text()}`);
  return res;
}

const scenarios = {
  "bulk insert, JSON arrays of 1,000 (baseline)": async (c) => {
    for (let i = 0; i < ROWS; i += 1000) {
      const body = JSON.stringify(docs.slice(i, i + 1000).map((d) => ({ ...d, at: { $date: d.at } })));
      await ok(await fetch(`${stack.base}/api/db/${c}`, { method: "POST", headers: { ...auth, "content-type": "application/json" }, body }));
    }
  },
  "import CSV with types": async (c) => {
    const res = await ok(await fetch(`${stack.base}/api/db/${c}/import?types=${types}`, { method: "POST", headers: { ...auth, "content-type": "text/csv" }, body: csv }));
    const { rows } = await res.json();
    if (rows.inserted !== ROWS) throw new Error(`imported ${rows.inserted} of ${ROWS}`);
  },
  "import NDJSON": async (c) => {
    const res = await ok(await fetch(`${stack.base}/api/db/${c}/import`, { method: "POST", headers: { ...auth, "content-type": "application/x-ndjson" }, body: ndjson }));
    if ((await res.json()).rows.inserted !== ROWS) throw new Error("short import");
  },
  "export NDJSON": async (c) => {
    const text = await (await ok(await fetch(`${stack.base}/api/db/${c}/export?format=ndjson`, { headers: auth }))).text();
    if (text.split("\n").filter(Boolean).length !== ROWS) throw new Error("short export");
  },
  "export CSV": async (c) => {
    const text = await (await ok(await fetch(`${stack.base}/api/db/${c}/export?format=csv`, { headers: auth }))).text();
    if (text.split("\r\n").filter(Boolean).length !== ROWS + 1) throw new Error("short export");
  },
};

try {
  const times = Object.fromEntries(Object.keys(scenarios).map((k) => [k, []]));
  for (let round = 0; round < ROUNDS; round++) {
    const c = `io_${round}_${Date.now().toString(36)}`;
    for (const [name, fn] of Object.entries(scenarios)) {
      // Writes go to a collection of their own; exports read the baseline's collection of this round.
      const target = name.startsWith("export") ? `${c}_base` : `${c}_${Object.keys(scenarios).indexOf(name)}`;
      times[name].push(await timed(() => fn(name.startsWith("bulk") ? `${c}_base` : target)));
    }
  }
  const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const base = ROWS / (median(times["bulk insert, JSON arrays of 1,000 (baseline)"]) / 1000);
  console.log(`${ROWS} rows, ${ROUNDS} interleaved rounds, median per scenario, one npm start stack`);
  for (const [name, ts] of Object.entries(times)) {
    const rps = ROWS / (median(ts) / 1000);
    console.log(`${name.padEnd(46)} ${Math.round(rps).toString().padStart(7)} rows/s   ratio ${(rps / base).toFixed(2)} of the bulk insert`);
  }
} finally {
  stack.stop();
}
