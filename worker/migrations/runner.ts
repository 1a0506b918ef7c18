import { AppError, unwrap } from "../lib/errors";
import type { Doc } from "../lib/ejson";
import { sha256Hex } from "../lib/hash";
import type { Principal } from "../lib/roles";
import {
  checkFiles,
  MIGRATIONS_COLLECTION,
  pendingFiles,
  refuseModified,
  revertFiles,
  runnableModule,
  statusOf,
  type AppliedRecord,
  type MigrationFile,
  type StatusLine,
} from "../lib/migration-plan";
import { lockOf } from "../stubs";
import { scriptHost } from "../scripts/host";
import { scriptRunner } from "../scripts/index";
import { scriptSettings } from "../scripts/settings";
import { MEMORY_MB, TIMEOUT_MS } from "../lib/script-config";
import { storeFor } from "../store";
import { policed } from "../store/policed";
import type { DocumentStore } from "../store/types";
import { dryRunStore, type PlannedChange } from "./dry-run-store";

export type MigrationCommand = "status" | "up" | "down";

export interface MigrationRequest {
  command: MigrationCommand;
  files: MigrationFile[];
  steps?: number;
  dryRun: boolean;
  /** "seed": the files are sample data, recorded as seed:<id> and only ever applied (never reverted). */
  kind: "migration" | "seed";
}

export interface StepOutcome {
  id: string;
  direction: "up" | "down";
  durationMs: number;
  plan?: PlannedChange[];
}

/** How long the migration lock lives between renewals; each step renews it. */
const LOCK_TTL_MS = 120_000;

const recordId = (kind: MigrationRequest["kind"], id: string) => (kind === "seed" ? `seed:${id}` : id);

async function appliedRecords(store: DocumentStore, kind: MigrationRequest["kind"]): Promise<AppliedRecord[]> {
  const prefix = { _id: { $regex: "^seed:" } };
  const filter = kind === "seed" ? prefix : { _id: { $not: { $regex: "^seed:" } } };
  const found = await store.find(MIGRATIONS_COLLECTION, { filter, sort: { _id: 1 }, limit: 1000 });
  return (found.documents as unknown as AppliedRecord[]).map((r) =>
    kind === "seed" ? { ...r, _id: r._id.slice(5) } : r,
  );
}

/** Runs one file's up() or down() in the script sandbox, with `ctx.api` on the tenant database (or a dry-run store). */
async function runStep(
  env: Env,
  tenant: string,
  store: DocumentStore,
  file: MigrationFile,
  direction: "up" | "down",
  checksum: string,
): Promise<number> {
  const started = Date.now();
  const outcome = await scriptRunner(env).run({
    versionId: `migration-${checksum}`,
    code: runnableModule(file.code),
    eventJson: JSON.stringify({ direction, migration: file.id }),
    limits: {
      timeoutMs: TIMEOUT_MS.max,
      memoryBytes: MEMORY_MB.max * 1024 * 1024,
      stackBytes: scriptSettings(env).stackBytes,
    },
    host: scriptHost(env, { tenant, chainDepth: 0, allowedHosts: [], store }),
  });
  if (!outcome.ok) {
    const e = outcome.error!;
    throw new AppError(
      400,
      "MIGRATION_FAILED",
      `${file.id} ${direction}(): ${e.name}: ${e.message}${e.line ? ` (line ${e.line})` : ""}`,
      {
        id: file.id,
        direction,
        code: e.code,
        line: e.line ?? null,
        logs: outcome.logs.slice(-20),
      },
    );
  }
  return Date.now() - started;
}

/**
 * Applies (up), reverts (down) or reports (status) migrations on one tenant database. Holds the database's
 * migration lock for the whole run, renewing it before every step and writing its fencing token into each record,
 * so two runners never interleave and a runner that lost the lock stops before writing.
 */
export async function migrate(env: Env, principal: Principal, database: string, request: MigrationRequest) {
  const files = checkFiles(request.files);
  const store = policed(storeFor(env, principal.tenant, database), principal);
  const checksums = new Map(
    await Promise.all(files.map(async (f) => [f.id, await sha256Hex(f.code)] as [string, string])),
  );
  const status = (records: AppliedRecord[]): StatusLine[] => statusOf(files, checksums, records);

  if (request.command === "status") return { database, status: status(await appliedRecords(store, request.kind)) };
  if (request.kind === "seed" && request.command === "down")
    throw new AppError(400, "SEEDS_NOT_REVERSIBLE", "seeds are only applied; drop the data, or write a migration");

  const lock = lockOf(env, principal.tenant, `docflare:migrations:${database}`);
  const holder = `migrations:${crypto.randomUUID()}`;
  let token: number | null = null;
  if (!request.dryRun) {
    const granted = unwrap(await lock.acquire(holder, LOCK_TTL_MS, 0));
    if (!granted.acquired)
      throw new AppError(
        409,
        "MIGRATION_LOCKED",
        `another migration run holds database "${database}" until ${granted.expiresAt}`,
        { holder: granted.holder, expiresAt: granted.expiresAt },
      );
    token = granted.token!;
  }
  try {
    const before = status(await appliedRecords(store, request.kind));
    refuseModified(before);
    const direction = request.command;
    const chosen =
      direction === "up" ? pendingFiles(files, before, request.steps) : revertFiles(files, before, request.steps);
    const done: StepOutcome[] = [];
    for (const file of chosen) {
      const checksum = checksums.get(file.id)!;
      if (request.dryRun) {
        const plan: PlannedChange[] = [];
        const durationMs = await runStep(env, principal.tenant, dryRunStore(store, plan), file, direction, checksum);
        done.push({ id: file.id, direction, durationMs, plan });
        continue;
      }
      unwrap(await lock.renew(token!, LOCK_TTL_MS));
      try {
        const durationMs = await runStep(env, principal.tenant, store, file, direction, checksum);
        // The lock is checked again before the record: a runner that lost it must not claim the step.
        unwrap(await lock.renew(token!, LOCK_TTL_MS));
        const id = recordId(request.kind, file.id);
        if (direction === "up") {
          const record: Doc = {
            _id: id,
            checksum,
            appliedAt: new Date(),
            durationMs,
            fencingToken: token!,
            kind: request.kind,
          };
          await store.replaceOne(MIGRATIONS_COLLECTION, { _id: id }, record, { upsert: true });
        } else await store.deleteOne(MIGRATIONS_COLLECTION, { _id: id });
        done.push({ id: file.id, direction, durationMs });
      } catch (err) {
        if (err instanceof AppError) {
          const note = done.length
            ? `; before it, ${done.map((d) => d.id).join(", ")} ${direction === "up" ? "were applied" : "were reverted"}`
            : "";
          throw new AppError(err.status, err.code, `${err.message}${note}`, {
            ...(err.details as object | undefined),
            completed: done.map((d) => d.id),
          });
        }
        throw err;
      }
    }
    return {
      database,
      command: direction,
      dryRun: request.dryRun,
      ...(token !== null ? { fencingToken: token } : {}),
      steps: done,
      status: request.dryRun ? before : status(await appliedRecords(store, request.kind)),
    };
  } finally {
    if (token !== null) await lock.release(token);
  }
}
