import type { TextResult } from "../lib/errors";

/** What the API Worker tells the gateway with every call; the connection string stays a secret of the API Worker. */
export interface MongoSettings {
  uri: string;
  /** Server selection, connect and socket timeout: a server that does not answer within it is a 504 (or 503). */
  timeoutMs: number;
  /** Consecutive outages that open the circuit, and how long it stays open. */
  failureThreshold: number;
  cooldownMs: number;
}

/** The gateway Worker's RPC surface (worker/mongodb/index.ts), as the API Worker's service binding sees it. */
export interface MongoGatewayRpc {
  run(settings: MongoSettings, database: string, action: string, payload: string): Promise<TextResult>;
}
