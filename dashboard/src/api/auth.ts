import { ApiError, errorOf } from "./client";
import { getSession, setSession, type Session } from "../session";

export type Me = {
  tenant: string;
  role: string;
  collections: string[] | null;
  keyId: string | null;
  superAdmin: boolean;
  user: { id: string; email: string } | null;
};

async function post(url: string, body: unknown, headers: Record<string, string> = {}): Promise<Response> {
  try {
    return await fetch(url, {
      method: "POST",
      credentials: "include",
      headers: { "Content-Type": "application/json", ...headers },
      body: JSON.stringify(body),
    });
  } catch (err) {
    throw new ApiError(0, "NETWORK_ERROR", `the API at ${url} could not be reached: ${(err as Error).message}`);
  }
}

async function whoAmI(session: Session): Promise<Me> {
  const headers: Record<string, string> = { Authorization: `Bearer ${session.token}` };
  if (session.kind === "token" && session.tenant) headers["X-Docflare-Tenant"] = session.tenant;
  let res: Response;
  try {
    res = await fetch(`${session.apiUrl}/api/auth/me`, { headers });
  } catch (err) {
    throw new ApiError(
      0,
      "NETWORK_ERROR",
      `the API at ${session.apiUrl} could not be reached: ${(err as Error).message}`,
    );
  }
  if (!res.ok) throw await errorOf(res);
  return (await res.json()) as Me;
}

/** Email and password: the access token stays in the tab, the refresh token in the API's HttpOnly cookie. */
export async function signInWithPassword(apiUrl: string, tenant: string, email: string, password: string): Promise<Me> {
  const res = await post(`${apiUrl}/api/auth/login`, {
    email,
    password,
    tenant: tenant || undefined,
    refreshIn: "cookie",
  });
  if (!res.ok) throw await errorOf(res);
  const body = (await res.json()) as { accessToken: string };
  const session: Session = { apiUrl, tenant, kind: "password", token: body.accessToken, email };
  const me = await whoAmI(session);
  setSession({ ...session, tenant: me.tenant });
  return me;
}

/** An API key or the admin token, checked against /api/auth/me before it is kept. */
export async function signInWithToken(apiUrl: string, tenant: string, token: string): Promise<Me> {
  const session: Session = { apiUrl, tenant, kind: "token", token };
  const me = await whoAmI(session);
  setSession({ ...session, tenant: me.tenant });
  return me;
}

export async function currentIdentity(): Promise<Me> {
  const session = getSession();
  if (!session) throw new ApiError(401, "UNAUTHENTICATED", "not signed in");
  return whoAmI(session);
}

/** Ends a password session on the server too (the refresh cookie and its family); tokens simply leave the tab. */
export async function signOut(): Promise<void> {
  const session = getSession();
  if (session?.kind !== "password") return;
  await post(`${session.apiUrl}/api/auth/logout`, {}, { Authorization: `Bearer ${session.token}` }).catch(
    () => undefined,
  );
}
