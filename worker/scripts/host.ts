import { fromJson, stringify, type Doc } from "../lib/ejson";
import { AppError } from "../lib/errors";
import { readCapped } from "../lib/capped-read";
import { hostAllowed } from "../lib/script-config";
import { checkOutboundUrl } from "../lib/ssrf";
import { storeFor } from "../store";
import { policed } from "../store/policed";
import type { DocumentStore, IndexKeys, IndexOptions } from "../store/types";
import { outboundPolicy } from "../webhooks/settings";
import type { ApiOperation, ScriptHost } from "./runner";

/** Bounds per run, so a script cannot turn one event into unbounded work. */
export const HOST_LIMITS = {
  calls: 1000,
  fetches: 20,
  fetchTimeoutMs: 10_000,
  responseBytes: 1 << 20,
  findLimit: 1000,
};

export interface HostScope {
  tenant: string;
  /** Chain depth of the triggering event; the script's writes carry one more. */
  chainDepth: number;
  allowedHosts: string[];
  /** The tenant database `ctx.api` works on (the script's `database`, "main" by default). */
  database?: string;
  /** The store `ctx.api` uses instead (migrations: the caller's store, or a dry run's). */
  store?: DocumentStore;
}

const args = (argsJson: string) => {
  const value = fromJson(JSON.parse(argsJson), "arguments");
  if (!Array.isArray(value)) throw new AppError(400, "INVALID_ARGUMENTS", "arguments must be a list");
  return value as unknown[];
};
const doc = (v: unknown, what: string): Doc => {
  if (v === null || v === undefined) return {};
  if (typeof v !== "object" || Array.isArray(v))
    throw new AppError(400, "INVALID_ARGUMENTS", `${what} must be an object`);
  return v as Doc;
};
const name = (v: unknown): string => {
  if (typeof v !== "string")
    throw new AppError(400, "INVALID_ARGUMENTS", "the first argument must be a collection name");
  return v;
};

type Op = (store: DocumentStore, a: unknown[]) => Promise<unknown>;

/** ctx.api: the tenant's collections through the same policed store as the HTTP API. Options mirror the Data API. */
const OPS: Record<ApiOperation, Op> = {
  find: async (s, [c, f, o]) => {
    const opts = doc(o, "options");
    const limit = Math.min(Number(opts.limit ?? 100) || 100, HOST_LIMITS.findLimit);
    return (
      await s.find(name(c), {
        filter: doc(f, "filter"),
        projection: opts.projection as Doc,
        sort: opts.sort as Doc as never,
        limit,
        skip: Number(opts.skip ?? 0),
      })
    ).documents;
  },
  findOne: async (s, [c, f, p]) =>
    (await s.findOne(name(c), doc(f, "filter"), p ? doc(p, "projection") : undefined))?.doc ?? null,
  insert: async (s, [c, d]) => ({ insertedId: (await s.insertOne(name(c), doc(d, "document"))).insertedId }),
  insertMany: async (s, [c, docs]) => s.insertMany(name(c), docs as Doc[]),
  update: async (s, [c, f, u, o]) =>
    strip(await s.updateOne(name(c), doc(f, "filter"), u as Doc, { upsert: !!doc(o, "options").upsert })),
  updateMany: async (s, [c, f, u, o]) => {
    const opts = doc(o, "options");
    return strip(
      await s.updateMany(name(c), doc(f, "filter"), u as Doc, {
        upsert: !!opts.upsert,
        allowEmptyFilter: !!opts.allowEmptyFilter,
      }),
    );
  },
  replace: async (s, [c, f, r, o]) =>
    strip(await s.replaceOne(name(c), doc(f, "filter"), doc(r, "replacement"), { upsert: !!doc(o, "options").upsert })),
  delete: async (s, [c, f]) => s.deleteOne(name(c), doc(f, "filter")),
  deleteMany: async (s, [c, f, o]) =>
    s.deleteMany(name(c), doc(f, "filter"), { allowEmptyFilter: !!doc(o, "options").allowEmptyFilter }),
  aggregate: async (s, [c, p]) => s.aggregate(name(c), p as Doc[]),
  count: async (s, [c, f]) => s.countDocuments(name(c), doc(f, "filter")),
  // Schema steps, for migrations (and scripts, which act with their tenant's whole reach anyway).
  listCollections: async (s) =>
    (await s.listCollections()).map((c) => ({
      name: c.name,
      count: c.count,
      indexes: c.indexes,
      ...(c.validator ? { validator: c.validator } : {}),
    })),
  createCollection: async (s, [c, o]) => {
    const r = await s.createCollection(name(c), { validator: doc(o, "options").validator });
    return { name: r.name, created: r.created };
  },
  dropCollection: async (s, [c]) => ({ dropped: await s.dropCollection(name(c)) }),
  setValidator: async (s, [c, v]) => ({
    updated: (await s.setValidator(name(c), v === null || v === undefined ? null : doc(v, "validator"))) !== null,
  }),
  createIndex: async (s, [c, k, o]) =>
    s.createIndex(name(c), doc(k, "keys") as IndexKeys, doc(o, "options") as IndexOptions),
  dropIndex: async (s, [c, n]) => {
    if (typeof n !== "string") throw new AppError(400, "INVALID_ARGUMENTS", "dropIndex takes the index name");
    return { dropped: await s.dropIndex(name(c), n) };
  },
};

