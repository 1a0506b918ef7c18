import { badRequest, AppError } from "./errors";

/**
 * Migrations: numbered files (`0001_create_orders.js`) exporting `up(ctx)` and `down(ctx)`, applied in order and
 * recorded in the database's `_migrations` collection with a checksum of their code. Pure: which files to run for a
 * command, and what a status report says; the runner (worker/migrations/runner.ts) executes them.
 */
export const MIGRATION_ID = /^\d{4,}_[A-Za-z0-9_.-]{1,100}$/;
export const MIGRATIONS_COLLECTION = "_migrations";
export const MAX_MIGRATIONS = 500;

export interface MigrationFile {
  id: string;
  code: string;
}

export interface AppliedRecord {
  _id: string;
  checksum: string;
  appliedAt: Date | string;
  durationMs: number;
  fencingToken: number;
  kind?: "migration" | "seed";
}

export type MigrationState = "applied" | "pending" | "modified" | "missing";

export interface StatusLine {
  id: string;
  state: MigrationState;
  appliedAt?: string;
}

/** Files as sent: unique ids of the numbered form, in id order. */
export function checkFiles(files: MigrationFile[]): MigrationFile[] {
  if (files.length > MAX_MIGRATIONS)
    throw badRequest("TOO_MANY_MIGRATIONS", `at most ${MAX_MIGRATIONS} migration files per call`);
  const seen = new Set<string>();
  for (const f of files) {
    if (!MIGRATION_ID.test(f.id))
      throw badRequest(
        "INVALID_MIGRATION_ID",
        `"${f.id}" is not a migration id: a number of 4 or more digits, "_", a name (0001_create_orders)`,
        { id: f.id },
      );
    if (seen.has(f.id)) throw badRequest("DUPLICATE_MIGRATION", `migration "${f.id}" is listed twice`, { id: f.id });
    seen.add(f.id);
  }
  return [...files].sort((a, b) => a.id.localeCompare(b.id, "en", { numeric: true }));
}

const iso = (v: Date | string) => (v instanceof Date ? v.toISOString() : v);

/** Each file's state against the records, and records whose file is gone. */
export function statusOf(
  files: MigrationFile[],
  checksums: Map<string, string>,
  records: AppliedRecord[],
): StatusLine[] {
  const byId = new Map(records.map((r) => [r._id, r]));
  const lines: StatusLine[] = files.map((f) => {
    const r = byId.get(f.id);
    if (!r) return { id: f.id, state: "pending" };
    return {
      id: f.id,
      state: r.checksum === checksums.get(f.id) ? "applied" : "modified",
      appliedAt: iso(r.appliedAt),
    };
  });
  const known = new Set(files.map((f) => f.id));
  for (const r of records)
    if (!known.has(r._id)) lines.push({ id: r._id, state: "missing", appliedAt: iso(r.appliedAt) });
  return lines.sort((a, b) => a.id.localeCompare(b.id, "en", { numeric: true }));
}

/** An applied file that was edited since is refused: its recorded effect no longer matches its code. */
export function refuseModified(status: StatusLine[]): void {
  const modified = status.filter((s) => s.state === "modified").map((s) => s.id);
  if (modified.length) {
    throw new AppError(
      409,
      "MIGRATION_MODIFIED",
      `applied migration${modified.length > 1 ? "s" : ""} ${modified.join(", ")} changed since applied; restore the file or add a new migration`,
      { ids: modified },
    );
  }
}

/** The files `up` runs: pending ones in order, at most `steps`. */
export function pendingFiles(files: MigrationFile[], status: StatusLine[], steps?: number): MigrationFile[] {
  const pending = new Set(status.filter((s) => s.state === "pending").map((s) => s.id));
  const list = files.filter((f) => pending.has(f.id));
  return steps === undefined ? list : list.slice(0, steps);
}

/** The files `down` reverts: the last applied ones, newest first, `steps` of them (default 1). */
export function revertFiles(files: MigrationFile[], status: StatusLine[], steps = 1): MigrationFile[] {
  const applied = status
    .filter((s) => s.state === "applied" || s.state === "missing")
    .reverse()
    .slice(0, steps);
  return applied.map((s) => {
    const file = files.find((f) => f.id === s.id);
    if (!file)
      throw new AppError(
        409,
        "MIGRATION_FILE_MISSING",
        `migration ${s.id} is applied but its file was not sent; its down() is needed to revert it`,
        { id: s.id },
      );
    return file;
  });
}

/** The module as the sandbox runs it: the file's `up`/`down` named exports, chosen by the step's direction. */
export function runnableModule(code: string): string {
  return `${code}
;export default async (step, ctx) => {
  const fn = step.direction === "up" ? (typeof up === "function" ? up : undefined) : (typeof down === "function" ? down : undefined);
  if (!fn) throw new Error("a migration exports async functions up(ctx) and down(ctx); " + step.direction + " is missing");
  return fn(ctx);
};
`;
}
