import type { JsonSchema } from "./collection-schema";
import { typeName } from "./collection-schema";

/**
 * The TypeScript SDK served at /api/sdk/typescript: an interface per collection from its schema, and a small client
 * on `fetch` typed by them. Only erasable TypeScript (no enums, no parameter properties), so Node can run it with
 * type stripping as well as any bundler. Pure: the route passes the schemas.
 */
const quoteKey = (k: string) => (/^[A-Za-z_$][A-Za-z0-9_$]*$/.test(k) ? k : JSON.stringify(k));

/** A JSON Schema as a TypeScript type (the subset validators and inference produce). */
export function tsType(schema: JsonSchema, indent = ""): string {
  if (Array.isArray(schema.anyOf))
    return (schema.anyOf as JsonSchema[]).map((s) => tsType(s, indent)).join(" | ") || "unknown";
  if (Array.isArray(schema.oneOf))
    return (schema.oneOf as JsonSchema[]).map((s) => tsType(s, indent)).join(" | ") || "unknown";
  if (Array.isArray(schema.enum)) return (schema.enum as unknown[]).map((v) => JSON.stringify(v)).join(" | ");
  if (schema.const !== undefined) return JSON.stringify(schema.const);
  const types = Array.isArray(schema.type) ? (schema.type as string[]) : schema.type ? [schema.type as string] : [];
  if (types.length > 1) return types.map((t) => tsType({ ...schema, type: t }, indent)).join(" | ");
  switch (types[0]) {
    case "string":
      return "string";
    case "integer":
    case "number":
      return "number";
    case "boolean":
      return "boolean";
    case "null":
      return "null";
    case "array":
      return `Array<${schema.items ? tsType(schema.items as JsonSchema, indent) : "unknown"}>`;
    case "object":
      return objectType(schema, indent);
    default:
      return schema.properties ? objectType(schema, indent) : "unknown";
  }
}

function objectType(schema: JsonSchema, indent: string): string {
  const properties = (schema.properties ?? {}) as Record<string, JsonSchema>;
  const required = new Set((schema.required ?? []) as string[]);
  const inner = `${indent}  `;
  const lines = Object.entries(properties).map(
    ([k, v]) => `${inner}${quoteKey(k)}${required.has(k) ? "" : "?"}: ${tsType(v, inner)};`,
  );
  const open = schema.additionalProperties !== false && Object.keys(properties).length === 0;
  if (open) lines.push(`${inner}[key: string]: unknown;`);
  return lines.length ? `{\n${lines.join("\n")}\n${indent}}` : "Record<string, unknown>";
}

