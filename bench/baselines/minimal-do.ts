import { DurableObject } from "cloudflare:workers";

interface Env {
  STORE: DurableObjectNamespace<MinimalDO>;
}

/**
 * The least a Worker + SQLite Durable Object can do per request: one primary-key read, one insert, or one page of 20
 * documents from an expression index (the same documents, index and SQL shape as Docflare's range list, without any
 * of Docflare's work around it).
 */
export class MinimalDO extends DurableObject<Env> {
  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    ctx.storage.sql.exec("CREATE TABLE IF NOT EXISTS t (id TEXT PRIMARY KEY, doc TEXT NOT NULL)");
    ctx.storage.sql.exec("CREATE TABLE IF NOT EXISTS items (seq INTEGER PRIMARY KEY, doc TEXT NOT NULL)");
    ctx.storage.sql.exec("CREATE INDEX IF NOT EXISTS items_price ON items (json_extract(doc, '$.price'))");
  }
  page(above: number): string {
    const docs = this.ctx.storage.sql
      .exec<{ doc: string }>(
        "SELECT doc FROM items WHERE json_extract(doc, '$.price') > ? ORDER BY json_extract(doc, '$.price'), seq LIMIT 20",
        above,
      )
      .toArray();
    return `[${docs.map((r) => r.doc).join(",")}]`;
  }
  read(id: string): string | null {
    const row = this.ctx.storage.sql.exec<{ doc: string }>("SELECT doc FROM t WHERE id = ?", id).toArray()[0];
    return row ? row.doc : null;
  }
  insert(id: string, doc: string): void {
    this.ctx.storage.sql.exec("INSERT INTO t (id, doc) VALUES (?, ?)", id, doc);
  }
  seed(count: number): number {
    this.ctx.storage.transactionSync(() => {
      for (let i = 0; i < count; i++) {
        this.ctx.storage.sql.exec(
          "INSERT OR IGNORE INTO t (id, doc) VALUES (?, ?)",
          `k${i}`,
          JSON.stringify({ _id: `k${i}`, n: i }),
        );
        const item = { _id: i, sku: `s${i}`, category: `c${i % 1000}`, price: i % 997, name: `item ${i}` };
        this.ctx.storage.sql.exec("INSERT OR IGNORE INTO items (seq, doc) VALUES (?, ?)", i + 1, JSON.stringify(item));
      }
    });
    return count;
  }
}

export default {
  async fetch(req: Request, env: Env): Promise<Response> {
    const url = new URL(req.url);
    const stub = env.STORE.get(env.STORE.idFromName("bench"));
    if (url.pathname === "/seed") return Response.json({ seeded: await stub.seed(Number(url.searchParams.get("n"))) });
    if (req.method === "POST") {
      const body = await req.text();
      await stub.insert(crypto.randomUUID(), body);
      return Response.json({ ok: true }, { status: 201 });
    }
    if (url.pathname === "/page")
      return new Response(await stub.page(Number(url.searchParams.get("gt"))), {
        headers: { "Content-Type": "application/json" },
      });
    const doc = await stub.read(url.pathname.slice(1));
    return doc
      ? new Response(doc, { headers: { "Content-Type": "application/json" } })
      : Response.json({ error: "not found" }, { status: 404 });
  },
} satisfies ExportedHandler<Env>;
