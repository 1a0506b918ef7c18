import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { cloudflareTest } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";

/**
 * The MongoDB gateway runs beside the API Worker in the workers pool, as its own Worker (bound as MONGODB), from the
 * bundle wrangler builds for it: the pool takes auxiliary Workers only as built JavaScript.
 */
const gatewayDir = ".tmp/mongodb-gateway";

/** The newest modification time under the given paths (files or folders). */
function newest(paths: string[]): number {
  return Math.max(
    ...paths.map((p) =>
      statSync(p).isDirectory() ? newest(readdirSync(p).map((f) => join(p, f))) : statSync(p).mtimeMs,
    ),
  );
}

// Rebuilt only when the gateway or what it bundles changed, so a vitest run (unit tests included) pays no build.
const gatewaySources = ["wrangler.mongodb.jsonc", "package-lock.json", "worker", "durable-objects"];
const built = join(gatewayDir, "index.js");
if (!existsSync(built) || statSync(built).mtimeMs < newest(gatewaySources)) {
  execFileSync("npx", ["wrangler", "deploy", "--dry-run", "-c", "wrangler.mongodb.jsonc", "--outdir", gatewayDir], {
    stdio: "ignore",
  });
}

export default defineConfig({
  test: {
    projects: [
      {
        plugins: [
          cloudflareTest({
            wrangler: { configPath: "./wrangler.jsonc" },
            miniflare: {
              workers: [
                {
                  name: "docflare-mongodb",
                  modules: true,
                  scriptPath: `${gatewayDir}/index.js`,
                  compatibilityDate: "2026-11-01",
                  compatibilityFlags: ["nodejs_compat"],
                  durableObjects: { MONGO_CLIENT: { className: "MongoClientDO", useSQLite: true } },
                },
              ],
              bindings: {
                ADMIN_TOKEN: "test-admin-token",
                ENVIRONMENT: "test",
                LOG_LEVEL: "warn",
                DASHBOARD_ORIGIN: "https://dash.example.com",
                // Webhooks in tests: loopback receivers, short timeouts and retries, a 3-second rate window.
                ALLOW_LOOPBACK_WEBHOOKS: "true",
                WEBHOOK_TIMEOUT_MS: "1500",
                WEBHOOK_RETRY_BASE_MS: "1000",
                WEBHOOK_RETRY_CAP_MS: "3000",
                WEBHOOK_RATE_WINDOW_MS: "3000",
                // Scripts in tests: quick retries and a 3-second rate window.
                SCRIPT_RETRY_BASE_MS: "500",
                SCRIPT_RETRY_CAP_MS: "1000",
                SCRIPT_RATE_WINDOW_MS: "3000",
              },
            },
          }),
        ],
        test: {
          name: "workers",
          include: ["test/workers/**/*.test.ts"],
          globalSetup: ["test/setup/upstream.ts"],
          testTimeout: 30_000,
          hookTimeout: 60_000,
        },
      },
      {
        test: {
          name: "unit",
          include: ["test/unit/**/*.test.ts"],
          environment: "node",
        },
      },
      {
        test: {
          name: "dashboard",
          include: ["test/dashboard/**/*.test.ts"],
          environment: "node",
        },
      },
      {
        test: {
          name: "e2e",
          include: ["test/e2e/**/*.test.ts"],
          environment: "node",
          // A browser flow waits on real queues and alarms; polls give them time rather than fixed sleeps.
          expect: { poll: { timeout: 20_000, interval: 200 } },
          testTimeout: 120_000,
          hookTimeout: 180_000,
        },
      },
    ],
  },
});
