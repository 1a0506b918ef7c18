/**
 * Sliding-window limiter arithmetic: at most `limit` sends in any `windowMs`. `sends` are the times of earlier sends
 * (any order). Returns the wait before a slot frees up, or 0 when one is free now.
 */
export function waitForSlot(sends: number[], now: number, limit: number, windowMs: number): number {
  const recent = sends.filter((t) => t > now - windowMs).sort((a, b) => a - b);
  if (recent.length < limit) return 0;
  return recent[recent.length - limit] + windowMs - now;
}
