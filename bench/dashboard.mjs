// Dashboard budgets, measured in real Chromium (not in tests):
// 1. JavaScript on first load of the app shell (sign-in page, and the overview once signed in), gzipped: <= 250 KB.
// 2. A documents table of 10,000 rows puts only the rows in view in the DOM, before and after scrolling to the end.
// 3. A page of 50 documents is painted within one frame of its data arriving: the main-thread work from data to
//    rows in the DOM stays under a frame (16.7 ms); shown against a plain innerHTML table of the same 50 rows built in
//    the same page and run (the baseline).
import { createReadStream, existsSync, statSync } from "node:fs";
import { createServer } from "node:http";
import { extname, join } from "node:path";
import { gzipSync } from "node:zlib";
import { chromium } from "playwright-core";
import { build } from "vite";
import react from "@vitejs/plugin-react";
import { pct } from "./timing.mjs";
import { startStack } from "../scripts/stack.mjs";

const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const BUDGET_KB = 250;
const FRAME_MS = 1000 / 60;
const launch = () =>
  chromium.launch({ executablePath: CHROMIUM, args: ["--headless", "--no-sandbox", "--disable-gpu"] });

const TYPES = { ".html": "text/html", ".js": "text/javascript", ".css": "text/css", ".svg": "image/svg+xml" };
function serve(dir) {
  const server = createServer((req, res) => {
    const path = join(dir, new URL(req.url, "http://x").pathname);
    const file = existsSync(path) && statSync(path).isFile() ? path : join(dir, "index.html");
    res.writeHead(200, { "content-type": TYPES[extname(file)] ?? "application/octet-stream" });
    createReadStream(file).pipe(res);
  });
  return new Promise((resolve) =>
    server.listen(0, "127.0.0.1", () =>
      resolve({ url: `http://127.0.0.1:${server.address().port}`, close: () => server.close() }),
    ),
  );
}

/** The JS a browser fetches for a page, each response gzipped as a CDN would send it. */
async function jsOnLoad(browser, url, before) {
  const page = await browser.newPage();
  if (before) await before(page);
  const sizes = new Map();
  page.on("response", async (res) => {
    if (res.request().resourceType() === "script" || res.url().endsWith(".js")) {
      const body = await res.body().catch(() => Buffer.alloc(0));
      sizes.set(res.url(), gzipSync(body, { level: 9 }).length);
    }
  });
  await page.goto(url, { waitUntil: "networkidle" });
  await page.close();
  return [...sizes.values()].reduce((a, b) => a + b, 0) / 1024;
}

async function shellBudget(browser) {
  const stack = await startStack();
  try {
    const signin = await jsOnLoad(browser, `${stack.base}/signin`);
    const overview = await jsOnLoad(browser, `${stack.base}/`, (page) =>
      page.addInitScript(
        (token) =>
          sessionStorage.setItem(
            "docflare.session",
            JSON.stringify({ apiUrl: location.origin, tenant: "default", kind: "token", token }),
          ),
        stack.admin,
      ),
    );
    return { signin, overview };
  } finally {
    stack.stop();
  }
}

async function tableBudgets(browser) {
  const outDir = "bench/.build/dashboard-harness";
  await build({
    root: "bench/dashboard",
    plugins: [react()],
    logLevel: "warn",
    build: { outDir: "../../" + outDir, emptyOutDir: true },
  });
  const server = await serve(outDir);
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  try {
    await page.goto(server.url);
    await page.evaluate(() => window.show(10_000));
    const rowsInDom = () => page.evaluate(() => document.querySelectorAll("tbody tr:not([aria-hidden])").length);
    const atTop = await rowsInDom();
    await page.evaluate(() => {
      const el = document.querySelector(".vtable");
      el.scrollTop = el.scrollHeight;
    });
    await page.waitForTimeout(200);
    const atEnd = await rowsInDom();
    const lastShown = await page.evaluate(
      () => [...document.querySelectorAll("tbody tr:not([aria-hidden]) td:nth-child(2)")].at(-1)?.textContent,
    );
    const ours = [];
    const plain = [];
    for (let i = 0; i < 30; i++) {
      ours.push(await page.evaluate(() => window.show(50)));
      plain.push(
        await page.evaluate(
          () =>
            new Promise((resolve) => {
              const start = performance.now();
              const rows = Array.from(
                { length: 50 },
                (_, i) =>
                  `<tr><td>${i}</td><td>item ${i}</td><td>${i}</td><td>${i}.99</td><td>2026</td><td>[2 items]</td><td>Paris</td></tr>`,
              ).join("");
              const host = document.createElement("div");
              host.innerHTML = `<table><tbody>${rows}</tbody></table>`;
              document.body.append(host);
              const work = performance.now() - start;
              requestAnimationFrame(() => (host.remove(), resolve(work)));
            }),
        ),
      );
    }
    return {
      atTop,
      atEnd,
      lastShown,
      page50: { p50: pct(ours, 50), p95: pct(ours, 95) },
      plain50: { p50: pct(plain, 50), p95: pct(plain, 95) },
    };
  } finally {
    await page.close();
    server.close();
  }
}

/** Each part gets its own browser, so one part's pages and caches cannot colour the other's figures. */
async function withBrowser(fn) {
  const browser = await launch();
  try {
    return await fn(browser);
  } finally {
    await browser.close();
  }
}

{
  const shell = await withBrowser(shellBudget);
  const table = await withBrowser(tableBudgets);
  const rows = [
    ["first load JS, sign-in (gzip)", `${shell.signin.toFixed(1)} KB`, `<= ${BUDGET_KB} KB`, shell.signin <= BUDGET_KB],
    [
      "first load JS, overview signed in (gzip)",
      `${shell.overview.toFixed(1)} KB`,
      `<= ${BUDGET_KB} KB`,
      shell.overview <= BUDGET_KB,
    ],
    ["DOM rows for 10,000 documents, at the top", String(table.atTop), "< 100", table.atTop < 100],
    [
      "DOM rows for 10,000 documents, scrolled to the end",
      `${table.atEnd} (last: ${table.lastShown})`,
      "< 100",
      table.atEnd < 100,
    ],
    [
      "50 documents: data to rows in the DOM, p50 / p95",
      `${table.page50.p50.toFixed(1)} / ${table.page50.p95.toFixed(1)} ms`,
      `<= ${FRAME_MS.toFixed(1)} ms (one frame)`,
      table.page50.p95 <= FRAME_MS,
    ],
    [
      "  baseline: plain innerHTML table, p50",
      `${table.plain50.p50.toFixed(1)} ms`,
      `ratio ${(table.page50.p50 / table.plain50.p50).toFixed(2)}`,
      true,
    ],
  ];
  for (const [what, got, goal, ok] of rows)
    console.log(`${ok ? "ok  " : "MISS"} ${what.padEnd(52)} ${got.padEnd(28)} ${goal}`);
}
