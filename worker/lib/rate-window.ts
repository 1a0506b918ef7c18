/** One send as the limiter sees it: when its slot was taken and when its request finished (null while in flight). */
export interface SendSpan {
  at: number;
  doneAt: number | null;
}

/**
 * Sliding-window limiter arithmetic. The receiver sees a request at some moment between taking the slot and the
 * response, so a send keeps occupying the window until `windowMs` after it finished (an in-flight one until
 * `maxInFlightMs` after it started). That way no `windowMs` stretch at the receiver can hold more than `limit`.
 * Returns the wait before a slot frees up, or 0 when one is free now.
 */
export function waitForSlot(
  sends: SendSpan[],
  now: number,
  limit: number,
  windowMs: number,
  maxInFlightMs: number,
): number {
  const frees = sends
    .map((s) => (s.doneAt === null ? s.at + maxInFlightMs + windowMs : s.doneAt + windowMs))
    .filter((t) => t > now)
    .sort((a, b) => a - b);
  if (frees.length < limit) return 0;
  return frees[frees.length - limit] - now;
}
