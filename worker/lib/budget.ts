import { AppError } from "./errors";
import { LIMITS } from "./limits";

/**
 * The work budget of one query or pipeline, like MongoDB's maxTimeMS. Work is counted in units (a document read, an
 * operator evaluated, a KiB of text scanned by a pattern) and checked against both a unit ceiling and the wall clock:
 * on Cloudflare the clock does not move during CPU work, so the unit ceiling is what stops a runaway query there;
 * locally both apply.
 */
export class Budget {
  private work = 0;
  private nextCheck = 1024;
  private readonly maxWork: number;
  private readonly deadline: number;

  constructor(readonly maxTimeMs: number = LIMITS.defaultMaxTimeMs) {
    this.maxWork = maxTimeMs * LIMITS.workUnitsPerMs;
    this.deadline = Date.now() + maxTimeMs;
  }

  charge(units: number): void {
    this.work += units;
    if (this.work >= this.nextCheck) this.check();
  }

  private check(): void {
    this.nextCheck = this.work + 1024;
    if (this.work > this.maxWork || Date.now() > this.deadline) {
      throw new AppError(
        400,
        "QUERY_BUDGET_EXCEEDED",
        `the query ran past its budget of ${this.maxTimeMs} ms (maxTimeMS); narrow the filter, add an index, or simplify the pipeline`,
        {
          maxTimeMS: this.maxTimeMs,
          workUnits: this.work,
        },
      );
    }
  }
}

let current: Budget | null = null;

/** Charges the budget of the query being evaluated; evaluation is synchronous, so there is one at a time. */
export function charge(units = 1): void {
  current?.charge(units);
}

export function withBudget<T>(budget: Budget, fn: () => T): T {
  const previous = current;
  current = budget;
  try {
    return fn();
  } finally {
    current = previous;
  }
}

/** A client's maxTimeMS, bounded by the server's ceiling. */
export function maxTimeFrom(value: unknown): number {
  if (value === undefined || value === null || value === "") return LIMITS.defaultMaxTimeMs;
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) {
    throw new AppError(400, "INVALID_PARAMETER", "maxTimeMS must be a positive integer", { parameter: "maxTimeMS" });
  }
  return Math.min(n, LIMITS.maxMaxTimeMs);
}
