import { envNumber } from "../lib/env-number";
import { AppError } from "../lib/errors";
import { checkDatabaseName } from "../lib/names";
import { EmbeddedStore, databaseStub } from "./embedded";
import { RemoteStore } from "./remote";
import { DataApiClient, type DataApiConfig } from "./data-api-client";
import { MongoGatewayClient } from "./mongodb-client";
import type { MongoSettings } from "../mongodb/settings";
import type { DocumentStore } from "./types";
import { withEvents } from "./eventing";
import { publishEvents } from "../queues/publish";

export const DEFAULT_DATABASE = "main";

type StoreEnv = Env & {
  DATA_API_KEY?: string;
  DATA_API_USERNAME?: string;
  DATA_API_PASSWORD?: string;
  MONGODB_URI?: string;
};

export type Backend = "embedded" | "data-api" | "mongodb";

/** The configured backend; anything unknown is the embedded store. */
export function backendOf(env: Env): Backend {
  return env.STORE_BACKEND === "data-api" || env.STORE_BACKEND === "mongodb" ? env.STORE_BACKEND : "embedded";
}

function mongoSettings(env: StoreEnv): MongoSettings {
  if (!env.MONGODB_URI)
    throw new AppError(503, "STORE_NOT_CONFIGURED", "STORE_BACKEND is mongodb but the MONGODB_URI secret is not set");
  return {
    uri: env.MONGODB_URI,
    timeoutMs: envNumber(env.MONGODB_TIMEOUT_MS, 10_000),
    failureThreshold: envNumber(env.MONGODB_CIRCUIT_THRESHOLD, 5),
    cooldownMs: envNumber(env.MONGODB_CIRCUIT_COOLDOWN_MS, 10_000),
  };
}

function dataApiConfig(env: StoreEnv): DataApiConfig {
  if (!env.DATA_API_URL)
    throw new AppError(503, "STORE_NOT_CONFIGURED", "STORE_BACKEND is data-api but DATA_API_URL is not set");
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
    timeoutMs: envNumber(env.DATA_API_TIMEOUT_MS, 10_000),
    maxAttempts: envNumber(env.DATA_API_MAX_ATTEMPTS, 3),
    retryBaseMs: envNumber(env.DATA_API_RETRY_BASE_MS, 100),
    failureThreshold: envNumber(env.DATA_API_CIRCUIT_THRESHOLD, 5),
    cooldownMs: envNumber(env.DATA_API_CIRCUIT_COOLDOWN_MS, 10_000),
  };
}

/** Upstream database name for a tenant's database: `{tenant}` and `{database}` are substituted. */
export function upstreamDatabase(template: string, tenant: string, database: string): string {
  return (template || "{tenant}_{database}").replaceAll("{tenant}", tenant).replaceAll("{database}", database);
}

/** `chainDepth` counts script-made writes in a row (0 for API clients); it travels into the change events. */
export function storeFor(env: Env, tenant: string, database = DEFAULT_DATABASE, chainDepth = 0): DocumentStore {
  checkDatabaseName(database);
  const backend = backendOf(env);
  if (backend !== "embedded") {
    const jobs = databaseStub(env.DATABASE, tenant, database);
    // Remote backends have no outbox: events go out once the server has acknowledged the write.
    const store =
      backend === "data-api"
        ? new RemoteStore(
            new DataApiClient(dataApiConfig(env)),
            upstreamDatabase(env.DATA_API_DATABASE_TEMPLATE, tenant, database),
            jobs,
          )
        : new RemoteStore(
            new MongoGatewayClient(env.MONGODB, mongoSettings(env)),
            upstreamDatabase(env.MONGODB_DATABASE_TEMPLATE, tenant, database),
            jobs,
            "mongodb",
          );
    return withEvents(store, { tenant, database, chainDepth }, (events) =>
      publishEvents(env, tenant, database, events),
    );
  }
  return new EmbeddedStore(env.DATABASE, tenant, database, chainDepth);
}
