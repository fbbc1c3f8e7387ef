// Login with Amazon as the sandbox plays it: the consent page at /ap/oa approves the demo user at once and
// redirects with a code; the token endpoint (one per region: /lwa/{na,eu,fe}/auth/o2/token) answers the
// authorization_code and refresh_token grants with LWA's own bodies and errors. Access tokens (Atza|…) live
// 3600 s; refresh tokens (Atzr|…) until revoked. Tokens of any region's endpoint work on every API host.
import { randomBytes } from 'node:crypto';
import type { SandboxReply, SandboxRequest, SandboxRoute } from '../base/sandbox-server';

export interface AmazonDemoClient {
  clientId: string;
  clientSecret: string;
}

export type LwaCheck = 'ok' | 'missing' | 'expired' | 'invalid';

export class LwaTokenAuthority {
  private readonly access = new Map<string, { expiresAtMs: number; revoked: boolean }>();
  private readonly refresh = new Map<string, { revoked: boolean }>();
  private readonly codes = new Map<string, { clientId: string; redirectUri: string }>();

  constructor(
    readonly client: AmazonDemoClient,
    private readonly now: () => number = Date.now,
  ) {}

  issueRefreshToken(): string {
    const token = `Atzr|IwEB${randomBytes(24).toString('base64url')}`;
    this.refresh.set(token, { revoked: false });
    return token;
  }

  private issueAccessToken(): { token: string; expiresIn: number } {
    const token = `Atza|IwEB${randomBytes(24).toString('base64url')}`;
    this.access.set(token, { expiresAtMs: this.now() + 3600_000, revoked: false });
    return { token, expiresIn: 3600 };
  }

  check(authorization: string | string[] | undefined): LwaCheck {
    const m = /^Bearer\s+(.+)$/i.exec(typeof authorization === 'string' ? authorization : '');
    if (!m) return 'missing';
    const t = this.access.get(m[1]!);
    if (!t || t.revoked) return 'invalid';
    return t.expiresAtMs <= this.now() ? 'expired' : 'ok';
  }

  expireAll(): void {
    for (const t of this.access.values()) t.expiresAtMs = 0;
  }

  revokeAll(): void {
    for (const t of this.access.values()) t.revoked = true;
    for (const t of this.refresh.values()) t.revoked = true;
  }

  routes(gate: (req: SandboxRequest) => SandboxReply | null): SandboxRoute[] {
    return [
      { name: 'lwa.authorize', method: 'GET', path: /^\/ap\/oa$/, handle: (req) => this.authorize(req) },
      {
        name: 'lwa.token',
        method: 'POST',
        path: /^\/lwa\/(na|eu|fe)\/auth\/o2\/token$/,
        handle: (req) => gate(req) ?? this.token(req),
      },
    ];
  }

  private authorize(req: SandboxRequest): SandboxReply {
    const q = req.url.searchParams;
    const clientId = q.get('client_id');
    const redirectUri = q.get('redirect_uri');
    if (clientId !== this.client.clientId)
      return { status: 400, text: 'The client_id is not valid (invalid_client).', contentType: 'text/html' };
    if (!redirectUri || !/^https?:\/\//.test(redirectUri))
      return {
        status: 400,
        text: 'The redirect_uri is missing or invalid (invalid_request).',
        contentType: 'text/html',
      };
    if (q.get('response_type') !== 'code')
      return { status: 400, text: 'unsupported_response_type', contentType: 'text/html' };
    const target = new URL(redirectUri);
    if (!(q.get('scope') ?? '').split(/\s+/).includes('advertising::campaign_management')) {
      target.searchParams.set('error', 'invalid_scope');
      target.searchParams.set('error_description', 'An unknown scope was requested');
      if (q.get('state')) target.searchParams.set('state', q.get('state')!);
      return { redirect: target.toString() };
    }
    const code = `ANsandbox${randomBytes(12).toString('base64url')}`;
    this.codes.set(code, { clientId, redirectUri });
    target.searchParams.set('code', code);
    target.searchParams.set('scope', 'advertising::campaign_management');
    if (q.get('state')) target.searchParams.set('state', q.get('state')!);
    // the demo user approves at once: the consent screen is the one part of the flow a sandbox skips
    return { redirect: target.toString() };
  }

  private token(req: SandboxRequest): SandboxReply {
    const b = (req.body ?? {}) as Record<string, string | undefined>;
    if (b.client_id !== this.client.clientId || b.client_secret !== this.client.clientSecret) {
      return { status: 401, json: { error_description: 'Client authentication failed', error: 'invalid_client' } };
    }
    if (b.grant_type === 'authorization_code') {
      const pending = b.code ? this.codes.get(b.code) : undefined;
      if (b.code) this.codes.delete(b.code);
      if (!pending || pending.redirectUri !== b.redirect_uri)
        return invalidGrant('The request has an invalid grant parameter : code');
      const access = this.issueAccessToken();
      return {
        status: 200,
        json: {
          access_token: access.token,
          refresh_token: this.issueRefreshToken(),
          token_type: 'bearer',
          expires_in: access.expiresIn,
        },
      };
    }
    if (b.grant_type === 'refresh_token') {
      const r = b.refresh_token ? this.refresh.get(b.refresh_token) : undefined;
      if (!r || r.revoked) return invalidGrant('The request has an invalid grant parameter : refresh_token');
      const access = this.issueAccessToken();
      return {
        status: 200,
        json: {
          access_token: access.token,
          refresh_token: b.refresh_token,
          token_type: 'bearer',
          expires_in: access.expiresIn,
        },
      };
    }
    return {
      status: 400,
      json: {
        error_description: 'The authorization grant type is not supported by the authorization server',
        error: 'unsupported_grant_type',
      },
    };
  }
}

function invalidGrant(description: string): SandboxReply {
  return { status: 400, json: { error_description: description, error: 'invalid_grant' } };
}
