import { AppError } from "../lib/errors";
import { checkDatabaseName } from "../lib/names";
import { EmbeddedStore, databaseStub } from "./embedded";
import { DataApiStore } from "./data-api";
import type { DataApiConfig } from "./data-api-client";
import type { DocumentStore } from "./types";
import { withEvents } from "./eventing";
import { publishEvents } from "../queues/publish";

export const DEFAULT_DATABASE = "main";

type StoreEnv = Env & { DATA_API_KEY?: string; DATA_API_USERNAME?: string; DATA_API_PASSWORD?: string };

function dataApiConfig(env: StoreEnv): DataApiConfig {
  if (!env.DATA_API_URL) throw new AppError(503, "STORE_NOT_CONFIGURED", "STORE_BACKEND is data-api but DATA_API_URL is not set");
  const kind = env.DATA_API_AUTH || "apiKey";
  const auth: DataApiConfig["auth"] =
    kind === "basic"
      ? { kind: "basic", username: env.DATA_API_USERNAME ?? "", password: env.DATA_API_PASSWORD ?? "" }
      : kind === "bearer"
        ? { kind: "bearer", token: env.DATA_API_KEY ?? "" }
        : { kind: "apiKey", key: env.DATA_API_KEY ?? "" };
  return {
    baseUrl: env.DATA_API_URL,
    auth,
    dataSource: env.DATA_API_DATA_SOURCE || "mongodb-atlas",
    format: env.DATA_API_FORMAT === "json" ? "json" : "ejson",
    timeoutMs: Number(env.DATA_API_TIMEOUT_MS) || 10_000,
    maxAttempts: Number(env.DATA_API_MAX_ATTEMPTS) || 3,
    retryBaseMs: Number(env.DATA_API_RETRY_BASE_MS) || 100,
    failureThreshold: Number(env.DATA_API_CIRCUIT_THRESHOLD) || 5,
    cooldownMs: Number(env.DATA_API_CIRCUIT_COOLDOWN_MS) || 10_000,
  };
}

/** Upstream database name for a tenant's database: `{tenant}` and `{database}` are substituted. */
export function upstreamDatabase(template: string, tenant: string, database: string): string {
  return (template || "{tenant}_{database}").replaceAll("{tenant}", tenant).replaceAll("{database}", database);
}

/** `chainDepth` counts script-made writes in a row (0 for API clients); it travels into the change events. */
export function storeFor(env: Env, tenant: string, database = DEFAULT_DATABASE, chainDepth = 0): DocumentStore {
  checkDatabaseName(database);
  if (env.STORE_BACKEND === "data-api") {
    const store = new DataApiStore(dataApiConfig(env), upstreamDatabase(env.DATA_API_DATABASE_TEMPLATE, tenant, database), databaseStub(env.DATABASE, tenant, database));
    return withEvents(store, { tenant, database, chainDepth }, (events) => publishEvents(env, tenant, database, events));
  }
  return new EmbeddedStore(env.DATABASE, tenant, database, chainDepth);
}
