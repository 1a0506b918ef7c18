import createClient, { type Client } from "openapi-fetch";
import type { paths } from "./schema";
import { getSession, setSession, type Session } from "../session";

/** Every failure the dashboard shows carries the API's stable code and message (or a code of its own for the network). */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
  }
}

type Answer<T> = { data?: T; error?: unknown; response: Response };

let clientFor: { url: string; client: Client<paths> } | undefined;
let signedOut: () => void = () => {};

/** The router tells the client where to send a user whose session ended (sign-in, then back to where they were). */
export function onSignedOut(handler: () => void): void {
  signedOut = handler;
}

/** Credentials for one request: the bearer token, and the tenant header the admin token picks its tenant with. */
export function authHeaders(session: Session | null = getSession()): Record<string, string> {
  if (!session) return {};
  const headers: Record<string, string> = { Authorization: `Bearer ${session.token}` };
  if (session.kind === "token" && session.tenant) headers["X-Docflare-Tenant"] = session.tenant;
  if (session.database && session.database !== "main") headers["X-Docflare-Database"] = session.database;
  return headers;
}

/** The typed client for the signed-in API (paths and bodies come from the API's own /openapi.json). */
export function api(): Client<paths> {
  const url = getSession()?.apiUrl ?? window.location.origin;
  if (clientFor?.url !== url) {
    const client = createClient<paths>({ baseUrl: url, credentials: "include" });
    client.use({
      onRequest({ request }) {
        for (const [k, v] of Object.entries(authHeaders())) if (!request.headers.has(k)) request.headers.set(k, v);
        return request;
      },
    });
    clientFor = { url, client };
  }
  return clientFor.client;
}

export async function errorOf(response: Response, body?: unknown): Promise<ApiError> {
  let parsed = body;
  if (parsed === undefined)
    parsed = await response
      .clone()
      .json()
      .catch(() => undefined);
  const err = (parsed as { error?: { code?: string; message?: string; details?: unknown } } | undefined)?.error;
  if (err?.code) return new ApiError(response.status, err.code, err.message ?? response.statusText, err.details);
  return new ApiError(
    response.status,
    `HTTP_${response.status}`,
    response.statusText || "the API did not answer with JSON",
  );
}

let refreshing: Promise<boolean> | undefined;

/** Trades the refresh cookie for a new access token; concurrent callers share one refresh (the token is single-use). */
export function refreshSession(): Promise<boolean> {
  const session = getSession();
  if (!session || session.kind !== "password") return Promise.resolve(false);
  refreshing ??= fetch(`${session.apiUrl}/api/auth/refresh`, {
    method: "POST",
    credentials: "include",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ refreshIn: "cookie" }),
  })
    .then(async (res) => {
      if (!res.ok) return false;
      const body = (await res.json()) as { accessToken: string };
      setSession({ ...session, token: body.accessToken });
      return true;
    })
    .catch(() => false)
    .finally(() => (refreshing = undefined));
  return refreshing;
}

/**
 * Runs one API call and returns its body, or throws ApiError. An expired access token is refreshed once and the call
 * retried; when that fails the session has ended and the user is sent to sign in again.
 */
export async function unwrap<T>(call: () => Promise<Answer<T>>): Promise<T> {
  let answer: Answer<T>;
  try {
    answer = await call();
    if (answer.response.status === 401 && (await refreshSession())) answer = await call();
  } catch (err) {
    throw new ApiError(0, "NETWORK_ERROR", `the API could not be reached: ${(err as Error).message}`);
  }
  if (answer.response.ok) return answer.data as T;
  const error = await errorOf(answer.response, answer.error);
  if (error.status === 401 && getSession()) {
    setSession(null);
    signedOut();
  }
  throw error;
}

/** For what openapi-fetch does not type (downloads, raw text): a fetch with the session's credentials, same error rules. */
export async function rawFetch(path: string, init: RequestInit = {}): Promise<Response> {
  const send = () => {
    const session = getSession();
    return fetch(`${session?.apiUrl ?? window.location.origin}${path}`, {
      ...init,
      credentials: "include",
      headers: { ...authHeaders(session), ...(init.headers as Record<string, string>) },
    });
  };
  let res: Response;
  try {
    res = await send();
    if (res.status === 401 && (await refreshSession())) res = await send();
  } catch (err) {
    throw new ApiError(0, "NETWORK_ERROR", `the API could not be reached: ${(err as Error).message}`);
  }
  if (!res.ok) {
    const error = await errorOf(res);
    if (error.status === 401 && getSession()) {
      setSession(null);
      signedOut();
    }
    throw error;
  }
  return res;
}
