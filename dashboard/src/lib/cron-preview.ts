import { Cron } from "croner";
import cronstrue from "cronstrue";

/** A cron expression in words, its next runs in a time zone, or the reason it is not valid (as the API would say). */
export type CronPreview = { ok: true; description: string; next: Date[] } | { ok: false; error: string };

export function previewCron(expression: string, timezone = "UTC", count = 5, from = new Date()): CronPreview {
  const expr = expression.trim();
  if (!expr) return { ok: false, error: "enter a schedule" };
  const fields = expr.split(/\s+/).length;
  if (fields < 5 || fields > 6)
    return { ok: false, error: `a schedule has 5 or 6 fields (seconds first); this has ${fields}` };
  try {
    const cron = new Cron(expr, { timezone, paused: true });
    const next = cron.nextRuns(count, from);
    cron.stop();
    let description: string;
    try {
      description = cronstrue.toString(expr, { use24HourTimeFormat: true, verbose: true });
    } catch {
      description = expr;
    }
    return { ok: true, description, next };
  } catch (err) {
    return { ok: false, error: (err as Error).message };
  }
}

/** A run time as the chosen zone's wall clock, so "every day at 09:00 Europe/Paris" reads 09:00. */
export function formatInZone(at: Date, timezone: string): string {
  return new Intl.DateTimeFormat("en-GB", {
    timeZone: timezone,
    year: "numeric",
    month: "short",
    day: "2-digit",
    weekday: "short",
    hour: "2-digit",
    minute: "2-digit",
    second: "2-digit",
    hour12: false,
  }).format(at);
}

/**
 * Runs the schedule owed between its last recorded run and a minute ago (the grace a tick needs to be recorded).
 * Counted up to 100; "100+" past that. No last run means nothing is known to be missed.
 */
export function missedRuns(
  expression: string,
  timezone: string,
  lastScheduledAt: string | null,
  now = new Date(),
): string {
  if (!lastScheduledAt) return "0";
  const until = now.getTime() - 60_000;
  try {
    const cron = new Cron(expression, { timezone, paused: true });
    let count = 0;
    let at: Date | null = new Date(lastScheduledAt);
    while (count <= 100 && (at = cron.nextRun(at)) && at.getTime() <= until) count++;
    cron.stop();
    return count > 100 ? "100+" : String(count);
  } catch {
    return "—";
  }
}
