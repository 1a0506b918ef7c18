#!/usr/bin/env node
// npm run migrate -- <status|up|down|seed> [n] [--dry-run] [--url URL] [--token TOKEN] [--tenant T | --all-tenants]
//                    [--database DB] [--dir migrations] [--json]
// Reads the migration files (NNNN_name.js exporting up(ctx) and down(ctx)) and the seeds (seeds/*.js exporting up)
// and sends them to a Docflare's /api/migrations, which runs them there with ctx.api on the tenant database.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { basename, join } from "node:path";
import { parseArgs } from "node:util";

const { values: opts, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    url: { type: "string" },
    token: { type: "string" },
    tenant: { type: "string" },
    "all-tenants": { type: "boolean", default: false },
    database: { type: "string", default: "main" },
    dir: { type: "string", default: "migrations" },
    "dry-run": { type: "boolean", default: false },
    json: { type: "boolean", default: false },
    help: { type: "boolean", short: "h", default: false },
  },
});

const USAGE = `usage: npm run migrate -- <status|up|down|seed> [n] [--dry-run] [--url URL] [--token TOKEN]
                          [--tenant T | --all-tenants] [--database DB] [--dir migrations] [--json]
  status      each migration: applied, pending, modified (edited after it was applied) or missing
  up [n]      apply pending migrations in order (at most n)
  down [n]    revert the last n applied migrations (default 1)
  seed        apply the seed files in <dir>/seeds once each
The URL defaults to $DOCFLARE_URL or http://127.0.0.1:8787; the token to $DOCFLARE_TOKEN or ADMIN_TOKEN in .dev.vars.`;

const [command, count] = positionals;
if (opts.help || !["status", "up", "down", "seed"].includes(command)) {
  console.log(USAGE);
  process.exit(opts.help ? 0 : 2);
}
const steps = count === undefined ? undefined : Number(count);
if (steps !== undefined && (!Number.isInteger(steps) || steps < 1)) {
  console.error(`n must be a positive integer, not "${count}"`);
  process.exit(2);
}

function devToken() {
  if (!existsSync(".dev.vars")) return undefined;
  return /^ADMIN_TOKEN=(.+)$/m.exec(readFileSync(".dev.vars", "utf8"))?.[1]?.trim() || undefined;
}
const url = (opts.url ?? process.env.DOCFLARE_URL ?? "http://127.0.0.1:8787").replace(/\/$/, "");
const token = opts.token ?? process.env.DOCFLARE_TOKEN ?? devToken();
if (!token) {
  console.error("no token: pass --token, set DOCFLARE_TOKEN, or run from a checkout whose .dev.vars has ADMIN_TOKEN");
  process.exit(2);
}

function files(dir) {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => /^\d{4,}_.+\.js$/.test(f))
    .sort((a, b) => a.localeCompare(b, "en", { numeric: true }))
    .map((f) => ({ id: basename(f, ".js"), code: readFileSync(join(dir, f), "utf8") }));
}

async function api(method, path, tenant, body) {
  const res = await fetch(`${url}${path}`, {
    method,
    headers: {
      Authorization: `Bearer ${token}`,
      "X-Docflare-Database": opts.database,
      ...(tenant ? { "X-Docflare-Tenant": tenant } : {}),
      ...(body ? { "Content-Type": "application/json" } : {}),
    },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await res.text();
  const json = text ? JSON.parse(text) : {};
  if (!res.ok) {
    const e = json.error ?? { code: `HTTP_${res.status}`, message: text.slice(0, 300) };
    throw Object.assign(new Error(`${e.code}: ${e.message}`), { body: json });
  }
  return json;
}

function report(tenant, result) {
  if (opts.json) return console.log(JSON.stringify({ tenant, ...result }));
  const where = `${tenant ?? "(token's tenant)"}/${result.database}`;
  if (command === "status") {
    for (const s of result.status)
      console.log(`${where}  ${s.state.padEnd(8)} ${s.id}${s.appliedAt ? `  (applied ${s.appliedAt})` : ""}`);
    if (result.status.length === 0) console.log(`${where}  no migrations`);
    return;
  }
  if (result.steps.length === 0) console.log(`${where}  nothing to ${command === "down" ? "revert" : "apply"}`);
  for (const s of result.steps) {
    console.log(`${where}  ${result.dryRun ? "would run" : "ran"} ${s.id} ${s.direction}() in ${s.durationMs} ms`);
    for (const p of s.plan ?? [])
      console.log(`    ${p.op} ${p.collection}${p.documents !== undefined ? `: ${p.documents} documents` : ""}`);
  }
}

const body = {
  command: command === "seed" ? "up" : command,
  kind: command === "seed" ? "seed" : "migration",
  migrations: command === "seed" ? files(join(opts.dir, "seeds")) : files(opts.dir),
  ...(steps !== undefined ? { steps } : {}),
  dryRun: opts["dry-run"],
};

const tenants = opts["all-tenants"] ? (await api("GET", "/api/migrations/tenants")).tenants : [opts.tenant];
let failed = false;
for (const [i, tenant] of tenants.entries()) {
  if (tenants.length > 1 && !opts.json) console.log(`[${i + 1}/${tenants.length}] ${tenant}`);
  try {
    report(tenant, await api("POST", "/api/migrations", tenant, body));
  } catch (err) {
    failed = true;
    console.error(`${tenant ?? "(token's tenant)"}/${opts.database}  ${err.message}`);
    if (!opts["all-tenants"]) break;
  }
}
process.exit(failed ? 1 : 0);
