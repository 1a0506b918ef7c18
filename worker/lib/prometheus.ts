/** A minimal Prometheus text-format registry: counters, gauges and histograms with labels. */
type Labels = Record<string, string>;

interface Family {
  help: string;
  type: "counter" | "gauge" | "histogram";
  samples: Map<string, { labels: Labels; value: number; buckets?: number[]; sum?: number; count?: number }>;
  buckets?: number[];
}

/** Callers pass a family's labels in one fixed order, so the values alone identify a sample (this runs per request). */
const key = (labels: Labels) => Object.values(labels).join("\u0000");
const escape = (v: string) => v.replace(/\\/g, "\\\\").replace(/\n/g, "\\n").replace(/"/g, '\\"');
const labelText = (labels: Labels, extra?: [string, string]) => {
  const parts = Object.entries(labels).map(([k, v]) => `${k}="${escape(v)}"`);
  if (extra) parts.push(`${extra[0]}="${extra[1]}"`);
  return parts.length ? `{${parts.join(",")}}` : "";
};

export class Metrics {
  private families = new Map<string, Family>();

  private family(name: string, type: Family["type"], help: string, buckets?: number[]): Family {
    let f = this.families.get(name);
    if (!f) {
      f = { help, type, samples: new Map(), buckets };
      this.families.set(name, f);
    }
    return f;
  }

  inc(name: string, help: string, labels: Labels = {}, by = 1): void {
    const f = this.family(name, "counter", help);
    const s = f.samples.get(key(labels)) ?? { labels, value: 0 };
    s.value += by;
    f.samples.set(key(labels), s);
  }

  set(name: string, help: string, labels: Labels, value: number): void {
    this.family(name, "gauge", help).samples.set(key(labels), { labels, value });
  }

  observe(name: string, help: string, buckets: number[], labels: Labels, value: number): void {
    const f = this.family(name, "histogram", help, buckets);
    const s = f.samples.get(key(labels)) ?? { labels, value: 0, buckets: buckets.map(() => 0), sum: 0, count: 0 };
    buckets.forEach((b, i) => {
      if (value <= b) s.buckets![i] += 1;
    });
    s.sum! += value;
    s.count! += 1;
    f.samples.set(key(labels), s);
  }

  render(): string {
    const out: string[] = [];
    for (const [name, f] of this.families) {
      out.push(`# HELP ${name} ${f.help}`, `# TYPE ${name} ${f.type}`);
      for (const s of f.samples.values()) {
        if (f.type !== "histogram") {
          out.push(`${name}${labelText(s.labels)} ${s.value}`);
          continue;
        }
        f.buckets!.forEach((b, i) =>
          out.push(`${name}_bucket${labelText(s.labels, ["le", String(b)])} ${s.buckets![i]}`),
        );
        out.push(
          `${name}_bucket${labelText(s.labels, ["le", "+Inf"])} ${s.count}`,
          `${name}_sum${labelText(s.labels)} ${s.sum}`,
          `${name}_count${labelText(s.labels)} ${s.count}`,
        );
      }
    }
    return `${out.join("\n")}\n`;
  }
}
