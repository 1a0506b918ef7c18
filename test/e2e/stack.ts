import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort, stopProcessTree } from "../setup/wrangler-dev";

export type Stack = { base: string; admin: string; child: ChildProcess; stop: () => void };

/** Starts the real `npm start` stack (wrangler dev, embedded store, the dashboard) exactly as the README says. */
export async function startStack(extraArgs: string[] = []): Promise<Stack> {
  const port = await freePort();
  const inspector = await freePort();
  // Each stack keeps its state apart, so suites that run side by side never share Durable Object storage.
  const persist = mkdtempSync(join(tmpdir(), "docflare-e2e-"));
  const child = spawn("npm", ["start", "--", "--inspector-port", String(inspector), "--persist-to", persist, ...extraArgs], {
    env: { ...process.env, PORT: String(port) },
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
  });
  let output = "";
  const { base, admin } = await new Promise<{ base: string; admin: string }>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`npm start did not announce itself:\n${output.slice(-2000)}`)), 100_000);
    const onData = (d: Buffer) => {
      output += d;
      const token = /Admin token \(development\): (\S+)/.exec(output);
      const url = /Docflare is running at (\S+)/.exec(output);
      if (token && url) {
        clearTimeout(timer);
        resolve({ base: url[1], admin: token[1] });
      }
    };
    child.stdout!.on("data", onData);
    child.stderr!.on("data", onData);
  });
  return { base, admin, child, stop: () => stopProcessTree(child) };
}
