import { badRequest } from "./errors";
import { LIMITS } from "./limits";

const COLLECTION = /^[A-Za-z0-9_][A-Za-z0-9_.\-]*$/;
/** A tenant name, as it also appears inside API keys (`dfk_{tenant}_…`) and refresh tokens (`dfr_{tenant}_…`). */
export const TENANT_NAME = "[a-z0-9][a-z0-9-]{0,39}";
const TENANT = new RegExp(`^${TENANT_NAME}$`);

export const isTenantName = (name: string) => TENANT.test(name);
const DATABASE = /^[A-Za-z0-9_][A-Za-z0-9_\-]{0,63}$/;

/** MongoDB's own rules (no `$`, no `system.` prefix, bounded length) narrowed to what fits cleanly in a URL path. */
export function checkCollectionName(name: unknown): string {
  if (typeof name !== "string" || name.length === 0) {
    throw badRequest("INVALID_COLLECTION_NAME", "collection name is required");
  }
  if (name.length > LIMITS.maxCollectionNameLength) {
    throw badRequest(
      "INVALID_COLLECTION_NAME",
      `collection name is longer than ${LIMITS.maxCollectionNameLength} characters`,
      { collection: name },
    );
  }
  if (name.includes("$"))
    throw badRequest("INVALID_COLLECTION_NAME", "collection name must not contain $", { collection: name });
  if (name.startsWith("system.")) {
    throw badRequest("INVALID_COLLECTION_NAME", 'collection names starting with "system." are reserved', {
      collection: name,
    });
  }
  if (!COLLECTION.test(name) || name.includes("..") || name.endsWith(".")) {
    throw badRequest(
      "INVALID_COLLECTION_NAME",
      "collection name may only use letters, digits, _, - and single dots, and must not start with a dot or dash",
      { collection: name },
    );
  }
  return name;
}

export function checkTenant(name: unknown): string {
  if (typeof name !== "string" || !TENANT.test(name)) {
    throw badRequest(
      "INVALID_TENANT",
      "tenant must be 1-40 lowercase letters, digits or dashes, starting with a letter or digit",
    );
  }
  return name;
}

export function checkDatabaseName(name: unknown): string {
  if (typeof name !== "string" || !DATABASE.test(name)) {
    throw badRequest("INVALID_DATABASE", "database must be 1-64 letters, digits, _ or -", { database: name });
  }
  return name;
}
