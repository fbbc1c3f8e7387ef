// Google's OAuth 2.0, one flow for Google Ads and GA4: the user consents once to both scopes, and both
// connectors keep the same kind of credential (a refresh token plus the current access token).
// Token calls go through google-auth-library's OAuth2Client, pointed at the configured token endpoint
// (baseUrls.google_oauth_token), so the sandbox's token endpoint stands in for oauth2.googleapis.com.
// loaded by the first token call, not at the cold start of every function that carries the Google connectors
import type { OAuth2Client } from 'google-auth-library';
import * as z from 'zod';
import type { Platform } from '@tributary/shared/domain/platform';
import type { ConnectorContext, OAuth2Spec, OAuthClientConfig } from '../contract';
import { ConnectorAuthError, ConnectorConfigError } from '../contract';
import { classifyFailure, isNetworkError } from '../runtime/classify';

export const GOOGLE_AUTHORIZE_URL = 'https://accounts.google.com/o/oauth2/v2/auth';
export const GOOGLE_TOKEN_URL = 'https://oauth2.googleapis.com/token';
export const GOOGLE_ADS_SCOPE = 'https://www.googleapis.com/auth/adwords';
export const GA4_SCOPE = 'https://www.googleapis.com/auth/analytics.readonly';
/** Both scopes in one consent, so connecting Google once serves both connectors. */
export const GOOGLE_SCOPES = [GOOGLE_ADS_SCOPE, GA4_SCOPE] as const;

export const googleOAuthSpec: OAuth2Spec = {
  kind: 'oauth2',
  authorizeUrl: GOOGLE_AUTHORIZE_URL,
  tokenUrl: GOOGLE_TOKEN_URL,
  scopes: GOOGLE_SCOPES,
  pkce: true,
  // offline + consent: Google only returns a refresh token on a consent it shows
  authorizeParams: { access_type: 'offline', prompt: 'consent', include_granted_scopes: 'true' },
};

export const GoogleCredentialSchema = z.object({
  refreshToken: z.string().min(1).meta({ secret: true }),
  accessToken: z.string().min(1).meta({ secret: true }).optional(),
  /** epoch ms */
  expiresAt: z.number().int().optional(),
  scope: z.string().optional(),
  /** a tenant's own OAuth app only; the deployment's app arrives as ConnectorContext.oauthClient, never stored */
  clientId: z.string().min(1).optional(),
  clientSecret: z.string().min(1).meta({ secret: true }).optional(),
  /** Google Ads only, and only a tenant's own; the deployment's comes with oauthClient */
  developerToken: z.string().min(1).meta({ secret: true }).optional(),
  /** Google Ads only: the manager account acting for client accounts */
  loginCustomerId: z
    .string()
    .regex(/^\d{10}$/)
    .optional(),
});
export type GoogleCredential = z.infer<typeof GoogleCredentialSchema>;

/** Base-URL keys read by the Google connectors; absent keys mean Google's own hosts. */
export function googleTokenUrl(baseUrls: Readonly<Record<string, string>>): string {
  return baseUrls.google_oauth_token ? `${trimSlash(baseUrls.google_oauth_token)}/token` : GOOGLE_TOKEN_URL;
}
export function googleAuthorizeUrl(baseUrls: Readonly<Record<string, string>>): string {
  return baseUrls.google_oauth_authorize
    ? `${trimSlash(baseUrls.google_oauth_authorize)}/o/oauth2/v2/auth`
    : GOOGLE_AUTHORIZE_URL;
}
export function trimSlash(url: string): string {
  return url.replace(/\/+$/, '');
}

export function buildGoogleAuthorizeUrl(args: {
  clientId: string;
  redirectUri: string;
  state: string;
  codeChallenge?: string;
  baseUrls: Readonly<Record<string, string>>;
}): string {
  const url = new URL(googleAuthorizeUrl(args.baseUrls));
  url.searchParams.set('client_id', args.clientId);
  url.searchParams.set('redirect_uri', args.redirectUri);
  url.searchParams.set('response_type', 'code');
  url.searchParams.set('scope', GOOGLE_SCOPES.join(' '));
  url.searchParams.set('state', args.state);
  for (const [k, v] of Object.entries(googleOAuthSpec.authorizeParams ?? {})) url.searchParams.set(k, v);
  if (args.codeChallenge) {
    url.searchParams.set('code_challenge', args.codeChallenge);
    url.searchParams.set('code_challenge_method', 'S256');
  }
  return url.toString();
}

async function oauthClient(
  clientId: string,
  clientSecret: string,
  baseUrls: Readonly<Record<string, string>>,
  redirectUri?: string,
): Promise<OAuth2Client> {
  const { OAuth2Client } = await import('google-auth-library');
  return new OAuth2Client({
    clientId,
    clientSecret,
    ...(redirectUri ? { redirectUri } : {}),
    endpoints: { oauth2TokenUrl: googleTokenUrl(baseUrls) },
  });
}

