// Google's OAuth 2.0 as the sandbox plays it: an authorize page that approves a demo user at once and
// redirects with a code (PKCE S256 checked at the token endpoint), and the token endpoint's
// authorization_code and refresh_token grants with Google's own bodies and errors.
// Access tokens live 3599 s, as Google's do; faults can expire or revoke everything issued so far.
import { createHash, randomBytes } from 'node:crypto';
import type { SandboxReply, SandboxRequest, SandboxRoute } from '../base/sandbox-server';

export const GOOGLE_SCOPES = {
  ads: 'https://www.googleapis.com/auth/adwords',
  analytics: 'https://www.googleapis.com/auth/analytics.readonly',
} as const;

export interface DemoOAuthClient {
  clientId: string;
  clientSecret: string;
}

interface AccessToken {
  scopes: string[];
  expiresAtMs: number;
  revoked: boolean;
}
interface RefreshToken {
  scopes: string[];
  revoked: boolean;
}
interface PendingCode {
  clientId: string;
  redirectUri: string;
  scopes: string[];
  codeChallenge?: string;
  codeChallengeMethod?: string;
}

export type TokenCheck = 'ok' | 'missing' | 'expired' | 'invalid' | 'insufficient_scope';

export class GoogleTokenAuthority {
  private readonly access = new Map<string, AccessToken>();
  private readonly refresh = new Map<string, RefreshToken>();
  private readonly codes = new Map<string, PendingCode>();
  private serial = 0;

  constructor(
    readonly client: DemoOAuthClient,
    private readonly now: () => number = Date.now,
  ) {}

  /** A refresh token issued outside the browser flow, as if the demo user had connected earlier. */
  issueRefreshToken(scopes: string[] = Object.values(GOOGLE_SCOPES)): string {
    const token = `1//sandbox-${this.nextId()}`;
    this.refresh.set(token, { scopes, revoked: false });
    return token;
  }

  issueAccessToken(scopes: string[]): { token: string; expiresIn: number } {
    const token = `ya29.sandbox-${this.nextId()}`;
    this.access.set(token, { scopes, expiresAtMs: this.now() + 3599_000, revoked: false });
    return { token, expiresIn: 3599 };
  }

  check(authorization: string | undefined, scope: string): TokenCheck {
    const m = /^Bearer\s+(.+)$/i.exec(authorization ?? '');
    if (!m) return 'missing';
    const t = this.access.get(m[1]!);
    if (!t || t.revoked) return 'invalid';
    if (t.expiresAtMs <= this.now()) return 'expired';
    return t.scopes.includes(scope) ? 'ok' : 'insufficient_scope';
  }

  /** fault: every access token issued so far is past its expiry; refreshing still works */
  expireAll(): void {
    for (const t of this.access.values()) t.expiresAtMs = 0;
  }

  /** fault: the user removed the app's access; nothing issued so far works, refreshes included */
  revokeAll(): void {
    for (const t of this.access.values()) t.revoked = true;
    for (const t of this.refresh.values()) t.revoked = true;
  }

  routes(): SandboxRoute[] {
    return [
      { name: 'oauth.authorize', method: 'GET', path: /^\/o\/oauth2\/v2\/auth$/, handle: (req) => this.authorize(req) },
      { name: 'oauth.token', method: 'POST', path: /^\/token$/, handle: (req) => this.token(req) },
    ];
  }

  private nextId(): string {
    this.serial++;
    return `${this.serial.toString(36)}-${randomBytes(12).toString('base64url')}`;
  }

  private authorize(req: SandboxRequest): SandboxReply {
    const q = req.url.searchParams;
    const clientId = q.get('client_id');
    const redirectUri = q.get('redirect_uri');
    if (clientId !== this.client.clientId)
      return {
        status: 401,
        text: 'Error 401: invalid_client\nThe OAuth client was not found.',
        contentType: 'text/html',
      };
    if (!redirectUri || !/^https?:\/\//.test(redirectUri))
      return {
        status: 400,
        text: 'Error 400: invalid_request\nMissing or invalid redirect_uri.',
        contentType: 'text/html',
      };
    if (q.get('response_type') !== 'code')
      return { status: 400, text: 'Error 400: unsupported_response_type', contentType: 'text/html' };
    const scopes = (q.get('scope') ?? '').split(/\s+/).filter(Boolean);
    const code = `4/sandbox-${this.nextId()}`;
    this.codes.set(code, {
      clientId,
      redirectUri,
      scopes,
      ...(q.get('code_challenge')
        ? { codeChallenge: q.get('code_challenge')!, codeChallengeMethod: q.get('code_challenge_method') ?? 'plain' }
        : {}),
    });
    const target = new URL(redirectUri);
    target.searchParams.set('code', code);
    if (q.get('state')) target.searchParams.set('state', q.get('state')!);
    target.searchParams.set('scope', scopes.join(' '));
    // the demo user approves at once: the consent screen is the one part of the flow a sandbox skips
    return { redirect: target.toString() };
  }

  private token(req: SandboxRequest): SandboxReply {
    const b = (req.body ?? {}) as Record<string, string | undefined>;
    const basic = /^Basic\s+(.+)$/i.exec(req.headers.authorization ?? '');
    const [basicId, basicSecret] = basic ? Buffer.from(basic[1]!, 'base64').toString().split(':') : [];
    const clientId = b.client_id ?? basicId;
    const clientSecret = b.client_secret ?? basicSecret;
    if (clientId !== this.client.clientId || clientSecret !== this.client.clientSecret) {
      return { status: 401, json: { error: 'invalid_client', error_description: 'The OAuth client was not found.' } };
    }
    if (b.grant_type === 'authorization_code') {
      const pending = b.code ? this.codes.get(b.code) : undefined;
      if (b.code) this.codes.delete(b.code);
      if (!pending || pending.clientId !== clientId) return invalidGrant('Malformed auth code.');
      if (pending.redirectUri !== b.redirect_uri) return invalidGrant('Bad Request');
      if (pending.codeChallenge) {
        const verifier = b.code_verifier ?? '';
        const computed =
          pending.codeChallengeMethod === 'S256' ? createHash('sha256').update(verifier).digest('base64url') : verifier;
        if (computed !== pending.codeChallenge) return invalidGrant('Invalid code verifier.');
      }
      const refreshToken = this.issueRefreshToken(pending.scopes);
      const access = this.issueAccessToken(pending.scopes);
      return {
        status: 200,
        json: {
          access_token: access.token,
          expires_in: access.expiresIn,
          refresh_token: refreshToken,
          scope: pending.scopes.join(' '),
          token_type: 'Bearer',
        },
      };
    }
    if (b.grant_type === 'refresh_token') {
      const r = b.refresh_token ? this.refresh.get(b.refresh_token) : undefined;
      if (!r || r.revoked) return invalidGrant('Token has been expired or revoked.');
      const access = this.issueAccessToken(r.scopes);
      return {
        status: 200,
        json: {
          access_token: access.token,
          expires_in: access.expiresIn,
          scope: r.scopes.join(' '),
          token_type: 'Bearer',
        },
      };
    }
    return {
      status: 400,
      json: { error: 'unsupported_grant_type', error_description: `Invalid grant_type: ${b.grant_type ?? ''}` },
    };
  }
}

function invalidGrant(description: string): SandboxReply {
  return { status: 400, json: { error: 'invalid_grant', error_description: description } };
}
