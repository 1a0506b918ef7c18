/** The few totals the cluster screen charts, read out of the Prometheus text exposition. */
export type Sample = { requests: number; errors: number; locksHeld: number };

export function parseMetrics(text: string): Sample {
  const sample: Sample = { requests: 0, errors: 0, locksHeld: 0 };
  for (const line of text.split("\n")) {
    if (line.startsWith("#") || !line.trim()) continue;
    const m = /^([a-zA-Z_:][\w:]*)(\{[^}]*\})?\s+(-?[\d.eE+]+|NaN)$/.exec(line.trim());
    if (!m) continue;
    const value = Number(m[3]);
    if (!Number.isFinite(value)) continue;
    if (m[1] === "docflare_http_requests_total") sample.requests += value;
    else if (m[1] === "docflare_http_errors_total") sample.errors += value;
    else if (m[1] === "docflare_locks_held") sample.locksHeld = value;
  }
  return sample;
}
