// Klaviyo's two ways in: a private API key (`pk_…`, sent as `Klaviyo-API-Key`; it does not expire, it is
// deleted) or an OAuth app's grant (authorization code with PKCE S256, then refresh tokens; access tokens live
// an hour). PLATFORMS.md §8 "OAuth": POST /oauth/token with Basic client auth. The SDK's OAuthApi keeps tokens
// in its own storage and hard-codes its hosts, so these are plain fetches against the configured hosts.
import * as z from 'zod';
import { ConnectorAuthError, type OAuth2Spec, type OAuthClientConfig } from '../contract';
import { classifyFailure } from '../runtime/classify';
import { KLAVIYO_API_DEFAULT_URL, KLAVIYO_OAUTH_DEFAULT_URL, klaviyoApiUrl, klaviyoOAuthUrl } from './klaviyo-client';

/** The read scopes the reports need (values/series reports, the account, its metrics). */
export const KLAVIYO_SCOPES = ['accounts:read', 'metrics:read', 'campaigns:read', 'flows:read'] as const;

export const KlaviyoCredentialSchema = z
  .object({
    /** a private API key with the read scopes above */
    apiKey: z
      .string()
      .regex(/^pk_[A-Za-z0-9_]{20,}$/, 'a Klaviyo private API key starts with pk_')
      .meta({
        title: 'Private API key',
        description:
          'Settings → API keys → Create Private API Key, with read access to accounts, campaigns, flows and metrics',
        secret: true,
      })
      .optional(),
    accessToken: z.string().min(1).optional(),
    refreshToken: z.string().min(1).optional(),
    /** epoch ms */
    expiresAt: z.number().int().optional(),
    scope: z.string().optional(),
  })
  .refine(
    (c) => Boolean(c.apiKey) !== Boolean(c.accessToken || c.refreshToken),
    'either apiKey, or accessToken and refreshToken',
  );
export type KlaviyoCredential = z.infer<typeof KlaviyoCredentialSchema>;

export const klaviyoOAuthSpec: OAuth2Spec = {
  kind: 'oauth2',
  authorizeUrl: `${KLAVIYO_OAUTH_DEFAULT_URL}/oauth/authorize`,
  tokenUrl: `${KLAVIYO_API_DEFAULT_URL}/oauth/token`,
  scopes: KLAVIYO_SCOPES,
  // Klaviyo requires PKCE (S256) for every OAuth app
  pkce: true,
  authorizeParams: { response_type: 'code', code_challenge_method: 'S256' },
  keyFields: ['apiKey'],
};

export function buildKlaviyoAuthorizeUrl(args: {
  clientId: string;
  redirectUri: string;
  state: string;
  codeChallenge?: string;
  baseUrls: Readonly<Record<string, string>>;
}): string {
  const url = new URL(`${klaviyoOAuthUrl(args.baseUrls)}/oauth/authorize`);
  url.searchParams.set('response_type', 'code');
  url.searchParams.set('client_id', args.clientId);
  url.searchParams.set('redirect_uri', args.redirectUri);
  url.searchParams.set('scope', KLAVIYO_SCOPES.join(' '));
  url.searchParams.set('state', args.state);
  if (args.codeChallenge) {
    url.searchParams.set('code_challenge_method', 'S256');
    url.searchParams.set('code_challenge', args.codeChallenge);
  }
  return url.toString();
}

interface TokenAnswer {
  access_token?: string;
  refresh_token?: string;
  expires_in?: number;
  scope?: string;
  error?: string;
  error_description?: string;
}

async function tokenCall(
  baseUrls: Readonly<Record<string, string>>,
  client: OAuthClientConfig,
  form: Record<string, string>,
  what: string,
  now: () => number,
): Promise<KlaviyoCredential> {
  let res: Response;
  try {
    res = await fetch(`${klaviyoApiUrl(baseUrls)}/oauth/token`, {
      method: 'POST',
      headers: {
        authorization: `Basic ${Buffer.from(`${client.clientId}:${client.clientSecret}`).toString('base64')}`,
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: new URLSearchParams(form).toString(),
      signal: AbortSignal.timeout(30_000),
    });
  } catch (err) {
    throw classifyFailure('klaviyo', { message: `${what}: ${(err as Error).message}`, cause: err });
  }
  let body: TokenAnswer = {};
  try {
    body = (await res.json()) as TokenAnswer;
  } catch {
    body = {};
  }
  if (res.ok && body.access_token) {
    return {
      accessToken: body.access_token,
      ...(body.refresh_token ? { refreshToken: body.refresh_token } : {}),
      ...(body.expires_in ? { expiresAt: now() + body.expires_in * 1000 } : {}),
      ...(body.scope ? { scope: body.scope } : {}),
    };
  }
  // invalid_grant: the code was used or the grant was revoked; the user must connect again
  const kind = body.error === 'invalid_grant' || res.status === 401 ? 'auth_expired' : undefined;
  throw classifyFailure('klaviyo', {
    status: res.status,
    code: body.error,
    message: `${what}: ${body.error_description ?? body.error ?? `HTTP ${res.status}`}`,
    ...(kind ? { kind } : {}),
  });
}

export function exchangeKlaviyoCode(
  args: {
    code: string;
    redirectUri: string;
    codeVerifier?: string;
    client: OAuthClientConfig;
    baseUrls: Readonly<Record<string, string>>;
  },
  now: () => number = Date.now,
): Promise<KlaviyoCredential> {
  return tokenCall(
    args.baseUrls,
    args.client,
    {
      grant_type: 'authorization_code',
      code: args.code,
      redirect_uri: args.redirectUri,
      ...(args.codeVerifier ? { code_verifier: args.codeVerifier } : {}),
    },
    'exchange the authorization code',
    now,
  );
}

export async function refreshKlaviyoToken(
  credential: KlaviyoCredential,
  baseUrls: Readonly<Record<string, string>>,
  client: OAuthClientConfig | undefined,
  now: () => number = Date.now,
): Promise<KlaviyoCredential> {
  if (credential.apiKey || !credential.refreshToken) {
    throw new ConnectorAuthError(
      'Klaviyo refused the private API key (a key does not expire: it was deleted, or lost its scopes)',
      'klaviyo',
      'Klaviyo no longer accepts this private API key. Create a private key with the read scopes accounts:read, metrics:read, campaigns:read and flows:read in Klaviyo (Settings → API keys) and update the credential.',
    );
  }
  if (!client)
    throw new ConnectorAuthError(
      'the Klaviyo token cannot be refreshed: no Klaviyo OAuth app is configured',
      'klaviyo',
      "Klaviyo no longer accepts Tributary's access. Reconnect the Klaviyo credential.",
    );
  const next = await tokenCall(
    baseUrls,
    client,
    { grant_type: 'refresh_token', refresh_token: credential.refreshToken },
    'refresh the access token',
    now,
  );
  return { ...credential, ...next, refreshToken: next.refreshToken ?? credential.refreshToken };
}

/** A private key never expires; an OAuth access token lives an hour. */
export function klaviyoAccessTokenExpiresAt(credential: KlaviyoCredential): number | null {
  if (credential.apiKey) return Infinity;
  return credential.expiresAt ?? null;
}
