// Starts Docflare locally on the embedded store: makes a development ADMIN_TOKEN once, then runs `wrangler dev`.
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";

const port = process.env.PORT ?? "8787";
const file = ".dev.vars";
let vars = existsSync(file) ? readFileSync(file, "utf8") : "";
let token = /^ADMIN_TOKEN=(.+)$/m.exec(vars)?.[1]?.trim();
if (!token) {
  token = `dev_${randomBytes(24).toString("hex")}`;
  vars = vars.replace(/^ADMIN_TOKEN=.*\n?/m, "") + `ADMIN_TOKEN=${token}\n`;
  writeFileSync(file, vars, { mode: 0o600 });
}

const url = `http://127.0.0.1:${port}`;
const child = spawn("wrangler", ["dev", "--ip", "127.0.0.1", "--port", port, "--show-interactive-dev-session=false", ...process.argv.slice(2)], {
  stdio: ["ignore", "pipe", "inherit"],
  env: { ...process.env, WRANGLER_SEND_METRICS: "false" },
});
let announced = false;
child.stdout.on("data", (chunk) => {
  process.stdout.write(chunk);
  if (!announced && /Ready on/i.test(String(chunk))) {
    announced = true;
    console.log(`\nDocflare is running at ${url} (embedded store)`);
    console.log(`Admin token (development): ${token}`);
    console.log(`Try: curl -H "Authorization: Bearer ${token}" ${url}/api/db/hello\n`);
  }
});
for (const sig of ["SIGINT", "SIGTERM"]) process.on(sig, () => child.kill(sig));
child.on("exit", (code) => process.exit(code ?? 0));
