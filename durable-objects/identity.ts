import type { SigningKey, UserRecord } from "../worker/lib/records";
import { DurableObject } from "cloudflare:workers";
import { afterFailure, waitBeforeTry, type ThrottleState } from "../worker/lib/throttle";

type UserRow = {
  id: string;
  email: string;
  password: string;
  role: string;
  collections: string | null;
  disabled: number;
  session_version: number;
  created_at: number;
  updated_at: number;
};

export type Rotation =
  | { ok: true; userId: string; familyId: string }
  | { ok: false; reason: "unknown" | "reused" | "revoked" | "expired" | "disabled" };

const iso = (ms: number) => new Date(ms).toISOString();
const toUser = (r: UserRow): UserRecord => ({
  id: r.id,
  email: r.email,
  role: r.role,
  collections: r.collections ? JSON.parse(r.collections) : null,
  disabled: r.disabled === 1,
  createdAt: iso(r.created_at),
  updatedAt: iso(r.updated_at),
});

/**
 * Users and sessions of one tenant: password hashes, refresh-token families (single-use tokens, rotated atomically
 * in `transactionSync`, a reused token revokes its family as RFC 9700 says), login throttling per account and per
 * client address. The instance of the system registry's name also keeps the JWT signing keys.
 */
export class IdentityDO extends DurableObject<Env> {
  private sql: SqlStorage;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    this.sql.exec(`CREATE TABLE IF NOT EXISTS users (
      id TEXT PRIMARY KEY, email TEXT NOT NULL UNIQUE, password TEXT NOT NULL, role TEXT NOT NULL, collections TEXT,
      disabled INTEGER NOT NULL DEFAULT 0, session_version INTEGER NOT NULL DEFAULT 1, created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL)`);
    this.sql.exec(`CREATE TABLE IF NOT EXISTS families (
      id TEXT PRIMARY KEY, user_id TEXT NOT NULL, created_at INTEGER NOT NULL, revoked_at INTEGER)`);
    this.sql.exec(`CREATE TABLE IF NOT EXISTS refresh_tokens (
      hash TEXT PRIMARY KEY, family_id TEXT NOT NULL, expires_at INTEGER NOT NULL, used_at INTEGER)`);
    this.sql.exec(
      "CREATE TABLE IF NOT EXISTS throttle (key TEXT PRIMARY KEY, failures INTEGER NOT NULL, last_failure_at INTEGER NOT NULL)",
    );
    this.sql.exec(`CREATE TABLE IF NOT EXISTS signing_keys (
      kid TEXT PRIMARY KEY, public_jwk TEXT NOT NULL, private_jwk TEXT NOT NULL, created_at INTEGER NOT NULL, retired_at INTEGER)`);
  }

  private row(where: string, value: string): UserRow | undefined {
    return this.sql.exec<UserRow>(`SELECT * FROM users WHERE ${where} = ?`, value).toArray()[0];
  }

  createUser(input: {
    id: string;
    email: string;
    password: string;
    role: string;
    collections: string[] | null;
  }): UserRecord | null {
    if (this.row("email", input.email)) return null;
    const now = Date.now();
    this.sql.exec(
      "INSERT INTO users (id, email, password, role, collections, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
      input.id,
      input.email,
      input.password,
      input.role,
      input.collections ? JSON.stringify(input.collections) : null,
      now,
      now,
    );
    return toUser(this.row("id", input.id)!);
  }

  listUsers(): UserRecord[] {
    return this.sql.exec<UserRow>("SELECT * FROM users ORDER BY created_at, id").toArray().map(toUser);
  }

  getUser(id: string): UserRecord | null {
    const row = this.row("id", id);
    return row ? toUser(row) : null;
  }

  /** The stored hash, for the login check only; never part of a record. */
  credentials(email: string): { user: UserRecord; password: string } | null {
    const row = this.row("email", email);
    return row ? { user: toUser(row), password: row.password } : null;
  }

  /** Disabling or a new password revokes every session and every access token of the user. */
  updateUser(
    id: string,
    patch: { role?: string; collections?: string[] | null; disabled?: boolean; password?: string },
  ): UserRecord | null {
    const row = this.row("id", id);
    if (!row) return null;
    const revoke = patch.disabled === true || patch.password !== undefined;
    this.ctx.storage.transactionSync(() => {
      this.sql.exec(
        "UPDATE users SET role = ?, collections = ?, disabled = ?, password = ?, updated_at = ? WHERE id = ?",
        patch.role ?? row.role,
        patch.collections !== undefined
          ? patch.collections
            ? JSON.stringify(patch.collections)
            : null
          : row.collections,
        patch.disabled !== undefined ? (patch.disabled ? 1 : 0) : row.disabled,
        patch.password ?? row.password,
        Date.now(),
        id,
      );
      if (revoke) this.revokeAll(id);
    });
    return toUser(this.row("id", id)!);
  }

  /** What an access token of the user is checked against: its session version, and whether the user may sign in. */
  sessionState(id: string): { version: number; disabled: boolean; role: string; collections: string[] | null } | null {
    const row = this.row("id", id);
    return row
      ? {
          version: row.session_version,
          disabled: row.disabled === 1,
          role: row.role,
          collections: row.collections ? JSON.parse(row.collections) : null,
        }
      : null;
  }

  /** Revokes every refresh-token family of the user and every access token issued before now. */
  revokeAll(userId: string): void {
    this.sql.exec("UPDATE families SET revoked_at = ? WHERE user_id = ? AND revoked_at IS NULL", Date.now(), userId);
    this.sql.exec("UPDATE users SET session_version = session_version + 1 WHERE id = ?", userId);
  }

  /** The longest wait any of the keys (account, client address) must still sit out before a try. */
  throttleWait(keys: string[]): number {
    const now = Date.now();
    return Math.max(0, ...keys.map((k) => waitBeforeTry(this.throttleState(k), now)));
  }

  private throttleState(key: string): ThrottleState | null {
    const row = this.sql
      .exec<{ failures: number; last_failure_at: number }>(
        "SELECT failures, last_failure_at FROM throttle WHERE key = ?",
        key,
      )
      .toArray()[0];
    return row ? { failures: row.failures, lastFailureAt: row.last_failure_at } : null;
  }

  /** Records a failed try against each key; returns how many failures in a row the account now has. */
  loginFailed(keys: string[]): number {
    const now = Date.now();
    let failures = 0;
    for (const key of keys) {
      const next = afterFailure(this.throttleState(key), now);
      this.sql.exec(
        "INSERT OR REPLACE INTO throttle (key, failures, last_failure_at) VALUES (?, ?, ?)",
        key,
        next.failures,
        next.lastFailureAt,
      );
      failures = Math.max(failures, next.failures);
    }
    return failures;
  }

  loginSucceeded(keys: string[]): void {
    for (const key of keys) this.sql.exec("DELETE FROM throttle WHERE key = ?", key);
  }

  startFamily(userId: string, familyId: string, tokenHash: string, expiresAt: number): void {
    this.ctx.storage.transactionSync(() => {
      this.sql.exec("INSERT INTO families (id, user_id, created_at) VALUES (?, ?, ?)", familyId, userId, Date.now());
      this.sql.exec(
        "INSERT INTO refresh_tokens (hash, family_id, expires_at) VALUES (?, ?, ?)",
        tokenHash,
        familyId,
        expiresAt,
      );
    });
  }

  /**
   * Spends a refresh token and issues its successor in the same family, in one synchronous transaction, so of two
   * concurrent refreshes with one token exactly one succeeds. A token spent before is reuse: the family is revoked.
   */
  rotate(tokenHash: string, nextHash: string, nextExpiresAt: number): Rotation {
    return this.ctx.storage.transactionSync((): Rotation => {
      const now = Date.now();
      const token = this.sql
        .exec<{
          family_id: string;
          expires_at: number;
          used_at: number | null;
          user_id: string;
          revoked_at: number | null;
        }>(
          `SELECT t.family_id, t.expires_at, t.used_at, f.user_id, f.revoked_at FROM refresh_tokens t JOIN families f ON f.id = t.family_id WHERE t.hash = ?`,
          tokenHash,
        )
        .toArray()[0];
      if (!token) return { ok: false, reason: "unknown" };
      if (token.used_at !== null) {
        this.sql.exec("UPDATE families SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL", now, token.family_id);
        return { ok: false, reason: "reused" };
      }
      if (token.revoked_at !== null) return { ok: false, reason: "revoked" };
      if (token.expires_at <= now) return { ok: false, reason: "expired" };
      if (this.row("id", token.user_id)?.disabled !== 0) return { ok: false, reason: "disabled" };
      this.sql.exec("UPDATE refresh_tokens SET used_at = ? WHERE hash = ?", now, tokenHash);
      this.sql.exec(
        "INSERT INTO refresh_tokens (hash, family_id, expires_at) VALUES (?, ?, ?)",
        nextHash,
        token.family_id,
        nextExpiresAt,
      );
      this.sql.exec("DELETE FROM refresh_tokens WHERE expires_at < ?", now - 86_400_000);
      return { ok: true, userId: token.user_id, familyId: token.family_id };
    });
  }

  /** Logout: revokes the family the token belongs to. */
  revokeFamilyOf(tokenHash: string): boolean {
    const row = this.sql
      .exec<{ family_id: string }>("SELECT family_id FROM refresh_tokens WHERE hash = ?", tokenHash)
      .toArray()[0];
    if (!row) return false;
    this.sql.exec("UPDATE families SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL", Date.now(), row.family_id);
    return true;
  }

  signingKeys(): SigningKey[] {
    return this.sql
      .exec<{ kid: string; public_jwk: string; private_jwk: string; created_at: number; retired_at: number | null }>(
        "SELECT * FROM signing_keys ORDER BY created_at",
      )
      .toArray()
      .map((r) => ({
        kid: r.kid,
        publicJwk: JSON.parse(r.public_jwk),
        privateJwk: JSON.parse(r.private_jwk),
        createdAt: r.created_at,
        retiredAt: r.retired_at,
      }));
  }

  /**
   * Adds a signing key. With `retireOthers` the previous active key stops signing but stays published (for
   * verification) for `keepRetiredMs`, so rotation logs nobody out. Without it, the key is added only if none is active
   * (two isolates creating the first key at once agree on one).
   */
  addSigningKey(
    key: { kid: string; publicJwk: JsonWebKey; privateJwk: JsonWebKey },
    retireOthers: boolean,
    keepRetiredMs: number,
  ): SigningKey[] {
    this.ctx.storage.transactionSync(() => {
      const active = this.sql
        .exec<{ n: number }>("SELECT count(*) AS n FROM signing_keys WHERE retired_at IS NULL")
        .one().n;
      if (!retireOthers && active > 0) return;
      const now = Date.now();
      this.sql.exec("UPDATE signing_keys SET retired_at = ? WHERE retired_at IS NULL", now);
      this.sql.exec("DELETE FROM signing_keys WHERE retired_at IS NOT NULL AND retired_at < ?", now - keepRetiredMs);
      this.sql.exec(
        "INSERT INTO signing_keys (kid, public_jwk, private_jwk, created_at) VALUES (?, ?, ?, ?)",
        key.kid,
        JSON.stringify(key.publicJwk),
        JSON.stringify(key.privateJwk),
        now,
      );
    });
    return this.signingKeys();
  }
}
