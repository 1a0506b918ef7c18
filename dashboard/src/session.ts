/**
 * The tab's session: which API, which tenant, and the credential. Kept in sessionStorage so it lasts as long as the
 * tab (a reload keeps you signed in, a new tab asks again). A password session's refresh token is never here: it is
 * an HttpOnly cookie the API sets on its auth routes.
 */
export type Session = {
  apiUrl: string;
  tenant: string;
  /** "password": a user's JWT access token; "token": an API key or the admin token. */
  kind: "password" | "token";
  token: string;
  email?: string;
  /** The tenant database the screens work on (absent: "main"). */
  database?: string;
};

const KEY = "docflare.session";
let current: Session | null = read();
const listeners = new Set<() => void>();

function read(): Session | null {
  try {
    const raw = sessionStorage.getItem(KEY);
    return raw ? (JSON.parse(raw) as Session) : null;
  } catch {
    return null;
  }
}

export function getSession(): Session | null {
  return current;
}

export function setSession(next: Session | null): void {
  current = next;
  if (next) sessionStorage.setItem(KEY, JSON.stringify(next));
  else sessionStorage.removeItem(KEY);
  for (const l of listeners) l();
}

export function onSessionChange(listener: () => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

/** The API's origin: the dashboard's own origin unless the user chose another. */
export function defaultApiUrl(): string {
  return window.location.origin;
}
