// Login with Amazon (LWA), the OAuth 2.0 of the Amazon Ads API (PLATFORMS.md §6 "LWA OAuth"): consent at
// www.amazon.com/ap/oa with the advertising::campaign_management scope, then the authorization_code and
// refresh_token grants at the token host of the login's region (NA api.amazon.com, EU api.amazon.co.uk, FE
// api.amazon.co.jp). Access tokens last an hour; the refresh token does not expire until the user removes
// the app. Plain fetch: Amazon publishes no Node SDK. Hosts come from ConnectorContext.baseUrls, so the
// sandbox's consent page and token endpoint stand in for Amazon's.
import * as z from 'zod';
import type { ConnectorContext, OAuth2Spec, OAuthClientConfig } from '../contract';
import { ConnectorAuthError, ConnectorConfigError } from '../contract';
import { classifyFailure, isNetworkError, parseRetryAfter } from '../runtime/classify';

export const AMAZON_REGIONS = ['NA', 'EU', 'FE'] as const;
export type AmazonRegion = (typeof AMAZON_REGIONS)[number];

export const AMAZON_SCOPE = 'advertising::campaign_management';
export const AMAZON_AUTHORIZE_URL = 'https://www.amazon.com/ap/oa';
/** Login with Amazon's consent page per region (Amazon Ads API docs, "Create an authorization grant") */
const AUTHORIZE_URLS: Record<AmazonRegion, string> = {
  NA: AMAZON_AUTHORIZE_URL,
  EU: 'https://eu.account.amazon.com/ap/oa',
  FE: 'https://apac.account.amazon.com/ap/oa',
};
const TOKEN_HOSTS: Record<AmazonRegion, string> = {
  NA: 'https://api.amazon.com',
  EU: 'https://api.amazon.co.uk',
  FE: 'https://api.amazon.co.jp',
};

/** ConnectorContext.baseUrls keys read by the Amazon Ads connector; absent keys mean Amazon's own hosts. */
export const AMAZON_BASE_URL_KEYS = {
  authorize: 'amazon_lwa_authorize',
  token: { NA: 'amazon_lwa_na', EU: 'amazon_lwa_eu', FE: 'amazon_lwa_fe' },
  api: { NA: 'amazon_ads_na', EU: 'amazon_ads_eu', FE: 'amazon_ads_fe' },
} as const;

export const amazonOAuthSpec: OAuth2Spec = {
  kind: 'oauth2',
  authorizeUrl: AMAZON_AUTHORIZE_URL,
  tokenUrl: `${TOKEN_HOSTS.NA}/auth/o2/token`,
  scopes: [AMAZON_SCOPE],
  // a confidential server client authenticates with its secret
  pkce: false,
  authorizeParams: { response_type: 'code' },
  // the advertiser's region decides the consent page and the token host
  startFields: ['region'],
};

export const AmazonCredentialSchema = z.object({
  refreshToken: z.string().min(1).meta({ secret: true }),
  accessToken: z.string().min(1).meta({ secret: true }).optional(),
  /** epoch ms */
  expiresAt: z.number().int().optional(),
  /** the LWA region the user consented in: its token host refreshes the token (default NA) */
  region: z
    .enum(AMAZON_REGIONS)
    .meta({
      title: 'Amazon Ads region',
      description: 'NA: North and South America; EU: Europe, Middle East, India; FE: Japan, Australia, Singapore',
    })
    .optional(),
  /** a tenant's own LWA app only; the deployment's arrives as ConnectorContext.oauthClient, never stored */
  clientId: z.string().min(1).optional(),
  clientSecret: z.string().min(1).meta({ secret: true }).optional(),
});
export type AmazonCredential = z.infer<typeof AmazonCredentialSchema>;

const trim = (url: string) => url.replace(/\/+$/, '');

export function amazonTokenUrl(baseUrls: Readonly<Record<string, string>>, region: AmazonRegion = 'NA'): string {
  return `${trim(baseUrls[AMAZON_BASE_URL_KEYS.token[region]] ?? TOKEN_HOSTS[region])}/auth/o2/token`;
}

/** The region named at the start of a connection; NA when none was (Amazon's default marketplace). */
export function startRegion(start: Readonly<Record<string, string>> | undefined): AmazonRegion {
  const region = start?.region ?? 'NA';
  if (!(AMAZON_REGIONS as readonly string[]).includes(region)) {
    throw new ConnectorConfigError(
      `not an Amazon Ads region: "${region}"`,
      'amazon_ads',
      'Choose the region of your Amazon Ads account: NA, EU or FE.',
    );
  }
  return region as AmazonRegion;
}

export function buildAmazonAuthorizeUrl(args: {
  clientId: string;
  redirectUri: string;
  state: string;
  baseUrls: Readonly<Record<string, string>>;
  start?: Readonly<Record<string, string>>;
}): string {
  const host = args.baseUrls[AMAZON_BASE_URL_KEYS.authorize];
  const url = new URL(host ? `${trim(host)}/ap/oa` : AUTHORIZE_URLS[startRegion(args.start)]);
  url.searchParams.set('client_id', args.clientId);
  url.searchParams.set('scope', AMAZON_SCOPE);
  url.searchParams.set('response_type', 'code');
  url.searchParams.set('redirect_uri', args.redirectUri);
  url.searchParams.set('state', args.state);
  return url.toString();
}

