import { ObjectId } from "bson";
import { stringify } from "./ejson";

/**
 * A URL path segment may name an ObjectId, a string or a number id. We match every reading of it,
 * as a user typing `/users/42` means the document whose _id is 42 or "42".
 */
export function idFilter(raw: string): { _id: unknown } {
  const candidates: unknown[] = [raw];
  if (/^[0-9a-fA-F]{24}$/.test(raw)) candidates.unshift(new ObjectId(raw));
  if (/^-?\d+(\.\d+)?$/.test(raw) && Number.isFinite(Number(raw))) candidates.push(Number(raw));
  return candidates.length === 1 ? { _id: raw } : { _id: { $in: candidates } };
}

/** Canonical text key for an _id, used as the SQLite primary key so that equal ids collide. */
export function idKey(id: unknown): string {
  if (typeof id === "string") return `s:${id}`;
  if (typeof id === "number") return `n:${id}`;
  if (id instanceof ObjectId) return `o:${id.toHexString()}`;
  return `j:${stringify(id, true)}`;
}

/** String form of an id for URLs (Location headers). */
export function idToPath(id: unknown): string {
  if (id instanceof ObjectId) return id.toHexString();
  if (typeof id === "string" || typeof id === "number") return encodeURIComponent(String(id));
  return encodeURIComponent(stringify(id));
}
