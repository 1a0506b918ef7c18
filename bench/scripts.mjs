// A script run's overhead in the quickjs sandbox, cold (new WebAssembly instance, as in a fresh isolate) and warm
// (instance reused, a fresh QuickJS runtime and context per run, as in production), against a baseline measured in
// the same run: calling an empty async function in-process. The script is `export default async (e) => e.n + 1`
// with a host that does no I/O, so the figures are the sandbox's own cost.
// The dynamic-worker runner is not measured: local workerd neither limits nor isolates it as Cloudflare does.
// Usage: npm run bench:scripts [-- --warm 2000 --cold 20]
import { build } from "esbuild";
import { mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { timed as timeIt } from "./timing.mjs";

const { values: args } = parseArgs({
  options: { warm: { type: "string", default: "2000" }, cold: { type: "string", default: "20" } },
});
const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const out = join(root, "bench/.build/quickjs-runner.mjs");
mkdirSync(dirname(out), { recursive: true });

// Bundle the real runner for Node; the .wasm import becomes a compiled WebAssembly.Module, as workerd provides it.
await build({
  entryPoints: [join(root, "worker/scripts/quickjs.ts")],
  bundle: true,
  format: "esm",
  platform: "node",
  outfile: out,
  logLevel: "error",
  plugins: [
    {
      name: "wasm-module",
      setup(b) {
        b.onResolve({ filter: /\.wasm$/ }, (a) => ({ path: join(a.resolveDir, a.path), namespace: "wasm" }));
        b.onLoad({ filter: /.*/, namespace: "wasm" }, (a) => ({
          contents: `import { readFileSync } from "node:fs"; export default new WebAssembly.Module(readFileSync(${JSON.stringify(a.path)}));`,
          loader: "js",
        }));
      },
    },
  ],
});

const code = "export default async (event) => event.n + 1;";
const host = { call: async () => "null", fetch: async () => "{}" };
const limits = { timeoutMs: 1000, memoryBytes: 32 << 20, stackBytes: 512 << 10 };
const run = (runner, n) => runner.run({ versionId: "bench", code, eventJson: JSON.stringify({ n }), limits, host });
/** Microseconds. */
const timed = (n, fn) => timeIt(n, fn, 1000);

const empty = async (e) => e.n + 1;
const baseline = await timed(Number(args.warm) * 50, (i) => empty({ n: i }));

// Cold: every sample imports a fresh copy of the module, so its WebAssembly instance is new.
const cold = await timed(Number(args.cold), async (i) => {
  const { QuickJsRunner } = await import(`${pathToFileURL(out).href}?cold=${i}`);
  const outcome = await run(new QuickJsRunner(), i);
  if (!outcome.ok) throw new Error(JSON.stringify(outcome.error));
});

const { QuickJsRunner } = await import(pathToFileURL(out).href);
const runner = new QuickJsRunner();
await run(runner, 0);
const warm = await timed(Number(args.warm), async (i) => {
  const outcome = await run(runner, i);
  if (outcome.result !== i + 1) throw new Error(`wrong result ${JSON.stringify(outcome)}`);
});

const fmt = (s) => `p50 ${s.p50.toFixed(1)} µs, p99 ${s.p99.toFixed(1)} µs, mean ${s.mean.toFixed(1)} µs`;
console.log(`baseline (empty async call): ${fmt(baseline)}`);
console.log(`quickjs warm run:            ${fmt(warm)}  ratio ${(warm.p50 / baseline.p50).toFixed(0)}x baseline`);
console.log(
  `quickjs cold run:            ${fmt(cold)}  ratio ${(cold.p50 / baseline.p50).toFixed(0)}x baseline, ${(cold.p50 / warm.p50).toFixed(1)}x warm`,
);
console.log(
  JSON.stringify({
    baselineUs: baseline,
    warmUs: warm,
    coldUs: cold,
    warmRatio: warm.p50 / baseline.p50,
    coldRatio: cold.p50 / baseline.p50,
  }),
);
