// Meta's OAuth, shared by the Meta Ads and Instagram connectors (one Facebook Login, two products):
// dialog → code → short-lived user token → long-lived token (fb_exchange_token, about 60 days), and the
// same exchange again to refresh a long-lived token (PLATFORMS.md §2 "OAuth"). The SDK has no OAuth helper,
// so these are plain fetches; the hosts come from ConnectorContext.baseUrls like every other Graph call.
import * as z from 'zod';
import type { Platform } from '@tributary/shared/domain/platform';
import { ConnectorAuthError, type OAuth2Spec, type OAuthClientConfig } from '../contract';
import {
  META_DIALOG_DEFAULT_URL,
  META_GRAPH_API_VERSION,
  META_GRAPH_DEFAULT_URL,
  classifyGraphError,
  dialogBaseUrl,
  graphBaseUrl,
  type GraphErrorBody,
} from './graph-client';

export const MetaCredentialSchema = z.object({
  accessToken: z.string().min(1).meta({ secret: true }),
  /** epoch ms; absent for system-user tokens, which do not expire */
  expiresAt: z.number().int().optional(),
  /**
   * The Meta app the token was issued to. A long-lived user token is refreshed by exchanging it through the
   * same app, so its id and secret travel with the (encrypted) credential.
   */
  appId: z.string().min(1).optional(),
  appSecret: z.string().min(1).meta({ secret: true }).optional(),
});
export type MetaCredential = z.infer<typeof MetaCredentialSchema>;

export function metaOAuthSpec(scopes: readonly string[]): OAuth2Spec {
  return {
    kind: 'oauth2',
    authorizeUrl: `${META_DIALOG_DEFAULT_URL}/${META_GRAPH_API_VERSION}/dialog/oauth`,
    tokenUrl: `${META_GRAPH_DEFAULT_URL}/${META_GRAPH_API_VERSION}/oauth/access_token`,
    scopes,
    // Facebook Login supports PKCE only for public clients; a confidential server client uses its secret
    pkce: false,
    authorizeParams: { response_type: 'code' },
  };
}

/** The authorize and token URLs against the configured hosts (the sandbox locally). */
export function metaOAuthUrls(baseUrls: Readonly<Record<string, string>>): { authorizeUrl: string; tokenUrl: string } {
  return {
    authorizeUrl: `${dialogBaseUrl(baseUrls)}/${META_GRAPH_API_VERSION}/dialog/oauth`,
    tokenUrl: `${graphBaseUrl(baseUrls)}/${META_GRAPH_API_VERSION}/oauth/access_token`,
  };
}

export function metaAuthorizeUrl(args: {
  baseUrls: Readonly<Record<string, string>>;
  clientId: string;
  redirectUri: string;
  state: string;
  scopes: readonly string[];
}): string {
  const url = new URL(metaOAuthUrls(args.baseUrls).authorizeUrl);
  url.searchParams.set('client_id', args.clientId);
  url.searchParams.set('redirect_uri', args.redirectUri);
  url.searchParams.set('state', args.state);
  url.searchParams.set('scope', args.scopes.join(','));
  url.searchParams.set('response_type', 'code');
  return url.toString();
}

interface TokenAnswer {
  access_token: string;
  token_type?: string;
  expires_in?: number;
}

async function tokenCall(
  platform: Platform,
  tokenUrl: string,
  params: Record<string, string>,
  what: string,
  now: () => number,
): Promise<{ accessToken: string; expiresAt?: number }> {
  const url = new URL(tokenUrl);
  for (const [k, v] of Object.entries(params)) url.searchParams.set(k, v);
  let res: Response;
  try {
    res = await fetch(url);
  } catch (err) {
    throw classifyGraphError(platform, err, what);
  }
  const text = await res.text();
  let body: unknown = null;
  try {
    body = JSON.parse(text);
  } catch {
    body = null;
  }
  const answer = body as (TokenAnswer & { error?: GraphErrorBody }) | null;
  if (!res.ok || !answer || typeof answer.access_token !== 'string') {
    // shaped as the SDK's FacebookRequestError so one classifier reads both
    throw classifyGraphError(
      platform,
      {
        name: 'FacebookRequestError',
        status: res.status,
        response: answer?.error ?? { message: `HTTP ${res.status}` },
        headers: Object.fromEntries(res.headers),
        message: answer?.error?.message ?? `HTTP ${res.status}`,
      },
      what,
    );
  }
  return {
    accessToken: answer.access_token,
    ...(answer.expires_in ? { expiresAt: now() + answer.expires_in * 1000 } : {}),
  };
}

/** Authorization code → short-lived token → long-lived token. */
export async function exchangeMetaCode(
  platform: Platform,
  args: { code: string; redirectUri: string; client: OAuthClientConfig; baseUrls: Readonly<Record<string, string>> },
  now: () => number = Date.now,
): Promise<MetaCredential> {
  const { tokenUrl } = metaOAuthUrls(args.baseUrls);
  const app = { client_id: args.client.clientId, client_secret: args.client.clientSecret };
  const short = await tokenCall(
    platform,
    tokenUrl,
    { ...app, redirect_uri: args.redirectUri, code: args.code },
    'exchange the authorization code',
    now,
  );
  const long = await tokenCall(
    platform,
    tokenUrl,
    { ...app, grant_type: 'fb_exchange_token', fb_exchange_token: short.accessToken },
    'exchange for a long-lived token',
    now,
  );
  // the app's secret stays in deployment config (ConnectorContext.oauthClient): the tenant's secret holds the token
  return { accessToken: long.accessToken, ...(long.expiresAt ? { expiresAt: long.expiresAt } : {}) };
}

/** A new long-lived token for the current one, through the app that issued it. */
export async function refreshMetaToken(
  platform: Platform,
  credential: MetaCredential,
  baseUrls: Readonly<Record<string, string>>,
  now: () => number = Date.now,
  deploymentApp?: OAuthClientConfig,
): Promise<MetaCredential> {
  // a credential naming its own app refreshes through it; otherwise through the deployment's app
  const app =
    credential.appId && credential.appSecret
      ? { clientId: credential.appId, clientSecret: credential.appSecret }
      : deploymentApp;
  if (!app) {
    throw new ConnectorAuthError(
      'the Meta token cannot be refreshed: the credential does not name the app that issued it',
      platform,
      "Meta no longer accepts Tributary's access and this credential cannot renew itself. Reconnect it (Credentials → Reconnect).",
    );
  }
  const { tokenUrl } = metaOAuthUrls(baseUrls);
  const next = await tokenCall(
    platform,
    tokenUrl,
    {
      client_id: app.clientId,
      client_secret: app.clientSecret,
      grant_type: 'fb_exchange_token',
      fb_exchange_token: credential.accessToken,
    },
    'refresh the long-lived token',
    now,
  );
  return { ...credential, accessToken: next.accessToken, ...(next.expiresAt ? { expiresAt: next.expiresAt } : {}) };
}

/** When the stored token stops working: long-lived user tokens last about 60 days, system-user tokens forever. */
export function metaAccessTokenExpiresAt(credential: MetaCredential): number | null {
  return credential.expiresAt ?? Infinity;
}
