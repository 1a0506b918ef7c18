/**
 * Login throttling, per account and per client address: the first failures cost nothing, then each one doubles the
 * wait before the next try, and `LOCK_AFTER` failures in a row lock for `LOCK_MS`. A success clears the record;
 * failures older than `FORGET_MS` are forgotten.
 */
export const THROTTLE = {
  freeFailures: 3,
  baseDelayMs: 1_000,
  lockAfter: 10,
  lockMs: 15 * 60_000,
  forgetMs: 60 * 60_000,
};

export interface ThrottleState {
  failures: number;
  lastFailureAt: number;
}

/** How long the next try must wait (0: it may go now). */
export function waitBeforeTry(state: ThrottleState | null, now: number): number {
  if (!state || now - state.lastFailureAt > THROTTLE.forgetMs) return 0;
  if (state.failures >= THROTTLE.lockAfter) return Math.max(0, state.lastFailureAt + THROTTLE.lockMs - now);
  if (state.failures < THROTTLE.freeFailures) return 0;
  const delay = THROTTLE.baseDelayMs * 2 ** (state.failures - THROTTLE.freeFailures);
  return Math.max(0, state.lastFailureAt + delay - now);
}

export function afterFailure(state: ThrottleState | null, now: number): ThrottleState {
  const fresh = !state || now - state.lastFailureAt > THROTTLE.forgetMs;
  return { failures: fresh ? 1 : state!.failures + 1, lastFailureAt: now };
}