const CLIENT = `
export type Filter<T> = { [K in keyof T]?: T[K] | { [op: \`$\${string}\`]: unknown } } & { [key: string]: unknown };
export type Sort = Record<string, 1 | -1 | { $meta: "textScore" }>;
export type Stored<T> = T & { _id: unknown };

export interface Page<T> {
  documents: T[];
  count: number;
  nextCursor?: string;
}

export interface ListOptions<T> {
  filter?: Filter<T>;
  sort?: Sort;
  limit?: number;
  cursor?: string;
  fields?: string[];
}

export interface DocflareOptions {
  /** The API's origin, e.g. https://api.example.com */
  baseUrl: string;
  /** An API key (dfk_…) or an access token. */
  token: string;
  /** The tenant, for the admin token or an external issuer's token. */
  tenant?: string;
  /** The tenant database (default "main"). */
  database?: string;
  fetch?: typeof fetch;
}

/** An error answer of the API: its HTTP status and stable code. */
export class DocflareError extends Error {
  readonly status: number;
  readonly code: string;
  readonly details: unknown;
  constructor(status: number, code: string, message: string, details: unknown) {
    super(message);
    this.status = status;
    this.code = code;
    this.details = details;
  }
}

export class Docflare {
  readonly options: DocflareOptions;
  constructor(options: DocflareOptions) {
    this.options = options;
  }

  collection<K extends keyof Collections & string>(name: K): CollectionClient<Collections[K]> {
    return new CollectionClient<Collections[K]>(this, name);
  }

  async request<R>(method: string, path: string, body?: unknown, query?: Record<string, string>): Promise<R> {
    const url = new URL(this.options.baseUrl.replace(/\\/$/, "") + path);
    for (const [k, v] of Object.entries(query ?? {})) url.searchParams.set(k, v);
    const headers: Record<string, string> = { Authorization: \`Bearer \${this.options.token}\` };
    if (this.options.tenant) headers["X-Docflare-Tenant"] = this.options.tenant;
    if (this.options.database) headers["X-Docflare-Database"] = this.options.database;
    if (body !== undefined) headers["Content-Type"] = "application/json";
    const res = await (this.options.fetch ?? fetch)(url, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    const text = await res.text();
    const json = text ? JSON.parse(text) : undefined;
    if (!res.ok) {
      const e = json?.error ?? {};
      throw new DocflareError(res.status, e.code ?? \`HTTP_\${res.status}\`, e.message ?? res.statusText, e.details);
    }
    return json as R;
  }
}

export class CollectionClient<T> {
  readonly client: Docflare;
  readonly name: string;
  constructor(client: Docflare, name: string) {
    this.client = client;
    this.name = name;
  }

  private path(id?: string): string {
    return \`/api/db/\${encodeURIComponent(this.name)}\${id === undefined ? "" : \`/\${encodeURIComponent(id)}\`}\`;
  }

  list(options: ListOptions<T> = {}): Promise<Page<Stored<T>>> {
    const query: Record<string, string> = {};
    if (options.filter) query.filter = JSON.stringify(options.filter);
    if (options.sort) query.sort = JSON.stringify(options.sort);
    if (options.limit !== undefined) query.limit = String(options.limit);
    if (options.cursor) query.cursor = options.cursor;
    if (options.fields) query.fields = options.fields.join(",");
    return this.client.request("GET", this.path(), undefined, query);
  }

  get(id: string): Promise<Stored<T>> {
    return this.client.request("GET", this.path(id));
  }

  insert(document: T): Promise<{ insertedId: unknown }> {
    return this.client.request("POST", this.path(), document);
  }

  insertMany(documents: T[]): Promise<{ insertedIds: unknown[]; insertedCount: number }> {
    return this.client.request("POST", this.path(), documents);
  }

  /** A merge patch of fields, or update operators ({"$inc": {...}}). */
  update(id: string, patch: Partial<T> | { [op: \`$\${string}\`]: unknown }): Promise<Stored<T>> {
    return this.client.request("PATCH", this.path(id), patch);
  }

  replace(id: string, document: T): Promise<Stored<T>> {
    return this.client.request("PUT", this.path(id), document);
  }

  delete(id: string): Promise<{ deletedCount: number }> {
    return this.client.request("DELETE", this.path(id));
  }

  async count(filter?: Filter<T>): Promise<number> {
    const answer = await this.client.request<{ count: number }>("GET", this.path() + "/count", undefined, filter ? { filter: JSON.stringify(filter) } : {});
    return answer.count;
  }

  async aggregate<R = Record<string, unknown>>(pipeline: Array<Record<string, unknown>>): Promise<R[]> {
    return (await this.client.request<{ documents: R[] }>("POST", this.path() + "/aggregate", pipeline)).documents;
  }
}
`;

/** The SDK's source for a tenant database's collections. */
export function renderSdk(
  collections: Array<{ name: string; schema: JsonSchema }>,
  origin: { tenant: string; database: string },
): string {
  const used = new Set<string>();
  const types = collections.map((c) => {
    let name = typeName(c.name);
    while (used.has(name)) name = `${name}_`;
    used.add(name);
    return { ...c, type: name };
  });
  const header = `// Generated by Docflare (/api/sdk/typescript) for tenant "${origin.tenant}", database "${origin.database}".
// Regenerate it when collections or their schemas change.
`;
  const interfaces = types
    .map(
      (c) =>
        `/** A document of "${c.name}"${typeof c.schema.description === "string" ? ` (${c.schema.description})` : ""}. */\nexport type ${c.type} = ${tsType(c.schema)};`,
    )
    .join("\n\n");
  const map = `export interface Collections {\n${types.map((c) => `  ${JSON.stringify(c.name)}: ${c.type};`).join("\n")}\n}`;
  return `${header}\n${interfaces}\n\n${map}\n${CLIENT}`;
}
