import { AppError, unwrapText } from "../lib/errors";
import { parseEjson, stringify, type Doc } from "../lib/ejson";
import type { MongoGatewayRpc, MongoSettings } from "../mongodb/settings";
import type { ActionClient } from "./remote";

/**
 * Hands each action to the MongoDB gateway Worker (service binding MONGODB) as canonical EJSON text, so every BSON
 * type survives the hop, and turns its answer or error back into a body or an AppError.
 */
export class MongoGatewayClient implements ActionClient {
  constructor(
    private gateway: MongoGatewayRpc | undefined,
    private settings: MongoSettings,
  ) {}

  async call(action: string, payload: Doc): Promise<Doc> {
    if (!this.gateway)
      throw new AppError(
        503,
        "STORE_NOT_CONFIGURED",
        "STORE_BACKEND is mongodb but the MONGODB service binding (docflare-mongodb) is missing",
      );
    const { database, ...rest } = payload;
    let answer;
    try {
      answer = await this.gateway.run(this.settings, String(database), action, stringify(rest, true));
    } catch (err) {
      throw new AppError(503, "UPSTREAM_UNAVAILABLE", "the MongoDB gateway could not be reached", {
        cause: (err as Error).message,
      });
    }
    return parseEjson(unwrapText(answer), "MongoDB answer") as Doc;
  }
}
