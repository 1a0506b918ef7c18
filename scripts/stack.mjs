// Starts the real `npm start` stack (wrangler dev, embedded store, the dashboard) on free ports with its own state
// directory, and returns its URL and development admin token. Shared by the end-to-end tests and the benches.
import { spawn } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

export function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

export async function startStack(extraArgs = []) {
  const port = await freePort();
  const inspector = await freePort();
  // Each stack keeps its state apart, so suites that run side by side never share Durable Object storage.
  const persist = mkdtempSync(join(tmpdir(), "docflare-stack-"));
  const child = spawn(
    "npm",
    ["start", "--", "--inspector-port", String(inspector), "--persist-to", persist, ...extraArgs],
    {
      env: { ...process.env, PORT: String(port) },
      stdio: ["ignore", "pipe", "pipe"],
      detached: true,
    },
  );
  let output = "";
  const { base, admin } = await new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`npm start did not announce itself:\n${output.slice(-2000)}`)),
      100_000,
    );
    const onData = (d) => {
      output += d;
      const token = /Admin token \(development\): (\S+)/.exec(output);
      const url = /Docflare is running at (\S+)/.exec(output);
      if (token && url) {
        clearTimeout(timer);
        resolve({ base: url[1], admin: token[1] });
      }
    };
    child.stdout.on("data", onData);
    child.stderr.on("data", onData);
  });
  return { base, admin, child, stop: () => stopProcessTree(child) };
}

/** npx and wrangler each start children; signal the whole process group so nothing outlives its caller. */
export function stopProcessTree(child) {
  if (child.pid === undefined || child.exitCode !== null) return;
  try {
    process.kill(-child.pid, "SIGTERM");
  } catch {
    child.kill("SIGTERM");
  }
}

/**
 * A `wrangler dev` of this project on loopback, with its own empty state directory: `vars` go in with --var, and
 * `configs` (wrangler.jsonc first) run several Workers in one session. Resolves once `readyPath` answers 200.
 */
export async function startWranglerDev({
  vars = {},
  configs = [],
  readyPath = "/health",
  readyHeaders = {},
  timeoutMs = 90_000,
} = {}) {
  const port = await freePort();
  const args = ["wrangler", "dev", ...configs.flatMap((c) => ["-c", c]), "--ip", "127.0.0.1", "--port", String(port)];
  args.push("--inspector-port", String(await freePort()), "--persist-to", mkdtempSync(join(tmpdir(), "docflare-dev-")));
  args.push("--show-interactive-dev-session=false");
  for (const [k, v] of Object.entries(vars)) args.push("--var", `${k}:${v}`);
  const child = spawn("npx", args, {
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, WRANGLER_SEND_METRICS: "false" },
  });
  let log = "";
  child.stdout.on("data", (d) => (log += d));
  child.stderr.on("data", (d) => (log += d));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      if ((await fetch(`${url}${readyPath}`, { headers: readyHeaders })).ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      stopProcessTree(child);
      throw new Error(`wrangler dev did not answer ${readyPath} within ${timeoutMs} ms\n${log.slice(-3000)}`);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  return { url, child, output: () => log, stop: () => stopProcessTree(child) };
}

/** The process and all its descendants (the npm start tree: npm, wrangler, workerd), from /proc. */
export function processTree(pid) {
  const children = new Map();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const ppid = Number(readFileSync(`/proc/${entry}/stat`, "utf8").split(") ")[1].split(" ")[1]);
      children.set(ppid, [...(children.get(ppid) ?? []), Number(entry)]);
    } catch {
      // The process ended while the table was read.
    }
  }
  const out = [];
  const queue = [pid];
  while (queue.length) {
    const p = queue.shift();
    out.push(p);
    queue.push(...(children.get(p) ?? []));
  }
  return out;
}

/** Resident memory of the processes, in bytes. */
export function rssBytes(pids) {
  let pages = 0;
  for (const p of pids) {
    try {
      pages += Number(readFileSync(`/proc/${p}/statm`, "utf8").split(" ")[1]);
    } catch {
      // Gone.
    }
  }
  return pages * 4096;
}

/** CPU time (user + system) the processes have used, in microseconds. */
export function cpuMicros(pids) {
  let ticks = 0;
  for (const p of pids) {
    try {
      const fields = readFileSync(`/proc/${p}/stat`, "utf8").split(") ")[1].split(" ");
      ticks += Number(fields[11]) + Number(fields[12]);
    } catch {
      // Gone.
    }
  }
  return ticks * 10_000;
}
