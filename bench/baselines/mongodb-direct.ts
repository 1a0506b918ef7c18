import { DurableObject } from "cloudflare:workers";
import { MongoClient } from "mongodb";

interface Env {
  DIRECT: DurableObjectNamespace<DirectDO>;
  MONGODB_URI: string;
}

/** The least a Worker can do to read a MongoDB document: a Durable Object that keeps a driver client and calls findOne. */
export class DirectDO extends DurableObject<Env> {
  private client?: MongoClient;
  async read(uri: string, id: number): Promise<string | null> {
    this.client ??= new MongoClient(uri, { maxPoolSize: 10 });
    const doc = await this.client
      .db("docflare_bench_main")
      .collection("items")
      .findOne({ _id: id as never });
    return doc ? JSON.stringify(doc) : null;
  }
}

export default {
  async fetch(req: Request, env: Env): Promise<Response> {
    const id = Number(new URL(req.url).pathname.slice(2));
    const doc = await env.DIRECT.get(env.DIRECT.idFromName("bench")).read(env.MONGODB_URI, id);
    return doc
      ? new Response(doc, { headers: { "Content-Type": "application/json" } })
      : Response.json({ error: "not found" }, { status: 404 });
  },
} satisfies ExportedHandler<Env>;
