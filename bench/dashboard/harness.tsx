/**
 * The dashboard's documents table alone, fed synthetic documents, for bench/dashboard.mjs: how many rows it puts
 * in the DOM for 10,000 documents, and how long a page of 50 takes from data to painted frame.
 */
import { StrictMode, useLayoutEffect, useState } from "react";
import { createRoot } from "react-dom/client";
import { Theme } from "@radix-ui/themes";
import "@radix-ui/themes/styles.css";
import "../../dashboard/src/styles.css";
import { DataTable } from "../../dashboard/src/components/data-table";

type Doc = Record<string, unknown>;
const COLUMNS = ["_id", "name", "qty", "price", "at", "tags", "addr.city"];
const make = (n: number, offset = 0): Doc[] =>
  Array.from({ length: n }, (_, i) => ({
    _id: { $oid: (offset + i).toString(16).padStart(24, "0") },
    name: `item ${offset + i}`,
    qty: (offset + i) % 1000,
    price: { $numberDecimal: `${(offset + i) % 97}.99` },
    at: { $date: new Date(1_700_000_000_000 + (offset + i) * 1000).toISOString() },
    tags: ["a", "b"],
    addr: { city: "Paris" },
  }));

declare global {
  interface Window {
    show: (n: number) => Promise<number>;
  }
}

let setRows: (rows: Doc[]) => void = () => {};
let committed: () => void = () => {};

function App() {
  const [rows, set] = useState<Doc[]>([]);
  setRows = set;
  useLayoutEffect(() => {
    committed();
  }, [rows]);
  return (
    <Theme>
      <DataTable label="bench" rows={rows} columns={COLUMNS} />
    </Theme>
  );
}

/**
 * Sets `n` fresh rows and resolves with the main-thread milliseconds from data to rows in the DOM (React's commit).
 * Work under one frame's 16.7 ms means the rows are painted in the first frame after the data arrives.
 */
window.show = (n) =>
  new Promise((resolve) => {
    const docs = make(n, Math.floor(Math.random() * 1e6));
    const start = performance.now();
    committed = () => {
      const work = performance.now() - start;
      requestAnimationFrame(() => resolve(work));
    };
    setRows(docs);
  });

createRoot(document.getElementById("root")!).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
