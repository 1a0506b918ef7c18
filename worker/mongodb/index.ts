import { WorkerEntrypoint } from "cloudflare:workers";
import type { TextResult } from "../lib/errors";
import type { MongoGatewayRpc, MongoSettings } from "./settings";

import type { MongoClientDO } from "../../durable-objects/mongo-client";

export { MongoClientDO } from "../../durable-objects/mongo-client";

/**
 * The gateway's one binding (wrangler.mongodb.jsonc). Written here rather than generated: `wrangler types` for a
 * second Worker declares a second global Env and main module, which cannot share one TypeScript program with the API
 * Worker's generated types; `npm run cf-typegen` types the API Worker's MONGODB binding from this class.
 */
interface MongoEnv {
  MONGO_CLIENT: DurableObjectNamespace<MongoClientDO>;
}

/**
 * The MongoDB gateway: a Worker of its own (wrangler.mongodb.jsonc), so the official driver (about 230 KB gzipped)
 * is in this upload and never in the API Worker's. The API Worker reaches it through a service binding and only when
 * STORE_BACKEND is `mongodb`; each tenant database gets one MongoClientDO, which keeps the driver's connections.
 */
export class MongoGateway extends WorkerEntrypoint<MongoEnv> implements MongoGatewayRpc {
  run(settings: MongoSettings, database: string, action: string, payload: string): Promise<TextResult> {
    const stub = this.env.MONGO_CLIENT.get(this.env.MONGO_CLIENT.idFromName(database));
    return stub.run(settings, database, action, payload);
  }
}

export default {
  fetch: () =>
    Response.json(
      { error: { code: "NOT_FOUND", message: "the MongoDB gateway is reached through a service binding only" } },
      { status: 404 },
    ),
} satisfies ExportedHandler<MongoEnv>;
