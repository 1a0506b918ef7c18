/** Percentile of a list of samples. */
export const pct = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)];
};

/** Runs `fn` n times in a row; samples in milliseconds times `scale` (1000 for microseconds). */
export async function timed(n, fn, scale = 1) {
  const samples = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    await fn(i);
    samples.push((performance.now() - t) * scale);
  }
  return { p50: pct(samples, 50), p99: pct(samples, 99), mean: samples.reduce((a, b) => a + b, 0) / samples.length };
}
