import { createRoute, z } from "@hono/zod-openapi";
import type { Context } from "hono";
import type { AppEnv } from "../app-env";
import { badRequest } from "../lib/errors";
import type { Doc } from "../lib/ejson";
import { filterFromQuery, parseProjection, parseSort } from "../lib/list-params";
import { LIMITS } from "../lib/limits";
import {
  collectColumns,
  CONTENT_TYPE,
  csvHeader,
  csvRows,
  encodePage,
  EXPORT_FORMATS,
  fileName,
  type ExportFormat,
} from "../lib/export-format";
import { xlsxStream } from "../lib/xlsx-writer";
import type { DocumentStore, FindQuery } from "../store/types";
import { byteStream } from "../lib/byte-stream";
import { bearer, documented, errorResponses, resourceApp } from "./openapi";

const app = resourceApp();

const exportRoute = createRoute({
  method: "get",
  path: "/{collection}/export",
  tags: ["Documents"],
  security: bearer,
  summary: "Export the documents a listing would return, as CSV, NDJSON, JSON, EJSON or XLSX (streamed)",
  description:
    "Same `filter`, field shorthands, `sort` and `fields`/`projection` as listing. CSV and XLSX flatten nested fields to dotted columns; CSV neutralises formula cells (XLSX cells are values, never formulas).",
  request: {
    params: z.object({ collection: z.string() }),
    query: z
      .object({
        format: z.enum(EXPORT_FORMATS).default("ndjson"),
        filter: z.string().optional(),
        sort: z.string().optional(),
        fields: z.string().optional(),
        projection: z.string().optional(),
      })
      .passthrough(),
  },
  responses: { 200: { description: "The file, as an attachment" }, ...errorResponses },
});

type Base = Omit<FindQuery, "limit" | "cursor">;
type Page = { documents: Doc[]; nextCursor?: string };

const firstPage = (store: DocumentStore, collection: string, base: Base): Promise<Page> =>
  store.find(collection, { ...base, limit: LIMITS.maxPageSize });

/**
 * The pages of a query over the keyset cursor, one at a time: the export holds one page in memory, never the set.
 * Starts from a page already read, when there is one.
 */
async function* pages(store: DocumentStore, collection: string, base: Base, first?: Page): AsyncGenerator<Doc[]> {
  let page = first ?? (await firstPage(store, collection, base));
  for (;;) {
    yield page.documents;
    if (!page.nextCursor) return;
    page = await store.find(collection, { ...base, limit: LIMITS.maxPageSize, cursor: page.nextCursor });
  }
}

async function* encode(
  store: DocumentStore,
  collection: string,
  format: ExportFormat,
  base: Base,
  first: Page,
): AsyncGenerator<string | Uint8Array> {
  if (format === "csv" || format === "xlsx") {
    // Sheets need their columns before their first row: a first pass collects them (keys only), a second writes rows.
    const columns = new Set<string>();
    for await (const docs of pages(store, collection, base, first)) for (const d of docs) collectColumns(d, columns);
    const list = [...columns];
    if (format === "xlsx") {
      yield* xlsxStream(collection, list, pages(store, collection, base));
      return;
    }
    yield csvHeader(list);
    for await (const docs of pages(store, collection, base)) yield csvRows(docs, list);
    return;
  }
  if (format !== "ndjson") yield "[";
  let opening = true;
  for await (const docs of pages(store, collection, base, first)) {
    const text = encodePage(format, docs, opening);
    if (text) opening = false;
    yield text;
  }
  if (format !== "ndjson") yield opening ? "]\n" : "\n]\n";
}

documented(app, exportRoute, async (c: Context<AppEnv>) => {
  const collection = c.req.param("collection")!;
  const params = new URL(c.req.url).searchParams;
  const format = (params.get("format") ?? "ndjson") as ExportFormat;
  if (!EXPORT_FORMATS.includes(format))
    throw badRequest("INVALID_PARAMETER", `format must be one of ${EXPORT_FORMATS.join(", ")}`, {
      parameter: "format",
    });
  params.delete("format");
  const base = {
    filter: filterFromQuery(params),
    sort: parseSort(params.get("sort")),
    projection: parseProjection(params.get("fields") ?? params.get("projection")),
  };
  const store = c.get("store")();
  // The first page is read before answering, so a refused query or an unknown operator is a 4xx, not a broken stream.
  const first = await firstPage(store, collection, base);
  return new Response(byteStream(encode(store, collection, format, base, first), `${collection}.${format}`), {
    headers: {
      "Content-Type": CONTENT_TYPE[format],
      "Content-Disposition": `attachment; filename="${fileName(collection, format)}"`,
      "Cache-Control": "no-store",
    },
  });
});

export default app;
