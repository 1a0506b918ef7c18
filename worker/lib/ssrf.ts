import { AppError } from "./errors";

/** Where a webhook may point. `allowLoopback` exists for local development and tests only. */
export interface OutboundPolicy {
  allowLoopback: boolean;
  /** The API's own host names: a webhook must not call Docflare itself. */
  ownHosts: string[];
}

const refuse = (reason: string, url: string) =>
  new AppError(400, "WEBHOOK_URL_REFUSED", `webhook url refused: ${reason}`, { field: "url", url, reason });

type V4 = [number, number, number, number];

function v4Blocked(a: V4): string | null {
  const [x, y] = a;
  if (x === 127) return "loopback";
  if (x === 0) return "unspecified";
  if (x === 10 || (x === 172 && y >= 16 && y <= 31) || (x === 192 && y === 168)) return "private";
  if (x === 169 && y === 254) return "link-local";
  if (x === 100 && y >= 64 && y <= 127) return "carrier-grade NAT";
  if (x === 192 && y === 0 && (a[2] === 0 || a[2] === 2)) return "reserved";
  if (x === 198 && (y === 18 || y === 19)) return "reserved";
  if ((x === 198 && y === 51 && a[2] === 100) || (x === 203 && y === 0 && a[2] === 113)) return "reserved";
  if (x >= 224) return "multicast or reserved";
  return null;
}

/** WHATWG URL parsing already turned decimal, hex and octal IPv4 forms into dotted quads; this reads the result. */
function parseV4(host: string): V4 | null {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(host);
  if (!m) return null;
  const parts = m.slice(1).map(Number);
  return parts.every((p) => p <= 255) ? (parts as V4) : null;
}

function parseV6(host: string): number[] | null {
  if (!host.startsWith("[") || !host.endsWith("]")) return null;
  let text = host.slice(1, -1).toLowerCase();
  const v4tail = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (v4tail) {
    const v4 = parseV4(v4tail[1]);
    if (!v4) return null;
    text = text.slice(0, -v4tail[1].length) + `${((v4[0] << 8) | v4[1]).toString(16)}:${((v4[2] << 8) | v4[3]).toString(16)}`;
  }
  const [head, tail] = text.split("::");
  const groups = (s: string | undefined) => (s ? s.split(":").map((g) => parseInt(g, 16)) : []);
  const h = groups(head);
  const t = groups(tail);
  const fill = text.includes("::") ? 8 - h.length - t.length : 0;
  const all = [...h, ...Array(fill).fill(0), ...t];
  return all.length === 8 && all.every((g) => Number.isInteger(g) && g >= 0 && g <= 0xffff) ? all : null;
}

function v6Blocked(g: number[]): string | null {
  const embedded = (hi: number, lo: number): V4 => [hi >> 8, hi & 255, lo >> 8, lo & 255];
  if (g.every((x) => x === 0)) return "unspecified";
  if (g.slice(0, 7).every((x) => x === 0) && g[7] === 1) return "loopback";
  // IPv4-mapped (::ffff:a.b.c.d), IPv4-compatible (::a.b.c.d) and NAT64 (64:ff9b::a.b.c.d) carry an IPv4 address.
  if (g.slice(0, 5).every((x) => x === 0) && (g[5] === 0xffff || g[5] === 0)) return v4Blocked(embedded(g[6], g[7])) ?? "IPv4-mapped";
  if (g[0] === 0x64 && g[1] === 0xff9b) return v4Blocked(embedded(g[6], g[7])) ?? "NAT64";
  if (g[0] === 0x2002) return v4Blocked(embedded(g[1], g[2])) ?? null;
  if ((g[0] & 0xfe00) === 0xfc00) return "private (unique local)";
  if ((g[0] & 0xffc0) === 0xfe80) return "link-local";
  if ((g[0] & 0xff00) === 0xff00) return "multicast";
  if (g[0] === 0x2001 && g[1] === 0x0db8) return "documentation";
  return null;
}

const LOOPBACK_NAMES = /^(localhost|localhost\.localdomain)$|\.localhost$/;

/** Validates a webhook target: at registration and again right before every send. Returns the parsed URL. */
export function checkOutboundUrl(raw: string, policy: OutboundPolicy): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw refuse("not an absolute URL", raw);
  }
  if (url.username || url.password) throw refuse("credentials in the URL are not allowed; use headers", raw);
  const host = url.hostname.toLowerCase().replace(/\.$/, "");
  const v4 = parseV4(host);
  const v6 = v4 ? null : parseV6(host);
  if (!v4 && !v6 && /^[\d.]+$|^0x/i.test(host)) throw refuse("unreadable IP address", raw);
  const blocked = v4 ? v4Blocked(v4) : v6 ? v6Blocked(v6) : null;
  const loopback = blocked === "loopback" || (!v4 && !v6 && LOOPBACK_NAMES.test(host));
  if (loopback && policy.allowLoopback) {
    if (url.protocol !== "http:" && url.protocol !== "https:") throw refuse("only http(s) URLs", raw);
    return url;
  }
  if (url.protocol !== "https:") throw refuse("only https URLs are allowed", raw);
  if (loopback) throw refuse("loopback addresses are not allowed", raw);
  if (blocked) throw refuse(`${blocked} addresses are not allowed`, raw);
  if (!v4 && !v6) {
    if (!host.includes(".")) throw refuse("single-label host names are not allowed", raw);
    if (/\.(local|internal|localdomain|home\.arpa|lan)$/.test(host)) throw refuse("internal host names are not allowed", raw);
    if (policy.ownHosts.some((h) => h.toLowerCase() === host)) throw refuse("the API's own host is not allowed", raw);
  }
  return url;
}