function strip(r: { matchedCount: number; modifiedCount: number; upsertedId?: unknown }) {
  return {
    matchedCount: r.matchedCount,
    modifiedCount: r.modifiedCount,
    ...(r.upsertedId !== undefined ? { upsertedId: r.upsertedId } : {}),
  };
}

/** Errors reach the script as rejected promises with the same code and message an HTTP client would get. */
function message(err: unknown): string {
  if (err instanceof AppError) return `${err.code}: ${err.message}`;
  return err instanceof Error ? err.message : String(err);
}

/**
 * Everything a script can reach, bound to one tenant. No env, no bindings, no other tenant: only these two calls,
 * each checked here, and every value crossing as relaxed-EJSON text.
 */
export function scriptHost(env: Env, scope: HostScope): ScriptHost {
  // Scripts are managed by unrestricted admins only (worker/lib/access.ts), and act with their tenant-wide reach.
  const store =
    scope.store ??
    policed(storeFor(env, scope.tenant, scope.database, scope.chainDepth + 1), {
      tenant: scope.tenant,
      role: "admin",
      collections: null,
      keyId: null,
      superAdmin: false,
    });
  let calls = 0;
  let fetches = 0;
  return {
    async call(op, argsJson) {
      try {
        if (++calls > HOST_LIMITS.calls)
          throw new AppError(429, "SCRIPT_CALL_LIMIT", `at most ${HOST_LIMITS.calls} ctx.api calls per run`);
        const run = Object.hasOwn(OPS, op) ? OPS[op as ApiOperation] : undefined;
        if (!run) throw new AppError(400, "UNKNOWN_OPERATION", `ctx.api has no ${op}`);
        return stringify((await run(store, args(argsJson))) ?? null);
      } catch (err) {
        throw new Error(message(err));
      }
    },
    async fetch(url, initJson) {
      try {
        if (++fetches > HOST_LIMITS.fetches)
          throw new AppError(429, "SCRIPT_FETCH_LIMIT", `at most ${HOST_LIMITS.fetches} fetches per run`);
        return await egress(
          env,
          scope.allowedHosts,
          url,
          JSON.parse(initJson) as { method?: string; headers?: Record<string, string>; body?: string },
        );
      } catch (err) {
        throw new Error(message(err));
      }
    },
  };
}

/** The only network path a script has: its allowed hosts, then the webhook outbound rules, no redirects, a size cap. */
async function egress(
  env: Env,
  allowedHosts: string[],
  raw: string,
  init: { method?: string; headers?: Record<string, string>; body?: string },
): Promise<string> {
  if (allowedHosts.length === 0)
    throw new AppError(403, "SCRIPT_NETWORK_OFF", "this script has no network access; list hosts in allowedHosts");
  let url: URL;
  try {
    url = checkOutboundUrl(raw, outboundPolicy(env));
  } catch (err) {
    const reason =
      err instanceof AppError ? ((err.details as { reason?: string } | undefined)?.reason ?? err.message) : String(err);
    throw new AppError(403, "SCRIPT_URL_REFUSED", `url refused: ${reason}`);
  }
  if (!hostAllowed(url.hostname, allowedHosts))
    throw new AppError(403, "SCRIPT_HOST_NOT_ALLOWED", `${url.hostname} is not in this script's allowedHosts`);
  try {
    const res = await fetch(url, {
      method: init.method ?? "GET",
      headers: init.headers,
      body: init.body ?? undefined,
      redirect: "manual",
      signal: AbortSignal.timeout(HOST_LIMITS.fetchTimeoutMs),
    });
    return JSON.stringify({
      status: res.status,
      headers: Object.fromEntries(res.headers),
      body: await cappedText(res),
    });
  } catch (err) {
    throw err instanceof AppError ? err : fetchFailure(url, err);
  }
}

/** The body as text, refused as soon as it passes the size cap (in bytes) rather than after reading it whole. */
async function cappedText(res: Response): Promise<string> {
  if (!res.body) return "";
  const bytes = await readCapped(
    res.body,
    HOST_LIMITS.responseBytes,
    () => new AppError(413, "SCRIPT_RESPONSE_TOO_LARGE", `responses are limited to ${HOST_LIMITS.responseBytes} bytes`),
  );
  return new TextDecoder().decode(bytes);
}

/**
 * What failed, in words a script author can act on. The runtime's own message for a refused or reset connection is
 * "internal error; reference = ...", which says nothing; timeouts, DNS and TLS failures are named.
 */
export function fetchFailure(url: URL, err: unknown): AppError {
  const text = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
  const host = url.host;
  if (/TimeoutError|AbortError|timed? ?out/i.test(text)) {
    return new AppError(504, "SCRIPT_FETCH_TIMEOUT", `${host} did not answer within ${HOST_LIMITS.fetchTimeoutMs} ms`, {
      host,
    });
  }
  if (/dns|resolve|ENOTFOUND|name not known/i.test(text))
    return new AppError(502, "SCRIPT_FETCH_DNS", `${host} could not be resolved (DNS)`, { host });
  if (/tls|ssl|certificate|handshake/i.test(text))
    return new AppError(502, "SCRIPT_FETCH_TLS", `the TLS connection to ${host} failed: ${text}`, { host });
  const detail = /internal error; reference/i.test(text)
    ? "the connection was refused, reset or could not be made"
    : text;
  return new AppError(502, "SCRIPT_FETCH_FAILED", `could not reach ${host}: ${detail}`, { host });
}