/** The LWA app a credential uses: its own when it names one, else the deployment's. */
export function amazonApp(
  ctx: Pick<ConnectorContext<AmazonCredential>, 'credential' | 'oauthClient'>,
): OAuthClientConfig {
  const cred = ctx.credential;
  if (cred.clientId && cred.clientSecret) return { clientId: cred.clientId, clientSecret: cred.clientSecret };
  if (ctx.oauthClient) return ctx.oauthClient;
  throw new ConnectorConfigError(
    'no Login with Amazon app is configured',
    'amazon_ads',
    'Tributary has no Amazon Ads (Login with Amazon) app configured; ask your administrator to configure it.',
  );
}

interface TokenAnswer {
  access_token?: string;
  refresh_token?: string;
  expires_in?: number;
  error?: string;
  error_description?: string;
}

async function tokenCall(
  tokenUrl: string,
  form: Record<string, string>,
  what: string,
  now: () => number,
  signal?: AbortSignal,
): Promise<{ accessToken: string; refreshToken?: string; expiresAt: number }> {
  let res: Response;
  try {
    res = await fetch(tokenUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded;charset=UTF-8' },
      body: new URLSearchParams(form).toString(),
      signal: signal ? AbortSignal.any([signal, AbortSignal.timeout(30_000)]) : AbortSignal.timeout(30_000),
    });
  } catch (err) {
    if (isNetworkError(err))
      throw classifyFailure('amazon_ads', { message: `${what}: ${(err as Error).message}`, cause: err });
    throw err;
  }
  const text = await res.text();
  let body: TokenAnswer = {};
  try {
    body = JSON.parse(text) as TokenAnswer;
  } catch {
    body = {};
  }
  if (res.ok && typeof body.access_token === 'string') {
    return {
      accessToken: body.access_token,
      ...(body.refresh_token ? { refreshToken: body.refresh_token } : {}),
      expiresAt: now() + (body.expires_in ?? 3600) * 1000,
    };
  }
  const message = `${what}: ${body.error_description ?? body.error ?? `HTTP ${res.status}`}`;
  // invalid_grant: the refresh token was revoked (the user removed the app) or the code was used; only reconnecting
  // helps
  if (body.error === 'invalid_grant' || body.error === 'invalid_client' || body.error === 'unauthorized_client') {
    throw classifyFailure('amazon_ads', { status: res.status, code: body.error, message, kind: 'auth_expired' });
  }
  if (res.ok)
    throw classifyFailure('amazon_ads', {
      status: res.status,
      message: `${what}: Login with Amazon answered without an access token`,
      kind: 'fatal',
    });
  throw classifyFailure('amazon_ads', {
    status: res.status,
    code: body.error,
    message,
    retryAfterMs: parseRetryAfter(res.headers.get('retry-after'), now()) ?? 1_000,
  });
}

export async function exchangeAmazonCode(
  args: {
    code: string;
    redirectUri: string;
    client: OAuthClientConfig;
    baseUrls: Readonly<Record<string, string>>;
    start?: Readonly<Record<string, string>>;
  },
  now: () => number = Date.now,
): Promise<AmazonCredential> {
  const region = startRegion(args.start);
  const t = await tokenCall(
    amazonTokenUrl(args.baseUrls, region),
    {
      grant_type: 'authorization_code',
      code: args.code,
      redirect_uri: args.redirectUri,
      client_id: args.client.clientId,
      client_secret: args.client.clientSecret,
    },
    'exchange the authorization code',
    now,
  );
  if (!t.refreshToken)
    throw new ConnectorAuthError(
      'Login with Amazon returned no refresh token',
      'amazon_ads',
      'Amazon did not grant lasting access. Connect again and accept the requested permission.',
    );
  // the app's id and secret stay in deployment config: the tenant's secret holds tokens only
  return { refreshToken: t.refreshToken, accessToken: t.accessToken, expiresAt: t.expiresAt, region };
}

export async function refreshAmazonToken(ctx: ConnectorContext<AmazonCredential>): Promise<AmazonCredential> {
  const cred = ctx.credential;
  const app = amazonApp(ctx);
  const t = await tokenCall(
    amazonTokenUrl(ctx.baseUrls, cred.region ?? 'NA'),
    {
      grant_type: 'refresh_token',
      refresh_token: cred.refreshToken,
      client_id: app.clientId,
      client_secret: app.clientSecret,
    },
    'refresh the access token',
    ctx.now ?? Date.now,
    ctx.signal,
  );
  // LWA may hand out a new refresh token with the access token: keep whichever is current
  return {
    ...cred,
    accessToken: t.accessToken,
    expiresAt: t.expiresAt,
    ...(t.refreshToken ? { refreshToken: t.refreshToken } : {}),
  };
}

export function amazonAccessTokenExpiresAt(credential: AmazonCredential): number | null {
  return credential.accessToken ? (credential.expiresAt ?? Infinity) : null;
}

/**
 * The token to send, or a ConnectorAuthError that makes the runtime refresh once (a missing or nearly expired token).
 */
export function currentAmazonToken(ctx: ConnectorContext<AmazonCredential>): string {
  const { accessToken, expiresAt } = ctx.credential;
  if (!accessToken || (expiresAt !== undefined && expiresAt - 60_000 <= (ctx.now ?? Date.now)())) {
    throw new ConnectorAuthError('the Amazon access token is missing or expired', 'amazon_ads');
  }
  return accessToken;
}
