import { lazy, Suspense } from "react";
import { Empty, Loading } from "./states";

export type ChartProps = {
  /** Unix seconds. */
  x: number[];
  series: { label: string; values: (number | null)[] }[];
  height?: number;
  label: string;
};

/** uPlot loads only on screens that draw a chart. */
const Impl = lazy(() => import("./chart-impl"));

export function Chart(props: ChartProps) {
  if (props.x.length === 0) return <Empty>No data for {props.label.toLowerCase()} yet.</Empty>;
  return (
    <Suspense fallback={<Loading label="Loading chart" />}>
      <Impl {...props} />
    </Suspense>
  );
}

/** A success-rate trend small enough for a table row: an inline SVG polyline of 0..1 values. */
export function Sparkline({ values, label }: { values: number[]; label: string }) {
  if (values.length < 2) return <span aria-label={label}>—</span>;
  const w = 80;
  const h = 20;
  const points = values.map((v, i) => `${(i / (values.length - 1)) * w},${h - v * (h - 2) - 1}`).join(" ");
  return (
    <svg className="spark" width={w} height={h} role="img" aria-label={label}>
      <polyline points={points} fill="none" stroke="var(--accent-9)" strokeWidth="1.5" />
    </svg>
  );
}
