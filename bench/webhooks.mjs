// Event-to-delivery latency (p50, p99) and deliveries per second through Docflare's webhook pipeline
// (DatabaseDO outbox -> EVENTS -> DELIVERIES -> WebhookDO -> signed POST) to a receiver on 127.0.0.1, against a
// baseline measured in the same run: the same receiver posted to directly from this process.
// Runs on `wrangler dev` (Queues need Miniflare), with a 1-second rate window so the limiter is not the bottleneck.
// Usage: npm run bench:webhooks [-- --events 200 --burst 600]
import { createServer } from "node:http";
import { parseArgs } from "node:util";
import { startWranglerDev } from "../scripts/stack.mjs";

const { values: args } = parseArgs({
  options: { events: { type: "string", default: "200" }, burst: { type: "string", default: "600" } },
});
const EVENTS = Number(args.events);
const BURST = Number(args.burst);
const ADMIN = "bench-admin-token";

const pct = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)];
};

function receiver() {
  const arrivals = [];
  const server = createServer((req, res) => {
    let body = "";
    req.on("data", (c) => (body += c));
    req.on("end", () => {
      arrivals.push({ at: performance.timeOrigin + performance.now(), id: req.headers["webhook-id"], body });
      res.writeHead(200).end();
    });
  });
  return new Promise((res) =>
    server.listen(0, "127.0.0.1", () => res({ url: `http://127.0.0.1:${server.address().port}`, arrivals, server })),
  );
}

async function waitUntil(check, timeoutMs, what) {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

async function main() {
  const rx = await receiver();
  const dev = await startWranglerDev({
    vars: { ADMIN_TOKEN: ADMIN, LOG_LEVEL: "error", ALLOW_LOOPBACK_WEBHOOKS: "true", WEBHOOK_RATE_WINDOW_MS: "1000" },
  });
  const base = dev.url;
  const api = (method, path, body) =>
    fetch(`${base}${path}`, {
      method,
      headers: { Authorization: `Bearer ${ADMIN}`, "Content-Type": "application/json" },
      body: body && JSON.stringify(body),
    });
  try {
    const hook = await (
      await api("POST", "/api/webhooks", { url: `${rx.url}/hook`, collection: "bench", rateLimitPerMinute: 300 })
    ).json();
    if (!hook.id) throw new Error(`webhook not created: ${JSON.stringify(hook)}`);
    const payload = JSON.stringify({
      id: "evt_x",
      operationType: "insert",
      collection: "bench",
      fullDocument: { _id: 1, n: 1 },
    });

    // Latency, one event at a time: write -> delivery arrival, versus a direct POST -> arrival.
    const direct = [];
    for (let i = 0; i < EVENTS; i++) {
      const t0 = performance.timeOrigin + performance.now();
      await fetch(`${rx.url}/direct`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: payload,
      });
      direct.push(rx.arrivals.at(-1).at - t0);
    }
    await api("POST", "/api/db/bench", { _id: "warm" });
    await waitUntil(() => rx.arrivals.some((a) => a.body.includes('"warm"')), 30_000, "warm-up delivery");
    const piped = [];
    for (let i = 0; i < EVENTS; i++) {
      const before = rx.arrivals.length;
      const t0 = performance.timeOrigin + performance.now();
      const res = await api("POST", "/api/db/bench", { _id: `l${i}` });
      if (res.status !== 201) throw new Error(`insert failed: ${res.status}`);
      await waitUntil(() => rx.arrivals.length > before, 30_000, `delivery of l${i}`);
      piped.push(rx.arrivals.at(-1).at - t0);
    }

    // Throughput: a burst of BURST events in one insertMany to two webhooks (each limited to 300 a window, so the
    // limiter is not what is measured), until every delivery has arrived, versus as many direct POSTs, 16 in flight.
    const second = await (
      await api("POST", "/api/webhooks", { url: `${rx.url}/hook2`, collection: "bench", rateLimitPerMinute: 300 })
    ).json();
    if (!second.id) throw new Error(`webhook not created: ${JSON.stringify(second)}`);
    await new Promise((r) => setTimeout(r, 1500));
    let t0 = performance.now();
    let next = 0;
    await Promise.all(
      Array.from({ length: 16 }, async () => {
        while (next < 2 * BURST) {
          next++;
          await fetch(`${rx.url}/direct`, { method: "POST", body: payload });
        }
      }),
    );
    const directRate = (2 * BURST) / ((performance.now() - t0) / 1000);
    const before = rx.arrivals.length;
    t0 = performance.now();
    const docs = Array.from({ length: BURST }, (_, i) => ({ _id: `b${i}` }));
    const res = await api("POST", "/api/db/bench", docs);
    if (res.status !== 201) throw new Error(`burst insert failed: ${res.status}`);
    await waitUntil(() => rx.arrivals.length - before >= 2 * BURST, 300_000, "burst deliveries");
    const pipedRate = (2 * BURST) / ((performance.now() - t0) / 1000);

    const f = (x) => x.toFixed(1).padStart(7);
    console.log(
      `\nwebhook pipeline on wrangler dev, ${EVENTS} sequential events, burst of ${BURST} events to two webhooks`,
    );
    console.log(
      `baseline: direct POST to receiver      p50 ${f(pct(direct, 50))} ms  p99 ${f(pct(direct, 99))} ms  ${directRate.toFixed(0).padStart(6)} posts/s`,
    );
    console.log(
      `docflare: write -> signed delivery     p50 ${f(pct(piped, 50))} ms  p99 ${f(pct(piped, 99))} ms  ${pipedRate.toFixed(0).padStart(6)} deliveries/s`,
    );
    console.log(
      `ratios: latency p50 x${(pct(piped, 50) / pct(direct, 50)).toFixed(1)}, p99 x${(pct(piped, 99) / pct(direct, 99)).toFixed(1)}; throughput ${(pipedRate / directRate).toFixed(2)} of direct`,
    );
  } finally {
    dev.stop();
    rx.server.close();
  }
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
