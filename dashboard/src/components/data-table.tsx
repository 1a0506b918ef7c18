import { useMemo, useRef } from "react";
import { createColumnHelper, flexRender, getCoreRowModel, useReactTable } from "@tanstack/react-table";
import { useVirtualizer } from "@tanstack/react-virtual";
import { displayValue, ejsonKind, getPath } from "../lib/format";

type Doc = Record<string, unknown>;
const helper = createColumnHelper<Doc>();

/**
 * Documents as a table: one column per field path, EJSON types shown as types, and only the rows in view are in
 * the DOM (a 10,000-row result builds a few dozen rows).
 */
export function DataTable({
  rows,
  columns,
  selected,
  onSelect,
  label,
}: {
  rows: Doc[];
  columns: string[];
  selected?: string;
  onSelect?: (row: Doc, index: number) => void;
  label: string;
}) {
  const defs = useMemo(
    () =>
      columns.map((path) =>
        helper.accessor((row) => getPath(row, path), {
          id: path,
          header: path,
          cell: (info) => {
            const v = info.getValue();
            const kind = ejsonKind(v);
            const typed = !["string", "number", "boolean", "null"].includes(kind);
            return (
              <>
                {displayValue(v)}
                {typed && v !== undefined ? <span className="type-tag">{kind}</span> : null}
              </>
            );
          },
        }),
      ),
    [columns],
  );
  const table = useReactTable({ data: rows, columns: defs, getCoreRowModel: getCoreRowModel() });
  const scroller = useRef<HTMLDivElement>(null);
  const model = table.getRowModel().rows;
  const virtual = useVirtualizer({
    count: model.length,
    getScrollElement: () => scroller.current,
    estimateSize: () => 29,
    overscan: 12,
  });
  const items = virtual.getVirtualItems();
  const top = items.length ? items[0].start : 0;
  const bottom = items.length ? virtual.getTotalSize() - items[items.length - 1].end : 0;
  return (
    <div
      className="vtable"
      ref={scroller}
      tabIndex={0}
      role="region"
      aria-label={label}
      data-testid="documents-table"
      data-rows={model.length}
    >
      <table>
        <thead>
          {table.getHeaderGroups().map((g) => (
            <tr key={g.id}>
              {g.headers.map((h) => (
                <th key={h.id} scope="col">
                  {flexRender(h.column.columnDef.header, h.getContext())}
                </th>
              ))}
            </tr>
          ))}
        </thead>
        <tbody>
          {top > 0 ? (
            <tr aria-hidden="true">
              <td style={{ height: top, padding: 0 }} colSpan={columns.length} />
            </tr>
          ) : null}
          {items.map((item) => {
            const row = model[item.index];
            const id = JSON.stringify(row.original._id);
            return (
              <tr
                key={row.id}
                data-selected={selected === id}
                tabIndex={0}
                onClick={() => onSelect?.(row.original, item.index)}
                onKeyDown={(e) => (e.key === "Enter" ? onSelect?.(row.original, item.index) : undefined)}
              >
                {row.getVisibleCells().map((cell) => (
                  <td key={cell.id}>{flexRender(cell.column.columnDef.cell, cell.getContext())}</td>
                ))}
              </tr>
            );
          })}
          {bottom > 0 ? (
            <tr aria-hidden="true">
              <td style={{ height: bottom, padding: 0 }} colSpan={columns.length} />
            </tr>
          ) : null}
        </tbody>
      </table>
    </div>
  );
}