export async function exchangeGoogleCode(
  platform: Platform,
  args: {
    code: string;
    redirectUri: string;
    codeVerifier?: string;
    client: OAuthClientConfig;
    baseUrls: Readonly<Record<string, string>>;
    now?: () => number;
  },
): Promise<GoogleCredential> {
  const client = await oauthClient(args.client.clientId, args.client.clientSecret, args.baseUrls, args.redirectUri);
  try {
    const { tokens } = await client.getToken({
      code: args.code,
      redirect_uri: args.redirectUri,
      ...(args.codeVerifier ? { codeVerifier: args.codeVerifier } : {}),
    });
    if (!tokens.refresh_token || !tokens.access_token) {
      throw new ConnectorAuthError(
        'Google returned no refresh token',
        platform,
        'Google did not grant offline access. Connect again and accept all requested permissions.',
      );
    }
    return {
      refreshToken: tokens.refresh_token,
      accessToken: tokens.access_token,
      ...(tokens.expiry_date ? { expiresAt: tokens.expiry_date } : {}),
      ...(tokens.scope ? { scope: tokens.scope } : {}),
      // the app's id, secret and developer token stay in deployment config: the tenant's secret holds tokens only
    };
  } catch (err) {
    throw classifyTokenError(platform, err);
  }
}

export async function refreshGoogleToken(
  platform: Platform,
  ctx: ConnectorContext<GoogleCredential>,
): Promise<GoogleCredential> {
  const cred = ctx.credential;
  const app = googleApp(platform, ctx);
  const client = await oauthClient(app.clientId, app.clientSecret, ctx.baseUrls);
  try {
    client.setCredentials({ refresh_token: cred.refreshToken });
    const { credentials: tokens } = await client.refreshAccessToken();
    if (!tokens.access_token) throw new ConnectorAuthError('Google returned no access token on refresh', platform);
    return {
      ...cred,
      accessToken: tokens.access_token,
      ...(tokens.expiry_date ? { expiresAt: tokens.expiry_date } : {}),
      ...(tokens.scope ? { scope: tokens.scope } : {}),
    };
  } catch (err) {
    throw classifyTokenError(platform, err);
  }
}

/** The OAuth app a credential refreshes through: its own when it names one, else the deployment's. */
export function googleApp(platform: Platform, ctx: ConnectorContext<GoogleCredential>): OAuthClientConfig {
  const cred = ctx.credential;
  if (cred.clientId && cred.clientSecret)
    return {
      clientId: cred.clientId,
      clientSecret: cred.clientSecret,
      ...(cred.developerToken ? { developerToken: cred.developerToken } : {}),
    };
  if (ctx.oauthClient)
    return { ...ctx.oauthClient, ...(cred.developerToken ? { developerToken: cred.developerToken } : {}) };
  throw new ConnectorConfigError(
    'no Google OAuth app is configured',
    platform,
    'Tributary has no Google OAuth app configured; ask your administrator to configure it.',
  );
}

/** invalid_grant: the refresh token was revoked or expired; only the user can fix that by reconnecting. */
function classifyTokenError(platform: Platform, err: unknown) {
  if (err instanceof ConnectorAuthError) return err;
  if (isNetworkError(err)) return classifyFailure(platform, { message: (err as Error).message, cause: err });
  const res = (err as { response?: { status?: number; data?: { error?: string; error_description?: string } } })
    .response;
  const code = res?.data?.error;
  const message = res?.data?.error_description ?? (err as Error).message ?? 'token request failed';
  if (code === 'invalid_grant' || code === 'invalid_client' || code === 'unauthorized_client') {
    return classifyFailure(platform, { status: 401, code, message, kind: 'auth_expired', cause: err });
  }
  return classifyFailure(platform, { status: res?.status, code, message, cause: err });
}

/**
 * The access token to send, or a ConnectorAuthError that makes the runtime refresh once and persist:
 * a missing or (nearly) expired token goes through the same path as a 401.
 */
/** When the stored access token stops working: null before the first refresh; Google's tokens last an hour. */
export function googleAccessTokenExpiresAt(credential: GoogleCredential): number | null {
  return credential.accessToken ? (credential.expiresAt ?? Infinity) : null;
}

export function currentAccessToken(platform: Platform, ctx: ConnectorContext<GoogleCredential>): string {
  const { accessToken, expiresAt } = ctx.credential;
  const now = (ctx.now ?? Date.now)();
  if (!accessToken || (expiresAt !== undefined && expiresAt - 60_000 <= now)) {
    throw new ConnectorAuthError('the Google access token is missing or expired', platform);
  }
  return accessToken;
}
