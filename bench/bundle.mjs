// The deployed upload's size against its budgets: JavaScript under 250 KB gzipped, the whole upload (JavaScript and
// the QuickJS wasm) under 500 KB gzipped. Builds exactly what `wrangler deploy` would upload, reports both figures
// with the largest contributors (from esbuild's metafile), and exits 1 when a budget is exceeded.
// Usage: npm run bench:bundle
import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync, rmSync } from "node:fs";
import { join, resolve } from "node:path";
import { gzipSync } from "node:zlib";

const BUDGET = { jsKb: 250, totalKb: 500 };
const dir = resolve("bench", ".build", "bundle");
rmSync(dir, { recursive: true, force: true });
execFileSync("npx", ["wrangler", "deploy", "--dry-run", "--outdir", dir, "--metafile", join(dir, "meta.json")], {
  stdio: "ignore",
});

const gz = (file) => gzipSync(readFileSync(join(dir, file)), { level: 9 }).length / 1024;
const files = readdirSync(dir).filter((f) => f.endsWith(".js") || f.endsWith(".wasm"));
const js = files.filter((f) => f.endsWith(".js")).reduce((a, f) => a + gz(f), 0);
const total = files.reduce((a, f) => a + gz(f), 0);

const meta = JSON.parse(readFileSync(join(dir, "meta.json"), "utf8"));
const output = Object.values(meta.outputs).find((o) => Object.keys(o.inputs).length > 0);
const byPackage = {};
for (const [file, { bytesInOutput }] of Object.entries(output.inputs)) {
  const inModules = file.split("node_modules/").pop();
  const key = file.includes("node_modules/")
    ? inModules
        .split("/")
        .slice(0, inModules.startsWith("@") ? 2 : 1)
        .join("/") + (inModules.includes("/locales/") ? " (locales)" : "")
    : file.split("/").slice(0, 2).join("/");
  byPackage[key] = (byPackage[key] ?? 0) + bytesInOutput;
}

console.log(
  `JavaScript ${js.toFixed(0)} KB gzipped (budget ${BUDGET.jsKb}); whole upload ${total.toFixed(0)} KB gzipped (budget ${BUDGET.totalKb})`,
);
console.log("largest contributors, minified bytes in the output:");
for (const [k, v] of Object.entries(byPackage)
  .sort((a, b) => b[1] - a[1])
  .slice(0, 12))
  console.log(`  ${(v / 1024).toFixed(0).padStart(5)} KB  ${k}`);
if (js > BUDGET.jsKb || total > BUDGET.totalKb) {
  console.log("over budget");
  process.exit(1);
}
