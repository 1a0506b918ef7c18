/** Nearest-rank percentile of ascending numbers; null for none. */
export function percentile(sorted: number[], p: number): number | null {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

/** An epoch-milliseconds time as ISO 8601; null stays null. */
export const isoTime = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());
