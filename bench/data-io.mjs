// Import and export rows per second, against a bulk insert of the same documents in the same run (the baseline):
// POST /api/db/{c} with JSON arrays of 1,000 (the fastest way in today), then the import of the same rows as CSV (with
// types) and as NDJSON, then exports of them as NDJSON and CSV. Rounds are interleaved on one `npm start` stack.
// XLSX import and export join them (the workbook written by SheetJS here). Last, one large NDJSON file is streamed
// to the import as it is generated, with the stack's resident memory sampled from /proc: rows per second, and how
// much the memory grew (an import that held the file would grow by its size).
// Usage: npm run bench:data-io [-- --rows 20000 --rounds 3 --large 500000]
import { parseArgs } from "node:util";
import * as XLSX from "@e965/xlsx";
import { cpuMicros, processTree, rssBytes, startStack } from "../scripts/stack.mjs";

const { values: args } = parseArgs({
  options: {
    rows: { type: "string", default: "20000" },
    rounds: { type: "string", default: "3" },
    large: { type: "string", default: "500000" },
  },
});
const ROWS = Number(args.rows);
const ROUNDS = Number(args.rounds);
const LARGE = Number(args.large);

const docs = Array.from({ length: ROWS }, (_, i) => ({
  sku: `sku-${i}`,
  qty: i % 500,
  price: (i % 997) / 10,
  at: `2026-01-${String((i % 28) + 1).padStart(2, "0")}T00:00:00Z`,
  city: `c${i % 50}`,
}));
const csv = `sku,qty,price,at,city\n${docs.map((d) => `${d.sku},${d.qty},${d.price},${d.at},${d.city}`).join("\n")}\n`;
const ndjson = docs.map((d) => JSON.stringify({ ...d, at: { $date: d.at } })).join("\n");
const types = encodeURIComponent(JSON.stringify({ qty: "integer", price: "number", at: "date" }));
const book = XLSX.utils.book_new();
XLSX.utils.book_append_sheet(book, XLSX.utils.json_to_sheet(docs.map((d) => ({ ...d, at: new Date(d.at) }))), "rows");
const xlsx = new Uint8Array(XLSX.write(book, { type: "array", bookType: "xlsx" }));
const XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

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
      await ok(
        await fetch(`${stack.base}/api/db/${c}`, {
          method: "POST",
          headers: { ...auth, "content-type": "application/json" },
          body,
        }),
      );
    }
  },
  "import CSV with types": async (c) => {
    const res = await ok(
      await fetch(`${stack.base}/api/db/${c}/import?types=${types}`, {
        method: "POST",
        headers: { ...auth, "content-type": "text/csv" },
        body: csv,
      }),
    );
    const { rows } = await res.json();
    if (rows.inserted !== ROWS) throw new Error(`imported ${rows.inserted} of ${ROWS}`);
  },
  "import NDJSON": async (c) => {
    const res = await ok(
      await fetch(`${stack.base}/api/db/${c}/import`, {
        method: "POST",
        headers: { ...auth, "content-type": "application/x-ndjson" },
        body: ndjson,
      }),
    );
    if ((await res.json()).rows.inserted !== ROWS) throw new Error("short import");
  },
  "import XLSX": async (c) => {
    const res = await ok(
      await fetch(`${stack.base}/api/db/${c}/import`, {
        method: "POST",
        headers: { ...auth, "content-type": XLSX_TYPE },
        body: xlsx,
      }),
    );
    if ((await res.json()).rows.inserted !== ROWS) throw new Error("short import");
  },
  "export NDJSON": async (c) => {
    const text = await (
      await ok(await fetch(`${stack.base}/api/db/${c}/export?format=ndjson`, { headers: auth }))
    ).text();
    if (text.split("\n").filter(Boolean).length !== ROWS) throw new Error("short export");
  },
  "export CSV": async (c) => {
    const text = await (await ok(await fetch(`${stack.base}/api/db/${c}/export?format=csv`, { headers: auth }))).text();
    if (text.split("\r\n").filter(Boolean).length !== ROWS + 1) throw new Error("short export");
  },
  "export XLSX": async (c) => {
    const bytes = new Uint8Array(
      await (await ok(await fetch(`${stack.base}/api/db/${c}/export?format=xlsx`, { headers: auth }))).arrayBuffer(),
    );
    const rows = XLSX.utils.sheet_to_json(
      XLSX.read(bytes, { type: "array" }).Sheets[c.replace(/_\d+$/, "").slice(0, 31)] ??
        Object.values(XLSX.read(bytes, { type: "array" }).Sheets)[0],
    );
    if (rows.length !== ROWS) throw new Error(`short export: ${rows.length}`);
  },
};

/**
 * A large NDJSON file generated as it is sent (never held here either), with the stack's memory sampled meanwhile;
 * run at two sizes, so memory that grew with the file would show. Change events off (events=false), as for a bulk load.
 */
async function largeImport(LARGE) {
  const pids = processTree(stack.child.pid);
  const before = rssBytes(pids);
  const cpuBefore = cpuMicros(pids);
  let peak = before;
  const sampler = setInterval(() => (peak = Math.max(peak, rssBytes(pids))), 100);
  let sent = 0;
  let bytes = 0;
  const encoder = new TextEncoder();
  const body = new ReadableStream({
    pull(controller) {
      if (sent >= LARGE) return controller.close();
      let text = "";
      for (let i = 0; i < 5000 && sent < LARGE; i++, sent++)
        text += `{"sku":"big-${sent}","qty":${sent % 500},"price":${(sent % 997) / 10},"city":"c${sent % 50}","note":"row ${sent} of a large streamed import"}\n`;
      const chunk = encoder.encode(text);
      bytes += chunk.length;
      controller.enqueue(chunk);
    },
  });
  const started = performance.now();
  const res = await ok(
    await fetch(`${stack.base}/api/db/io_large_${Date.now().toString(36)}/import?events=false`, {
      method: "POST",
      headers: { ...auth, "content-type": "application/x-ndjson" },
      body,
      duplex: "half",
    }),
  );
  const answer = await res.json();
  const seconds = (performance.now() - started) / 1000;
  clearInterval(sampler);
  if (answer.rows.inserted !== LARGE) throw new Error(`large import wrote ${answer.rows.inserted} of ${LARGE}`);
  const cpu = (cpuMicros(pids) - cpuBefore) / 1e6;
  console.log(
    `large streamed NDJSON import: ${LARGE} rows, ${(bytes / 1_048_576).toFixed(1)} MiB in ${seconds.toFixed(1)} s = ${Math.round(LARGE / seconds)} rows/s ` +
      `(${(cpu / seconds).toFixed(2)} cores busy); resident memory of the stack grew by ${((peak - before) / 1_048_576).toFixed(1)} MiB at its peak`,
  );
}

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
    console.log(
      `${name.padEnd(46)} ${Math.round(rps).toString().padStart(7)} rows/s   ratio ${(rps / base).toFixed(2)} of the bulk insert`,
    );
  }
  if (LARGE > 0) {
    console.log("");
    for (const n of [Math.round(LARGE / 5), LARGE]) await largeImport(n);
  }
} finally {
  stack.stop();
}
