import { badRequest } from "./errors";
import { etagOf } from "./etag";
import { stringify, parseEjson } from "./ejson";

/** Where the previous page ended: the last row for natural order, the last sort key for sorted pages. */
export type CursorPosition =
  | { kind: "row"; rowid: number }
  | { kind: "sort"; values: unknown[] }
  /** Pages an index sorts: the last row's sort value and its insertion sequence (the tie-breaker). */
  | { kind: "keyed"; value: unknown; seq: number }
  /** Upstream Data API servers offer no keyset primitive, so their pages are offsets over a stable _id order. */
  | { kind: "offset"; offset: number };

interface CursorBody {
  v: 1;
  q: string;
  p: CursorPosition;
}

/** Binds a cursor to its query so that reusing it with another filter or sort is refused instead of skipping data. */
export function queryFingerprint(collection: string, filter: unknown, sort: unknown): string {
  // Relaxed EJSON keeps every BSON type distinct from its look-alike string and is several times cheaper to write.
  return etagOf(stringify({ c: collection, f: filter ?? {}, s: sort ?? null })).slice(1, -1);
}

function toBase64Url(text: string): string {
  const bytes = new TextEncoder().encode(text);
  let bin = "";
  for (const b of bytes) bin += String.fromCharCode(b);
  return btoa(bin).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

function fromBase64Url(text: string): string {
  const bin = atob(text.replace(/-/g, "+").replace(/_/g, "/"));
  return new TextDecoder().decode(Uint8Array.from(bin, (c) => c.charCodeAt(0)));
}

export function encodeCursor(fingerprint: string, position: CursorPosition): string {
  const body: CursorBody = { v: 1, q: fingerprint, p: position };
  return toBase64Url(stringify(body, true));
}

export function decodeCursor(cursor: string, fingerprint: string): CursorPosition {
  let body: CursorBody;
  try {
    body = parseEjson(fromBase64Url(cursor), "cursor") as CursorBody;
  } catch {
    throw badRequest("INVALID_CURSOR", "cursor is not one this API issued");
  }
  if (!body || body.v !== 1 || !body.p) throw badRequest("INVALID_CURSOR", "cursor is not one this API issued");
  if (body.q !== fingerprint) {
    throw badRequest("CURSOR_MISMATCH", "cursor belongs to a different filter or sort; start again without a cursor");
  }
  return body.p;
}
