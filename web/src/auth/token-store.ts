/**
 * Where the page keeps the token: the browser's localStorage only, never a
 * cookie (the server would get it with every request, page loads included)
 * and never a URL the server sees. A join link carries the token in the URL
 * fragment (`/#token=cnlab_…`), which browsers do not send; the page reads
 * it, stores it and removes it from the address bar at once.
 */
const KEY = "cnlab.token";

/** The token in a join link's fragment, if any: `#token=…` (other fragment parameters are left alone). */
export function tokenFromFragment(hash: string): string | null {
  const params = new URLSearchParams(hash.replace(/^#/, ""));
  const token = params.get("token");
  return token !== null && /^[A-Za-z0-9._-]{16,256}$/.test(token) ? token : null;
}

export function joinLink(origin: string, token: string): string {
  return `${origin}/#token=${encodeURIComponent(token)}`;
}

export function loadToken(): string | null {
  try {
    return localStorage.getItem(KEY);
  } catch {
    return null;
  }
}

export function saveToken(token: string | null): void {
  if (token === null) localStorage.removeItem(KEY);
  else localStorage.setItem(KEY, token);
}
