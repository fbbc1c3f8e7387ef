// What a sandbox's OAuth consent page answers a malformed authorize request: an HTML page in the browser (the
// client gets no redirect, as with the real platforms), and the check of the redirect_uri every platform makes.
import type { SandboxReply } from './sandbox-server';

export const htmlPage = (status: number, text: string): SandboxReply => ({ status, text, contentType: 'text/html' });

/** The authorize request's redirect_uri, if it is an absolute http(s) URL. */
export function httpRedirectUri(q: URLSearchParams): string | null {
  const uri = q.get('redirect_uri');
  return uri && /^https?:\/\//.test(uri) ? uri : null;
}
