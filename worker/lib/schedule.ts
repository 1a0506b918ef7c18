import { parseSchedule } from "./script-config";

export interface Job {
  scriptId: string;
  schedule: string;
  timezone: string;
  paused: boolean;
  /** Epoch ms of the next run still owed; null when the schedule has no future run. */
  nextAt: number | null;
}

export interface DueRun {
  scriptId: string;
  /** The scheduled time this run stands for: its identity, so (script, scheduledAt) runs once. */
  scheduledAt: number;
  /** Scheduled times that passed unrun (downtime) and were folded into this one run. */
  missed: number;
}

/** The first scheduled time strictly after `after`, or null. */
export function nextAfter(schedule: string, timezone: string, after: number): number | null {
  return parseSchedule(schedule, timezone).nextRun(new Date(after))?.getTime() ?? null;
}

export function upcoming(schedule: string, timezone: string, after: number, n: number): number[] {
  return parseSchedule(schedule, timezone)
    .nextRuns(n, new Date(after))
    .map((d) => d.getTime());
}

const MAX_COUNTED_MISSES = 1000;

/**
 * What is due at `now`: each active job whose next time has come runs once. When several of its times passed (the
 * coordinator was down), they collapse into one run standing for the latest of them, and the job moves on to the
 * first time after `now` — a missed schedule runs once, not once per missed tick.
 */
export function dueRuns(jobs: Job[], now: number): { runs: DueRun[]; next: Map<string, number | null> } {
  const runs: DueRun[] = [];
  const next = new Map<string, number | null>();
  for (const job of jobs) {
    if (job.paused || job.nextAt === null || job.nextAt > now) continue;
    const cron = parseSchedule(job.schedule, job.timezone);
    let scheduledAt = job.nextAt;
    let missed = 0;
    for (
      let t = cron.nextRun(new Date(scheduledAt))?.getTime();
      t !== undefined && t <= now;
      t = cron.nextRun(new Date(t))?.getTime()
    ) {
      missed += 1;
      scheduledAt = t;
      if (missed >= MAX_COUNTED_MISSES) {
        scheduledAt = cron.previousRuns(1, new Date(now + 1))[0]?.getTime() ?? scheduledAt;
        break;
      }
    }
    runs.push({ scriptId: job.scriptId, scheduledAt, missed });
    next.set(job.scriptId, cron.nextRun(new Date(now))?.getTime() ?? null);
  }
  return { runs, next };
}

/** When the coordinator must wake next: the earliest next time of an active job. */
export function nextWake(jobs: Job[]): number | null {
  let min: number | null = null;
  for (const j of jobs) if (!j.paused && j.nextAt !== null && (min === null || j.nextAt < min)) min = j.nextAt;
  return min;
}

/** The run key: one per (script, event) or (script, scheduled time). */
export function runKey(scriptId: string, subject: string): string {
  return `${scriptId}:${subject}`;
}

/** The subject (an event id, for event runs) a run key was built from. */
export function eventIdOf(key: string, scriptId: string): string {
  return key.slice(scriptId.length + 1);
}
