// One command from a fresh Cloudflare account to a running Docflare, safe to run again:
//   npm run deploy -- <staging|production> [--dry-run]
// It creates the queues that are missing, deploys the MongoDB gateway and the API Worker, asks for the secrets that are
// not set yet (ADMIN_TOKEN always; DATA_API_KEY or MONGODB_URI when the environment's STORE_BACKEND needs one), and
// builds and deploys the dashboard to Cloudflare Pages. --dry-run does every step that needs no account: both Workers
// are bundled and their configuration checked (`wrangler deploy --dry-run`), and the dashboard is built.
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";

const [environment, ...flags] = process.argv.slice(2);
const dryRun = flags.includes("--dry-run");
if (environment !== "staging" && environment !== "production") {
  console.error("usage: npm run deploy -- <staging|production> [--dry-run]");
  process.exit(2);
}

/** wrangler.jsonc without its comments and trailing commas. */
function config(file) {
  const text = readFileSync(file, "utf8")
    .split("\n")
    .filter((l) => !l.trim().startsWith("//"))
    .join("\n")
    .replace(/,(\s*[}\]])/g, "$1");
  return JSON.parse(text).env[environment];
}

function wrangler(args, { capture = false, input = "inherit" } = {}) {
  console.log(`$ wrangler ${args.join(" ")}`);
  const run = spawnSync("npx", ["wrangler", ...args], {
    stdio: capture ? ["ignore", "pipe", "inherit"] : input,
    encoding: "utf8",
  });
  if (run.status !== 0) {
    console.error(`wrangler ${args[0]} failed (exit ${run.status})`);
    process.exit(run.status ?? 1);
  }
  return run.stdout ?? "";
}

const api = config("wrangler.jsonc");
const gateway = config("wrangler.mongodb.jsonc");
const step = (text) => console.log(`\n== ${text}`);

if (!dryRun) {
  step("queues");
  const existing = wrangler(["queues", "list"], { capture: true });
  const wanted = [
    ...new Set([...api.queues.producers.map((p) => p.queue), ...api.queues.consumers.map((c) => c.queue)]),
  ];
  for (const queue of wanted) {
    if (new RegExp(`\\b${queue}\\b`).test(existing)) console.log(`${queue}: exists`);
    else wrangler(["queues", "create", queue]);
  }
}

step(`the MongoDB gateway (${gateway.name})`);
wrangler([
  "deploy",
  "-c",
  "wrangler.mongodb.jsonc",
  "--env",
  environment,
  ...(dryRun ? ["--dry-run", "--outdir", `dist/${environment}/mongodb`] : []),
]);

step("the dashboard build");
const build = spawnSync("npm", ["run", "build"], { stdio: "inherit" });
if (build.status !== 0) process.exit(build.status ?? 1);

step(`the API Worker (${api.name})`);
wrangler(["deploy", "--env", environment, ...(dryRun ? ["--dry-run", "--outdir", `dist/${environment}/api`] : [])]);

if (!dryRun) {
  step("secrets");
  const set = new Set(
    JSON.parse(wrangler(["secret", "list", "--env", environment, "--format", "json"], { capture: true })).map(
      (s) => s.name,
    ),
  );
  const needed = ["ADMIN_TOKEN"];
  if (api.vars.STORE_BACKEND === "data-api") needed.push("DATA_API_KEY");
  if (api.vars.STORE_BACKEND === "mongodb") needed.push("MONGODB_URI");
  for (const name of needed) {
    if (set.has(name)) console.log(`${name}: set`);
    else wrangler(["secret", "put", name, "--env", environment]);
  }

  step("the dashboard on Cloudflare Pages");
  const project = environment === "production" ? "docflare-dashboard" : "docflare-dashboard-staging";
  const projects = wrangler(["pages", "project", "list"], { capture: true });
  if (!new RegExp(`\\b${project}\\b`).test(projects))
    wrangler(["pages", "project", "create", project, "--production-branch", "main"]);
  wrangler(["pages", "deploy", "dashboard/dist", "--project-name", project]);
  console.log(`\nDeployed ${environment}. Set DASHBOARD_ORIGIN on ${api.name} to the Pages origin to allow its CORS.`);
} else {
  console.log(`\n${environment}: every step that needs no account passed.`);
}
