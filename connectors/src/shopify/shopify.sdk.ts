// Shopify's platform SDK: the one place Tributary builds an @shopify/admin-api-client client, imported by the
// connector on its first platform call only (runtime/platform-sdk.ts).
//
// Seam: the client forces https://{shop}/admin/api/{version}/graphql.json (PLATFORMS.md §5). When
// ctx.baseUrls.shopify_admin is set (the sandbox locally), customFetchApi sends https://{shop}/… to
// {shopify_admin}/shops/{shop}/… instead; in AWS nothing is rewritten. The client's own retry is off
// (retries: 0): it covers only 429/500/503, never a 200 THROTTLED, and passes Retry-After to setTimeout as
// milliseconds. The runtime retries instead, with the wait computed from the cost bucket.
import { createAdminApiClient, type AdminApiClient } from '@shopify/admin-api-client';
import type { ConnectorContext } from '../contract';
import { SHOPIFY_API_VERSION, SHOPIFY_BASE_URL_KEY, shopOrigin } from './shopify-api';

export function adminClient(ctx: ConnectorContext<{ shop: string; accessToken: string }>): AdminApiClient {
  const origin = shopOrigin(ctx.baseUrls, ctx.credential.shop);
  const rewrite = ctx.baseUrls[SHOPIFY_BASE_URL_KEY] !== undefined;
  return createAdminApiClient({
    storeDomain: ctx.credential.shop,
    apiVersion: SHOPIFY_API_VERSION,
    accessToken: ctx.credential.accessToken,
    retries: 0,
    userAgentPrefix: 'Tributary',
    customFetchApi: (url, init) => fetch(rewrite ? String(url).replace(/^https:\/\/[^/]+/, origin) : url, init),
    // the client warns about versions it does not know yet (its list follows its own release)
    logger: (log) => ctx.logger.debug('shopify client', { type: log.type }),
  });
}
