import { AppError } from "./errors";

export interface LeaseState {
  holder: string | null;
  token: number;
  expiresAt: number;
  /** The highest token ever granted: the next grant gets lastToken + 1. */
  lastToken: number;
}

export interface LockStatus {
  acquired: boolean;
  held: boolean;
  holder: string | null;
  token: number | null;
  expiresAt: string | null;
  lastToken: number;
  /** The lock's clock when it decided: grants and releases can be ordered by it. */
  at: number;
}

export const LEASE_LIMITS = { minTtlMs: 100, maxTtlMs: 3_600_000, maxWaitMs: 30_000 };

export const view = (s: LeaseState, now: number, acquired: boolean): LockStatus => {
  const held = s.holder !== null && s.expiresAt > now;
  return {
    acquired,
    held,
    holder: held ? s.holder : null,
    token: held ? s.token : null,
    expiresAt: held ? new Date(s.expiresAt).toISOString() : null,
    lastToken: s.lastToken,
    at: now,
  };
};

/** A free or expired lease goes to the caller with a new, larger fencing token; a live one stays with its holder. */
export function decideAcquire(
  s: LeaseState,
  holder: string,
  ttlMs: number,
  now: number,
): { next?: LeaseState; status: LockStatus } {
  if (s.holder !== null && s.expiresAt > now) return { status: view(s, now, false) };
  const next = { holder, token: s.lastToken + 1, expiresAt: now + ttlMs, lastToken: s.lastToken + 1 };
  return { next, status: view(next, now, true) };
}

/** Renew and release need the current, unexpired token; anything else is a stale holder and is refused with 409. */
export function decideHolderOp(
  s: LeaseState,
  token: number,
  op: "renew" | "release",
  ttlMs: number,
  now: number,
): { next: LeaseState; status: LockStatus } {
  const live = s.holder !== null && s.expiresAt > now;
  if (!live || s.token !== token) {
    throw new AppError(
      409,
      "STALE_LOCK_TOKEN",
      `token ${token} does not hold this lock${live ? ` (token ${s.token} does)` : " (it is free or expired)"}`,
      {
        token,
        currentToken: live ? s.token : null,
      },
    );
  }
  const next = op === "renew" ? { ...s, expiresAt: now + ttlMs } : { ...s, holder: null, expiresAt: 0 };
  return { next, status: view(next, now, op === "renew") };
}
