/** Success rate over the latest finished deliveries, oldest first, in windows of `window` deliveries. */
export function successTrend(deliveries: { status: string; createdAt: string }[], window = 5): number[] {
  const done = deliveries
    .filter((d) => d.status === "delivered" || d.status === "failed")
    .sort((a, b) => a.createdAt.localeCompare(b.createdAt));
  const out: number[] = [];
  for (let i = 0; i < done.length; i += window) {
    const chunk = done.slice(i, i + window);
    out.push(chunk.filter((d) => d.status === "delivered").length / chunk.length);
  }
  return out;
}

/** Percentile of a list of numbers (nearest rank), null when empty. */
export function percentile(values: number[], p: number): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}
