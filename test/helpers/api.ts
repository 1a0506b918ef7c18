import { exports } from "cloudflare:workers";

export const ADMIN = "test-admin-token";
const BASE = "http://docflare.test";

export interface CallOptions {
  token?: string | null;
  tenant?: string;
  body?: unknown;
  rawBody?: string | Uint8Array;
  headers?: Record<string, string>;
}

/** Calls the Worker's own fetch handler in-process (real routing, real Durable Objects). */
export async function call(method: string, path: string, options: CallOptions = {}) {
  const headers: Record<string, string> = { ...(options.headers ?? {}) };
  const token = options.token === undefined ? ADMIN : options.token;
  if (token) headers.Authorization = `Bearer ${token}`;
  if (options.tenant) headers["X-Docflare-Tenant"] = options.tenant;
  let body: string | Uint8Array | undefined = options.rawBody;
  if (options.body !== undefined) {
    body = JSON.stringify(options.body);
    headers["Content-Type"] ??= "application/json";
  }
  const res = await exports.default.fetch(new Request(`${BASE}${path}`, { method, headers, body }));
  const text = await res.text();
  let json: any = undefined;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  return { status: res.status, headers: res.headers, json, text };
}

let counter = 0;
/** A collection name unique to this test run, so tests never see each other's documents. */
export function uniqueName(prefix = "c"): string {
  counter++;
  return `${prefix}_${Date.now().toString(36)}_${counter}`;
}

export async function createKey(role: "read" | "write" | "admin", tenant: string, collections?: string[]) {
  const res = await call("POST", "/api/keys", { body: { name: `${role} key`, role, tenant, collections } });
  if (res.status !== 201) throw new Error(`key creation failed: ${res.status} ${res.text}`);
  return res.json.token as string;
}
