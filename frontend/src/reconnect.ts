// Deep links to one connection (…/credentials/{id}), with its reconnect action open and the place to return
// to afterwards. The return path survives the OAuth round trip to the platform's consent page in
// sessionStorage (same tab, same origin), keyed by the flow's single-use state.

const UUID = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}';

/** The link to one connection; `reconnect` opens its reconnect action, `from` is where to offer to go back. */
export function connectionPath(
  projectId: string,
  credentialId: string,
  options: { reconnect?: boolean; from?: string | null; connected?: boolean } = {},
): string {
  const q = new URLSearchParams();
  if (options.reconnect) q.set('reconnect', '1');
  if (options.connected) q.set('connected', '1');
  if (options.from) q.set('from', options.from);
  const query = q.toString();
  return `/projects/${projectId}/credentials/${credentialId}${query ? `?${query}` : ''}`;
}

/**
 * A return path only when it stays inside the same project's pages: a `from` parameter is user input, and an
 * unchecked one would make the dashboard an open redirect.
 */
export function safeReturnPath(from: string | null | undefined, projectId: string): string | null {
  if (!from || !from.startsWith(`/projects/${projectId}/`)) return null;
  return /^\/[A-Za-z0-9/_-]*$/.test(from) && !from.includes('//') ? from : null;
}

/** The data source (and run) a return path names, so the user can extract it again from where they land. */
export function returnTarget(from: string | null): { sourceId: string; jobId: string | null } | null {
  const m = new RegExp(`^/projects/${UUID}/sources/(${UUID})(?:/runs/(${UUID}))?$`, 'i').exec(from ?? '');
  return m ? { sourceId: m[1]!, jobId: m[2] ?? null } : null;
}

export interface OAuthReturn {
  projectId: string;
  credentialId: string;
  from: string | null;
}

const key = (state: string) => `tributary:oauth-return:${state}`;

/** Before leaving for the consent page: where the callback should bring the user back to. */
export function rememberOAuthReturn(state: string, back: OAuthReturn, storage: Storage = sessionStorage): void {
  try {
    storage.setItem(key(state), JSON.stringify(back));
  } catch {
    // storage full or refused (private mode): the callback falls back to the connections page
  }
}

/** Read once by the callback page; the entry is removed whether or not it is usable. */
export function takeOAuthReturn(state: string | null, storage: Storage = sessionStorage): OAuthReturn | null {
  if (!state) return null;
  try {
    const raw = storage.getItem(key(state));
    storage.removeItem(key(state));
    if (!raw) return null;
    const v = JSON.parse(raw) as Partial<OAuthReturn>;
    if (typeof v.projectId !== 'string' || typeof v.credentialId !== 'string') return null;
    return { projectId: v.projectId, credentialId: v.credentialId, from: safeReturnPath(v.from, v.projectId) };
  } catch {
    return null;
  }
}
