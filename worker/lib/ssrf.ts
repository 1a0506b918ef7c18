import ipaddr from "ipaddr.js";
import { AppError } from "./errors";

/** Where a webhook may point. `allowLoopback` exists for local development and tests only. */
export interface OutboundPolicy {
  allowLoopback: boolean;
  /** The API's own host names: a webhook must not call Docflare itself. */
  ownHosts: string[];
}

const refuse = (reason: string, url: string) =>
  new AppError(400, "WEBHOOK_URL_REFUSED", `webhook url refused: ${reason}`, { field: "url", url, reason });

/**
 * Special-purpose ranges from the IANA registries that ipaddr.js files under "unicast": refused as well. Everything
 * ipaddr.js does not call unicast (private, loopback, link-local, reserved, multicast, Teredo, 6to4, IPv4-mapped or
 * -translated, NAT64, discard-only, documentation...) is refused by its range name.
 */
const SPECIAL_PURPOSE = [
  "0.0.0.0/8",
  "192.0.0.0/24",
  "192.31.196.0/24",
  "192.52.193.0/24",
  "192.175.48.0/24",
  "::/96",
  "64:ff9b:1::/48",
  "2001::/23",
  "2001:db8::/32",
  "3fff::/20",
  "5f00::/16",
].map((cidr) => ipaddr.parseCIDR(cidr));

/** Why an IP address may not be a target, or null when it is an ordinary global unicast address. */
export function addressBlocked(address: ipaddr.IPv4 | ipaddr.IPv6): string | null {
  const range = address.range();
  if (range !== "unicast") return range;
  const special = SPECIAL_PURPOSE.find(([net, bits]) => net.kind() === address.kind() && address.match(net, bits));
  return special ? `special-purpose (${special[0].toString()}/${special[1]})` : null;
}

/** WHATWG URL parsing already turned decimal, hex and octal IPv4 forms into dotted quads; this reads the result. */
function parseAddress(host: string): ipaddr.IPv4 | ipaddr.IPv6 | null {
  if (host.startsWith("[") && host.endsWith("]")) {
    const inner = host.slice(1, -1);
    return ipaddr.IPv6.isValid(inner) ? ipaddr.IPv6.parse(inner) : null;
  }
  return ipaddr.IPv4.isValidFourPartDecimal(host) ? ipaddr.IPv4.parse(host) : null;
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
  const address = parseAddress(host);
  if (!address && (/^[\d.]+$|^0x/i.test(host) || host.startsWith("["))) throw refuse("unreadable IP address", raw);
  const blocked = address ? addressBlocked(address) : null;
  const loopback = blocked === "loopback" || (!address && LOOPBACK_NAMES.test(host));
  if (loopback && policy.allowLoopback) {
    if (url.protocol !== "http:" && url.protocol !== "https:") throw refuse("only http(s) URLs", raw);
    return url;
  }
  if (url.protocol !== "https:") throw refuse("only https URLs are allowed", raw);
  if (loopback) throw refuse("loopback addresses are not allowed", raw);
  if (blocked) throw refuse(`${blocked} addresses are not allowed`, raw);
  if (!address) {
    if (!host.includes(".")) throw refuse("single-label host names are not allowed", raw);
    if (/\.(local|internal|localdomain|home\.arpa|lan)$/.test(host))
      throw refuse("internal host names are not allowed", raw);
    if (policy.ownHosts.some((h) => h.toLowerCase() === host)) throw refuse("the API's own host is not allowed", raw);
  }
  return url;
}
