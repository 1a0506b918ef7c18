import { DurableObject } from "cloudflare:workers";
import { MongoClient } from "mongodb";
import { AppError, type TextResult } from "../worker/lib/errors";
import { parseEjson, stringify, type Doc } from "../worker/lib/ejson";
import { CircuitBreaker } from "../worker/lib/circuit-breaker";
import { LIMITS } from "../worker/lib/limits";
import { ACTIONS } from "../worker/mongodb/actions";
import { mongoError } from "../worker/mongodb/errors";
import type { MongoSettings } from "../worker/mongodb/settings";

/**
 * One tenant database's MongoDB client. Living in a Durable Object, the driver's connection pool (TCP and TLS over
 * Workers sockets) outlives the request that opened it, so requests reuse connections instead of paying a handshake
 * each. The driver retries reads and writes once on a network error or a failover, as it does anywhere; the breaker
 * here stops sending to a server that keeps failing, for every request of this database at once.
 */
export class MongoClientDO extends DurableObject {
  private client?: MongoClient;
  private settings?: MongoSettings;
  private breaker?: CircuitBreaker;

  private clientFor(settings: MongoSettings): MongoClient {
    if (this.client && this.settings?.uri === settings.uri && this.settings.timeoutMs === settings.timeoutMs)
      return this.client;
    void this.client?.close().catch(() => undefined);
    this.settings = settings;
    this.breaker = new CircuitBreaker({ failureThreshold: settings.failureThreshold, cooldownMs: settings.cooldownMs });
    this.client = new MongoClient(settings.uri, {
      appName: "docflare",
      serverSelectionTimeoutMS: settings.timeoutMs,
      connectTimeoutMS: settings.timeoutMs,
      // A server silent for this long is a 504; operators keep it above the query budgets (maxTimeMS) they allow.
      socketTimeoutMS: settings.timeoutMs,
      retryReads: true,
      retryWrites: true,
      maxPoolSize: 10,
    });
    return this.client;
  }

  async run(settings: MongoSettings, database: string, action: string, payload: string): Promise<TextResult> {
    const run = ACTIONS[action];
    if (!run)
      return {
        ok: false,
        error: new AppError(501, "NOT_SUPPORTED_BY_UPSTREAM", `the MongoDB backend has no action ${action}`).toBody(),
      };
    let client: MongoClient;
    try {
      client = this.clientFor(settings);
    } catch (err) {
      return { ok: false, error: mongoError(err).toBody() };
    }
    const admitted = this.breaker!.admit();
    if (!admitted.allowed) {
      return {
        ok: false,
        error: new AppError(503, "UPSTREAM_CIRCUIT_OPEN", "MongoDB is failing; requests are paused", {
          retryInMs: admitted.retryInMs,
        }).toBody(),
      };
    }
    try {
      const p = parseEjson(payload, "action") as Doc;
      const maxTimeMS = Math.min(Number(p.maxTimeMS ?? LIMITS.defaultMaxTimeMs), LIMITS.maxMaxTimeMs);
      const body = await run(client.db(database), p, maxTimeMS);
      this.breaker!.success();
      return stringify(body, true);
    } catch (err) {
      const mapped = mongoError(err);
      // Only outages count against the server; a refused request says nothing about its health.
      if (mapped.status >= 502) this.breaker!.failure();
      else this.breaker!.success();
      return { ok: false, error: mapped.toBody() };
    }
  }
}
