/**
 * The documents screen's query lives in the URL (so a query, a page and a selected document are deep links). These
 * functions turn the URL's text fields into API parameters, report which field is not valid JSON, and render the
 * same query as curl, a Data API call and SDK code.
 */
export type DocQuery = { filter?: string; sort?: string; projection?: string; limit?: number; cursor?: string };
export type FieldError = { field: "filter" | "sort" | "projection"; message: string };

function parseObject(
  text: string | undefined,
  field: FieldError["field"],
): { value?: Record<string, unknown>; error?: FieldError } {
  const t = (text ?? "").trim();
  if (!t) return {};
  try {
    const value = JSON.parse(t);
    if (!value || typeof value !== "object" || Array.isArray(value))
      return { error: { field, message: `${field} must be a JSON object` } };
    return { value };
  } catch (err) {
    return { error: { field, message: `${field} is not valid JSON: ${(err as Error).message}` } };
  }
}

/** Validates the three JSON fields; the documents screen refuses to send while any has an error. */
export function checkQuery(q: DocQuery): FieldError[] {
  return (["filter", "sort", "projection"] as const)
    .map((f) => parseObject(q[f], f).error)
    .filter((e): e is FieldError => !!e);
}

/** Query-string parameters for GET /api/db/{collection}. */
export function toListParams(q: DocQuery, extra: Record<string, string> = {}): Record<string, string> {
  const params: Record<string, string> = {};
  for (const f of ["filter", "sort", "projection"] as const) {
    const v = parseObject(q[f], f).value;
    if (v && Object.keys(v).length) params[f] = JSON.stringify(v);
  }
  params.limit = String(q.limit ?? 50);
  if (q.cursor) params.cursor = q.cursor;
  return { ...params, ...extra };
}

/** The URL search object the router keeps; empty fields are dropped so links stay short. */
export function toSearch(q: DocQuery): Record<string, string | number> {
  const out: Record<string, string | number> = {};
  for (const [k, v] of Object.entries(q))
    if (v !== undefined && v !== "" && !(k === "limit" && v === 50)) out[k] = v as string | number;
  return out;
}

export function fromSearch(search: Record<string, unknown>): DocQuery {
  const str = (v: unknown) =>
    typeof v === "string" ? v : typeof v === "object" && v !== null ? JSON.stringify(v) : undefined;
  const limit = Number(search.limit);
  return {
    filter: str(search.filter),
    sort: str(search.sort),
    projection: str(search.projection),
    limit: Number.isInteger(limit) && limit > 0 && limit <= 1000 ? limit : undefined,
    cursor: typeof search.cursor === "string" ? search.cursor : undefined,
  };
}

const shellQuote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

export function asCurl(apiUrl: string, collection: string, q: DocQuery, tenantHeader?: string): string {
  const params = new URLSearchParams(toListParams({ ...q, cursor: undefined }));
  const url = `${apiUrl}/api/db/${encodeURIComponent(collection)}?${params}`;
  const tenant = tenantHeader ? ` -H ${shellQuote(`X-Docflare-Tenant: ${tenantHeader}`)}` : "";
  return `curl -s -H "Authorization: Bearer $DOCFLARE_TOKEN"${tenant} ${shellQuote(url)}`;
}

export function asDataApi(apiUrl: string, collection: string, q: DocQuery): string {
  const body: Record<string, unknown> = { dataSource: "docflare", database: "main", collection };
  for (const f of ["filter", "sort", "projection"] as const) {
    const v = parseObject(q[f], f).value;
    if (v) body[f] = v;
  }
  body.limit = q.limit ?? 50;
  return `curl -s -X POST ${shellQuote(`${apiUrl}/action/find`)} -H "apiKey: $DOCFLARE_TOKEN" -H 'content-type: application/json' -d ${shellQuote(JSON.stringify(body))}`;
}

/** TypeScript against the API's OpenAPI document (openapi-fetch), typed by `openapi-typescript <api>/openapi.json`. */
export function asSdk(apiUrl: string, collection: string, q: DocQuery): string {
  const query = toListParams({ ...q, cursor: undefined });
  return [
    `import createClient from "openapi-fetch";`,
    `import type { paths } from "./docflare"; // npx openapi-typescript ${apiUrl}/openapi.json -o docflare.d.ts`,
    ``,
    `const api = createClient<paths>({ baseUrl: ${JSON.stringify(apiUrl)}, headers: { Authorization: \`Bearer \${process.env.DOCFLARE_TOKEN}\` } });`,
    `const { data, error } = await api.GET("/api/db/{collection}", {`,
    `  params: { path: { collection: ${JSON.stringify(collection)} }, query: ${JSON.stringify(query)} },`,
    `});`,
  ].join("\n");
}
