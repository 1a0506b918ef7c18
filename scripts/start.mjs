// Starts Docflare locally on the embedded store: makes a development ADMIN_TOKEN once, builds the dashboard, then runs
// `wrangler dev`, which serves the API and the dashboard from one origin.
import { spawn, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";

/** The dashboard is rebuilt when any of its sources is newer than the built index.html (or nothing is built yet). */
function dashboardStale() {
  const built = "dashboard/dist/index.html";
  if (!existsSync(built)) return true;
  const at = statSync(built).mtimeMs;
  const newer = (path) => {
    const s = statSync(path);
    if (s.isDirectory()) return readdirSync(path).some((name) => newer(join(path, name)));
    return s.mtimeMs > at;
  };
  return ["dashboard/src", "dashboard/public", "dashboard/index.html", "dashboard/vite.config.ts"].some(newer);
}

const port = process.env.PORT ?? "8787";
const file = ".dev.vars";
let vars = existsSync(file) ? readFileSync(file, "utf8") : "";
let token = /^ADMIN_TOKEN=(.+)$/m.exec(vars)?.[1]?.trim();
if (!token) {
  token = `dev_${randomBytes(24).toString("hex")}`;
  vars = vars.replace(/^ADMIN_TOKEN=.*\n?/m, "") + `ADMIN_TOKEN=${token}\n`;
  writeFileSync(file, vars, { mode: 0o600 });
}

if (dashboardStale()) {
  const build = spawnSync("npx", ["vite", "build", "--config", "dashboard/vite.config.ts", "--logLevel", "warn"], {
    stdio: "inherit",
  });
  if (build.status !== 0) process.exit(build.status ?? 1);
}

const url = `http://127.0.0.1:${port}`;
// STORE_BACKEND=mongodb MONGODB_URI=... npm start runs the MongoDB gateway Worker beside the API, as deployed.
const mongodb =
  process.env.STORE_BACKEND === "mongodb"
    ? [
        "-c",
        "wrangler.jsonc",
        "-c",
        "wrangler.mongodb.jsonc",
        "--var",
        "STORE_BACKEND:mongodb",
        "--var",
        `MONGODB_URI:${process.env.MONGODB_URI ?? ""}`,
      ]
    : [];
const child = spawn(
  "wrangler",
  [
    "dev",
    ...mongodb,
    "--ip",
    "127.0.0.1",
    "--port",
    port,
    "--show-interactive-dev-session=false",
    ...process.argv.slice(2),
  ],
  {
    stdio: ["ignore", "pipe", "inherit"],
    env: { ...process.env, WRANGLER_SEND_METRICS: "false" },
  },
);
let announced = false;
child.stdout.on("data", (chunk) => {
  process.stdout.write(chunk);
  if (!announced && /Ready on/i.test(String(chunk))) {
    announced = true;
    console.log(`\nDocflare is running at ${url} (embedded store)`);
    console.log(`Dashboard: ${url}/ (sign in with the admin token below)`);
    console.log(`Admin token (development): ${token}`);
    console.log(`Try: curl -H "Authorization: Bearer ${token}" ${url}/api/db/hello\n`);
  }
});
for (const sig of ["SIGINT", "SIGTERM"]) process.on(sig, () => child.kill(sig));
child.on("exit", (code) => process.exit(code ?? 0));
