import { spawnSync } from "node:child_process";
import { chromium } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import { DOC_FILES, docScript } from "../../scripts/doc-blocks.mjs";
import { ERRORS_PAGE, renderErrorsPage } from "../../scripts/error-docs.mjs";
import { startStack, type Stack } from "./stack";

/**
 * Every shell example in the docs, run as written against a real `npm start`: each page's blocks in order in one
 * bash, with curl's --fail-with-body turning any non-2xx answer into a failure that names the block.
 */
let stack: Stack;

beforeAll(async () => {
  stack = await startStack();
});

afterAll(() => stack?.stop());

describe("the docs' shell examples run as written", () => {
  // Pages without shell blocks (or with only blocks that need an account or a cluster) have nothing to run.
  const pages = DOC_FILES.map((file) => ({ file, page: docScript(file) })).filter((p) => p.page !== null);
  for (const { file, page } of pages) {
    it(`${file} (${page!.blocks} blocks)`, () => {
      const run = spawnSync("bash", ["-c", page!.script], {
        env: { ...process.env, DOCFLARE_URL: stack.base },
        encoding: "utf8",
        timeout: 120_000,
      });
      const where = run.stderr
        .split("\n")
        .filter((l) => l.startsWith("--- "))
        .at(-1);
      expect(run.status, `${where}\n${run.stderr.slice(-1500)}\n${run.stdout.slice(-1500)}`).toBe(0);
    });
  }
});

describe("docs/errors.md", () => {
  it("lists every error code AppError takes, as worker/lib/error-codes.ts has them (npm run docs:errors)", () => {
    expect(readFileSync(ERRORS_PAGE, "utf8")).toBe(renderErrorsPage());
  });
});

describe("/api/docs", () => {
  it("renders in Chromium with no network, from the Worker's own assets, under a strict CSP", async () => {
    const browser = await chromium.launch({
      executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
      args: ["--headless", "--no-sandbox", "--disable-gpu"],
    });
    try {
      const page = await browser.newPage();
      const elsewhere: string[] = [];
      const problems: string[] = [];
      // Nothing leaves the machine: any request to another host is refused and remembered.
      await page.route("**/*", (route) => {
        const url = new URL(route.request().url());
        if (url.hostname === "127.0.0.1" || url.hostname === "localhost") return route.continue();
        elsewhere.push(url.href);
        return route.abort();
      });
      page.on("console", (m) => m.type() === "error" && problems.push(m.text()));
      page.on("pageerror", (e) => problems.push(e.message));
      const res = await page.goto(`${stack.base}/api/docs`);
      expect(res!.status()).toBe(200);
      const headers = res!.headers();
      expect(headers["content-security-policy"]).toContain("frame-ancestors 'none'");
      expect(headers["content-security-policy"]).toContain("script-src 'self'");
      expect(headers["x-content-type-options"]).toBe("nosniff");
      expect(headers["referrer-policy"]).toBe("no-referrer");
      await page.waitForSelector(".swagger-ui .info .title", { timeout: 20_000 });
      expect(await page.textContent(".swagger-ui .info .title")).toContain("Docflare");
      await page.waitForSelector(".opblock", { timeout: 20_000 });
      expect(await page.locator(".opblock").count()).toBeGreaterThan(50);
      expect(elsewhere).toEqual([]);
      expect(problems).toEqual([]);
    } finally {
      await browser.close();
    }
  });
});
