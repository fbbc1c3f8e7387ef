// Shopify's credentials: the shop's permanent *.myshopify.com domain plus either
//  - an OAuth offline token of Tributary's public app: expiring (60 minutes) with a rotating refresh token,
//    as Shopify requires of public apps from 2026-04-01 (new) and 2027-01-01 (all); or
//  - a custom app's static Admin API access token (shpat_…), which never expires.
// OAuth is per shop: https://{shop}/admin/oauth/authorize and POST https://{shop}/admin/oauth/access_token
// (shopify.dev/docs/apps/build/authentication-authorization/access-tokens/authorization-code-grant). The
// hosts come from shopOrigin, so the sandbox's consent page and token endpoint stand in locally.
import * as z from 'zod';
import {
  ConnectorAuthError,
  ConnectorConfigError,
  type ConnectorContext,
  type OAuth2Spec,
  type OAuthClientConfig,
} from '../contract';
import { classifyShopifyError, shopOrigin, ShopifyFailure } from './shopify-api';

const PLATFORM = 'shopify' as const;
export const SHOPIFY_SCOPES = ['read_orders', 'read_all_orders'] as const;

/** name.myshopify.com, lower case; a pasted https://name.myshopify.com/admin is accepted and trimmed. */
export const ShopDomainSchema = z.preprocess(
  (v) =>
    typeof v === 'string'
      ? v
          .trim()
          .toLowerCase()
          .replace(/^https?:\/\//, '')
          .replace(/\/.*$/, '')
      : v,
  z
    .string()
    .regex(
      /^[a-z0-9][a-z0-9-]{0,59}\.myshopify\.com$/,
      "must be the shop's permanent domain, e.g. my-store.myshopify.com",
    ),
);

export const ShopifyCredentialSchema = z.object({
  shop: ShopDomainSchema.meta({
    title: 'Shop domain',
    description: "The shop's permanent domain, e.g. my-store.myshopify.com",
  }),
  /** an OAuth access token, or a custom app's Admin API access token (shpat_…) */
  accessToken: z.string().min(1).meta({
    title: 'Admin API access token',
    description: "A custom app's token: Settings → Apps → Develop apps → API credentials",
    secret: true,
  }),
  /** OAuth expiring offline tokens only */
  refreshToken: z.string().min(1).optional(),
  /** epoch ms; absent for a static custom-app token */
  expiresAt: z.number().int().optional(),
  scope: z.string().optional(),
});
export type ShopifyCredential = z.infer<typeof ShopifyCredentialSchema>;

export const shopifyOAuthSpec: OAuth2Spec = {
  kind: 'oauth2',
  authorizeUrl: 'https://{shop}/admin/oauth/authorize',
  tokenUrl: 'https://{shop}/admin/oauth/access_token',
  scopes: SHOPIFY_SCOPES,
  pkce: false,
  startFields: ['shop'],
  // a custom app's Admin API token connects a shop without a public app
  keyFields: ['shop', 'accessToken'],
};

export function parseShop(shop: string | undefined): string {
  const parsed = ShopDomainSchema.safeParse(shop ?? '');
  if (!parsed.success) {
    throw new ConnectorConfigError(
      `not a Shopify shop domain: "${shop ?? ''}" (the shop's permanent domain is name.myshopify.com)`,
      PLATFORM,
      "Give the shop's permanent domain, e.g. my-store.myshopify.com (Settings → Domains in the Shopify admin).",
    );
  }
  return parsed.data as string;
}

export function buildShopifyAuthorizeUrl(args: {
  clientId: string;
  redirectUri: string;
  state: string;
  shop?: string;
  baseUrls: Readonly<Record<string, string>>;
}): string {
  const shop = parseShop(args.shop);
  const url = new URL(`${shopOrigin(args.baseUrls, shop)}/admin/oauth/authorize`);
  url.searchParams.set('client_id', args.clientId);
  url.searchParams.set('scope', SHOPIFY_SCOPES.join(','));
  url.searchParams.set('redirect_uri', args.redirectUri);
  url.searchParams.set('state', args.state);
  return url.toString();
}

interface TokenAnswer {
  access_token?: string;
  expires_in?: number;
  refresh_token?: string;
  scope?: string;
  error?: string;
  error_description?: string;
}

async function tokenCall(
  shop: string,
  baseUrls: Readonly<Record<string, string>>,
  body: Record<string, string | number>,
  what: string,
  now: () => number,
): Promise<Omit<ShopifyCredential, 'shop'>> {
  let res: Response;
  try {
    res = await fetch(`${shopOrigin(baseUrls, shop)}/admin/oauth/access_token`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(30_000),
    });
  } catch (err) {
    throw classifyShopifyError(err, what, now());
  }
  const text = await res.text();
  let answer: TokenAnswer | null = null;
  try {
    answer = JSON.parse(text) as TokenAnswer;
  } catch {
    answer = null;
  }
  if (!res.ok || !answer?.access_token) {
    const message = answer?.error_description ?? answer?.error ?? `HTTP ${res.status}`;
    // a refused grant (used or revoked refresh token, unknown code) cannot be retried: the user reconnects
    if (res.status === 400 || res.status === 401) {
      throw new ConnectorAuthError(
        `${what}: Shopify refused the grant: ${message}`,
        PLATFORM,
        "Shopify no longer accepts Tributary's access to this shop. Reconnect the Shopify credential (Credentials → Reconnect).",
      );
    }
    throw classifyShopifyError(
      new ShopifyFailure(message, res.status, answer, [], undefined, res.headers.get('retry-after')),
      what,
      now(),
    );
  }
  return {
    accessToken: answer.access_token,
    ...(answer.refresh_token ? { refreshToken: answer.refresh_token } : {}),
    ...(answer.expires_in ? { expiresAt: now() + answer.expires_in * 1000 } : {}),
    ...(answer.scope ? { scope: answer.scope } : {}),
  };
}

