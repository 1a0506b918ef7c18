// The dashboard's browser tests drive Debian's Chromium. On a fresh machine (root, apt) it is installed here, so
// `npm test` works as the README says; elsewhere this says what to install, or where the browser is (CHROMIUM_PATH).
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";

const path = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
if (!existsSync(path)) {
  const root = typeof process.getuid === "function" && process.getuid() === 0;
  if (!root || !existsSync("/usr/bin/apt-get")) {
    console.error(
      `Chromium is needed for the dashboard tests: apt-get install -y chromium (or set CHROMIUM_PATH). Not found at ${path}.`,
    );
    process.exit(1);
  }
  console.log("installing Debian's chromium for the dashboard tests...");
  execFileSync("apt-get", ["update", "-qq"], { stdio: "inherit" });
  execFileSync("apt-get", ["install", "-y", "-qq", "chromium"], {
    stdio: "inherit",
    env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" },
  });
}
