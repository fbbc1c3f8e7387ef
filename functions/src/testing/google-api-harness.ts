// The API harness with the Google sandbox as Google Ads, GA4 and Google's OAuth, and its demo OAuth client set.
import {
  GOOGLE_DEMO_CLIENT,
  GOOGLE_DEMO_DEVELOPER_TOKEN,
  startGoogleSandbox,
  type GoogleSandbox,
} from '@tributary/connectors/sandboxes/google/google-sandbox';
import { startApiHarness, type ApiHarness } from './api-harness';

export async function startGoogleApiHarness(): Promise<{ h: ApiHarness; google: GoogleSandbox }> {
  const google = await startGoogleSandbox();
  try {
    const h = await startApiHarness({
      TRIBUTARY_PLATFORM_BASE_URLS: JSON.stringify({
        google_ads: google.url,
        google_oauth_token: google.url,
        google_oauth_authorize: google.url,
        ga4_data: google.url,
        ga4_admin: google.url,
      }),
      TRIBUTARY_GOOGLE_CLIENT_ID: GOOGLE_DEMO_CLIENT.clientId,
      TRIBUTARY_GOOGLE_CLIENT_SECRET: GOOGLE_DEMO_CLIENT.clientSecret,
      TRIBUTARY_GOOGLE_ADS_DEVELOPER_TOKEN: GOOGLE_DEMO_DEVELOPER_TOKEN,
    });
    return { h, google };
  } catch (err) {
    await google.stop();
    throw err;
  }
}