/** Authorization code → an expiring offline token and its refresh token (`expiring: 1`). */
export async function exchangeShopifyCode(
  args: { code: string; shop?: string; client: OAuthClientConfig; baseUrls: Readonly<Record<string, string>> },
  now: () => number = Date.now,
): Promise<ShopifyCredential> {
  const shop = parseShop(args.shop);
  const tokens = await tokenCall(
    shop,
    args.baseUrls,
    { client_id: args.client.clientId, client_secret: args.client.clientSecret, code: args.code, expiring: 1 },
    'exchange the authorization code',
    now,
  );
  return { shop, ...tokens };
}

/** A new access token (and a new refresh token: they rotate) through the deployment's app. */
export async function refreshShopifyToken(ctx: ConnectorContext<ShopifyCredential>): Promise<ShopifyCredential> {
  const { credential } = ctx;
  if (!credential.refreshToken) {
    throw new ConnectorAuthError(
      "Shopify rejected the Admin API access token, and a custom app's token cannot be refreshed",
      PLATFORM,
      "Shopify no longer accepts this Admin API access token. Create a new one in the shop's custom app (Settings → Apps → Develop apps) and update the credential, or connect the shop with OAuth.",
    );
  }
  if (!ctx.oauthClient) {
    throw new ConnectorAuthError(
      'the Shopify token cannot be refreshed: no Shopify app is configured in this environment',
      PLATFORM,
      "Shopify no longer accepts Tributary's access to this shop. Reconnect the Shopify credential (Credentials → Reconnect).",
    );
  }
  const now = ctx.now ?? Date.now;
  const next = await tokenCall(
    credential.shop,
    ctx.baseUrls,
    {
      client_id: ctx.oauthClient.clientId,
      client_secret: ctx.oauthClient.clientSecret,
      grant_type: 'refresh_token',
      refresh_token: credential.refreshToken,
    },
    'refresh the access token',
    now,
  );
  return { ...credential, ...next };
}

/** Expiring offline tokens last an hour; a static custom-app token never expires. */
export function shopifyAccessTokenExpiresAt(credential: ShopifyCredential): number | null {
  if (credential.expiresAt !== undefined) return credential.expiresAt;
  return credential.refreshToken ? null : Infinity;
}
