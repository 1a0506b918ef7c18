import { createServer, request, type IncomingMessage, type ServerResponse } from "node:http";

export type FaultMode = "pass" | "down" | "error500" | "unavailable503" | "ratelimit429" | "slow";

/**
 * A real HTTP proxy in front of the upstream Data API that can be told to fail, so the `data-api` backend meets
 * genuine sockets, status codes and timeouts. `POST /__fault {"mode", "count"}` sets the next `count` requests' fate.
 */
export async function startFaultProxy(target: string): Promise<{ url: string; close: () => Promise<void> }> {
  let mode: FaultMode = "pass";
  let remaining = Infinity;
  let forwarded = 0;
  let received = 0;
  const upstream = new URL(target);

  const forward = (req: IncomingMessage, res: ServerResponse, body: Buffer) => {
    forwarded++;
    const out = request(
      {
        host: upstream.hostname,
        port: upstream.port,
        path: req.url,
        method: req.method,
        headers: { ...req.headers, host: upstream.host },
      },
      (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
      },
    );
    out.on("error", () => res.destroy());
    out.end(body);
  };

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c) => chunks.push(c));
    req.on("end", () => {
      const body = Buffer.concat(chunks);
      if (req.url === "/__fault") {
        const spec = JSON.parse(body.toString() || "{}");
        mode = spec.mode ?? "pass";
        remaining = spec.count ?? Infinity;
        received = 0;
        forwarded = 0;
        res.end(JSON.stringify({ mode, remaining }));
        return;
      }
      if (req.url === "/__stats") {
        res.end(JSON.stringify({ received, forwarded, mode }));
        return;
      }
      received++;
      const current = remaining > 0 ? mode : "pass";
      if (remaining > 0) remaining--;
      switch (current) {
        case "down":
          req.socket.destroy();
          return;
        case "error500":
          res.writeHead(500, { "content-type": "application/json" });
          res.end(JSON.stringify({ error: "upstream exploded", error_code: "InternalServerError" }));
          return;
        case "unavailable503":
          res.writeHead(503, { "content-type": "application/json", "retry-after": "0" });
          res.end(JSON.stringify({ error: "try later" }));
          return;
        case "ratelimit429":
          res.writeHead(429, { "content-type": "application/json", "retry-after": "0" });
          res.end(JSON.stringify({ error: "slow down" }));
          return;
        case "slow":
          setTimeout(() => forward(req, res, body), 3_000);
          return;
        default:
          forward(req, res, body);
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  const { port } = server.address() as { port: number };
  return { url: `http://127.0.0.1:${port}`, close: () => new Promise((r) => server.close(() => r())) };
}
