import { createServer } from "node:http";
import type { Received } from "../helpers/received";

/**
 * What a receiver path does with the next requests: `steps` is consumed one request at a time (the last step then
 * repeats). A step is a status code, "drop" (socket destroyed: a network error), "slow:<ms>" (answers 200 late),
 * "retry-after:<s>" (429 with Retry-After) or "redirect" (302 to another host).
 */
export interface Behaviour {
  steps: Array<number | string>;
}

/** A real webhook receiver on 127.0.0.1 that tests can tell to fail. */
export async function startReceiver(): Promise<{ url: string; close: () => Promise<void> }> {
  const behaviours = new Map<string, Behaviour>();
  /** Fixed documents to serve (an issuer's JWKS, say): POST /__serve {path, body} then GET path answers body. */
  const documents = new Map<string, string>();
  const received: Received[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c) => chunks.push(c));
    req.on("end", () => {
      const url = new URL(req.url ?? "/", "http://receiver");
      const body = Buffer.concat(chunks).toString("utf8");
      if (url.pathname === "/__behaviour" && req.method === "POST") {
        const { path, steps } = JSON.parse(body) as { path: string; steps: Behaviour["steps"] };
        behaviours.set(path, { steps: [...steps] });
        res.writeHead(204).end();
        return;
      }
      if (url.pathname === "/__serve" && req.method === "POST") {
        const { path, body: doc } = JSON.parse(body) as { path: string; body: unknown };
        documents.set(path, JSON.stringify(doc));
        res.writeHead(204).end();
        return;
      }
      if (req.method === "GET" && documents.has(url.pathname)) {
        res.writeHead(200, { "content-type": "application/json" }).end(documents.get(url.pathname));
        return;
      }
      if (url.pathname === "/__received") {
        const path = url.searchParams.get("path");
        res
          .writeHead(200, { "content-type": "application/json" })
          .end(JSON.stringify(received.filter((r) => !path || r.path === path)));
        return;
      }
      const behaviour = behaviours.get(url.pathname);
      const step = behaviour ? (behaviour.steps.length > 1 ? behaviour.steps.shift()! : behaviour.steps[0]) : 200;
      const headers = Object.fromEntries(
        Object.entries(req.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(", ") : String(v ?? "")]),
      );
      received.push({ path: url.pathname, at: Date.now(), headers, body, answered: step });
      if (step === "drop") return req.socket.destroy();
      if (typeof step === "string" && step.startsWith("slow:")) {
        setTimeout(() => res.writeHead(200).end("late"), Number(step.slice(5))).unref();
        return;
      }
      if (typeof step === "string" && step.startsWith("retry-after:"))
        return res.writeHead(429, { "retry-after": step.slice(12) }).end();
      if (step === "redirect") return res.writeHead(302, { location: "https://elsewhere.example.com/hook" }).end();
      res.writeHead(Number(step)).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
