// GA4's platform SDK: googleapis's per-API entry points (a bundle carries these two APIs, not all of
// googleapis, 12 MB), imported by the connector on its first platform call only (runtime/platform-sdk.ts).
// googleapis takes a rootUrl, so the sandbox stands in without any seam.
import { analyticsadmin, type analyticsadmin_v1beta } from 'googleapis/build/src/apis/analyticsadmin/index.js';
import {
  analyticsdata,
  auth as googleAuth,
  type analyticsdata_v1beta,
} from 'googleapis/build/src/apis/analyticsdata/index.js';
import type { ConnectorContext } from '../contract';
import { currentAccessToken, trimSlash, type GoogleCredential } from '../google-ads/google-oauth';

function auth(ctx: ConnectorContext<GoogleCredential>) {
  // only the access token: refreshing is the runtime's job (once, persisted), not the client's. The
  // client class comes from googleapis itself, which may bundle another google-auth-library than ours.
  const client = new googleAuth.OAuth2();
  client.setCredentials({ access_token: currentAccessToken('ga4', ctx) });
  return client;
}

export function dataApi(
  ctx: ConnectorContext<GoogleCredential>,
  version: 'v1beta',
): analyticsdata_v1beta.Analyticsdata {
  return analyticsdata({
    version,
    auth: auth(ctx),
    ...(ctx.baseUrls.ga4_data ? { rootUrl: `${trimSlash(ctx.baseUrls.ga4_data)}/` } : {}),
  });
}

export function adminApi(
  ctx: ConnectorContext<GoogleCredential>,
  version: 'v1beta',
): analyticsadmin_v1beta.Analyticsadmin {
  return analyticsadmin({
    version,
    auth: auth(ctx),
    ...(ctx.baseUrls.ga4_admin ? { rootUrl: `${trimSlash(ctx.baseUrls.ga4_admin)}/` } : {}),
  });
}
