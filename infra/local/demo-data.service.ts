// The laptop trial's numbers: in the demo user's "Demo project" (made by the demo webhook service), one
// credential and one data source per built connector (Google Ads and GA4 on the Google sandbox, Meta Ads and
// Instagram on the Meta sandbox, Metricool, Shopify, Amazon Ads and Klaviyo each on its own), each extracted once
// at start and then hourly by the runner's scheduler, so
// a new user sees every platform in the data API and the demo webhook's CSV. Everything goes through the
// public management API, as a user's script would. The Google sandbox forgets its tokens when it stops, so
// each start signs the demo OAuth app in again (the sandbox approves at once) and rotates each demo
// credential's secret; a second start reuses the credentials and data sources (matched by name), never
// duplicates them. A connector added later adds its entry to demoSources.
import { GOOGLE_DEMO_CLIENT } from '@tributary/connectors/sandboxes/google/google-sandbox';
import { GOOGLE_SCOPES } from '@tributary/connectors/sandboxes/google/google-oauth';
import { klaviyoDemoLogin } from '@tributary/connectors/sandboxes/klaviyo/klaviyo-sandbox';
import {
  METRICOOL_DEMO_TOKEN,
  METRICOOL_DEMO_USER_ID,
} from '@tributary/connectors/sandboxes/metricool/metricool-sandbox';
import { AMAZON_DEMO_CLIENT, AMAZON_SANDBOX_PROFILES } from '@tributary/connectors/sandboxes/amazon/amazon-sandbox';
import type { Platform } from '@tributary/shared/domain/platform';
import type { LocalService } from './runner';
import { callLocalApi } from './local-api-client';

/** One demo data source: its credential's secret (made fresh at each start), the account and the reports. */
interface DemoSource {
  platform: Platform;
  /** default oauth2 */
  credentialType?: 'oauth2' | 'api_key';
  credentialLabel: string;
  sourceName: string;
  secret(): Promise<Record<string, unknown>>;
  accountId: string;
  reportTypes: string[];
  /** first day of the first run (default: the pipeline's initial history) */
  startDate?: string;
  options?: Record<string, string>;
}

/** The Meta sandbox's demo token and its first ad account and Instagram account (its control endpoint). */
async function metaWorld(metaUrl: string): Promise<{ demoToken: string; adAccount: string; igUser: string }> {
  const res = await fetch(new URL('/__sandbox/world', metaUrl));
  const world = (await res.json()) as {
    demo_token?: string;
    accounts?: { id: string }[];
    instagram?: { id: string }[];
  };
  const adAccount = world.accounts?.[0]?.id.replace(/^act_/, '');
  const igUser = world.instagram?.[0]?.id;
  if (!world.demo_token || !adAccount || !igUser)
    throw new Error(`the Meta sandbox did not describe its demo world (${res.status})`);
  return { demoToken: world.demo_token, adAccount, igUser };
}

/** The Shopify sandbox's first shop and its static custom-app token (its truth endpoint describes its world). */
async function shopifyDemo(shopifyUrl: string): Promise<DemoSource> {
  const res = await fetch(new URL('/__sandbox/truth?report=world', shopifyUrl));
  const shop = ((await res.json()) as { shops?: { domain: string; static_token: string }[] }).shops?.[0];
  if (!shop) throw new Error(`the Shopify sandbox did not describe its shops (${res.status})`);
  return {
    platform: 'shopify',
    credentialLabel: 'Demo Shopify (sandbox)',
    sourceName: 'Demo Shopify',
    credentialType: 'api_key',
    secret: async () => ({ shop: shop.domain, accessToken: shop.static_token }),
    accountId: shop.domain,
    reportTypes: ['orders_daily', 'orders_by_utm_daily'],
  };
}

/** Klaviyo's reports allow 2 calls a minute: the demo source starts 2 days back (4 report calls, about a minute). */
function klaviyoDemoSource(): DemoSource {
  const login = klaviyoDemoLogin();
  return {
    platform: 'klaviyo',
    credentialLabel: 'Demo Klaviyo (sandbox)',
    sourceName: 'Demo Klaviyo',
    credentialType: 'api_key',
    secret: async () => ({ apiKey: login.apiKey }),
    accountId: login.accountId,
    reportTypes: ['campaign_daily', 'flow_daily'],
    startDate: new Date(Date.now() - 2 * 86_400_000).toISOString().slice(0, 10),
    options: { conversion_metric_id: 'Placed Order' },
  };
}

/** The sandboxes' URLs by name, as the sandbox services publish them; Google's and Meta's are required. */
export type DemoSandboxUrls = { google: string; meta: string } & Partial<Record<string, string>>;

async function demoSources(urls: DemoSandboxUrls): Promise<DemoSource[]> {
  const {
    google: googleUrl,
    meta: metaUrl,
    metricool: metricoolUrl,
    shopify: shopifyUrl,
    amazon: amazonUrl,
    klaviyo: klaviyoUrl,
  } = urls;
  const meta = await metaWorld(metaUrl);
  // tokens only: the demo OAuth apps (client secrets, developer token) are deployment config, never a tenant's secret
  const google = async (scope: string) => ({ ...(await sandboxTokens(googleUrl, scope)) });
  // the Meta sandbox's demo token does not expire
  const metaSecret = async () => ({ accessToken: meta.demoToken });
  return [
    {
      platform: 'google_ads',
      credentialLabel: 'Demo Google Ads (sandbox)',
      sourceName: 'Demo Google Ads',
      secret: () => google(GOOGLE_SCOPES.ads),
      accountId: '1234567890',
      reportTypes: ['campaign_daily'],
    },
    {
      platform: 'meta_ads',
      credentialLabel: 'Demo Meta Ads (sandbox)',
      sourceName: 'Demo Meta Ads',
      secret: metaSecret,
      accountId: meta.adAccount,
      reportTypes: ['campaign_daily'],
    },
    {
      platform: 'ga4',
      credentialLabel: 'Demo Google Analytics 4 (sandbox)',
      sourceName: 'Demo Google Analytics 4',
      secret: () => google(GOOGLE_SCOPES.analytics),
      accountId: '312345678',
      reportTypes: ['traffic_daily'],
    },
    {
      platform: 'instagram',
      credentialLabel: 'Demo Instagram (sandbox)',
      sourceName: 'Demo Instagram',
      secret: metaSecret,
      accountId: meta.igUser,
      reportTypes: ['account_daily'],
    },
    // Metricool's API token is static: the sandbox's demo token and user, the first brand (EUR, Madrid)
    ...(metricoolUrl
      ? [
          {
            platform: 'metricool',
            credentialType: 'api_key',
            credentialLabel: 'Demo Metricool (sandbox)',
            sourceName: 'Demo Metricool',
            secret: async () => ({ api_token: METRICOOL_DEMO_TOKEN, user_id: METRICOOL_DEMO_USER_ID }),
            accountId: '4210001',
            reportTypes: ['account_timeline_daily', 'posts_daily', 'ad_campaigns_daily'],
          } satisfies DemoSource,
        ]
      : []),
    ...(shopifyUrl ? [await shopifyDemo(shopifyUrl)] : []),
    // the EUR profile on the EU host; all three ad products
    ...(amazonUrl
      ? [
          {
            platform: 'amazon_ads' as const,
            credentialType: 'oauth2',
            credentialLabel: 'Demo Amazon Ads (sandbox)',
            sourceName: 'Demo Amazon Ads',
            secret: () => amazonSandboxTokens(amazonUrl),
            accountId: AMAZON_SANDBOX_PROFILES[1]!.profileId,
            reportTypes: ['sp_campaign_daily', 'sb_campaign_daily', 'sd_campaign_daily'],
          } satisfies DemoSource,
        ]
      : []),
    // Klaviyo: the sandbox's private key of its first account (USD, New York)
    ...(klaviyoUrl ? [klaviyoDemoSource()] : []),
  ];
}

type SandboxTokens = { refreshToken: string; accessToken: string; expiresAt: number };

/**
 * The authorization-code flow against a platform sandbox: its consent page approves the demo app at once, then
 * the code is exchanged. The access token is returned too, as the API's OAuth callback stores it: creating a data
 * source reads the catalog with it.
 */
async function sandboxCodeExchange(flow: {
  platform: string;
  authorizeUrl: URL;
  tokenUrl: URL;
  client: { clientId: string; clientSecret: string };
  scope: string;
  defaultExpiresInSeconds: number;
}): Promise<SandboxTokens> {
  const redirectUri = 'http://127.0.0.1/demo-callback';
  const authorize = new URL(flow.authorizeUrl);
  authorize.search = new URLSearchParams({
    client_id: flow.client.clientId,
    redirect_uri: redirectUri,
    response_type: 'code',
    scope: flow.scope,
    state: 'demo',
  }).toString();
  const consent = await fetch(authorize, { redirect: 'manual' });
  const code = new URL(consent.headers.get('location') ?? 'http://invalid/').searchParams.get('code');
  if (!code) throw new Error(`the ${flow.platform} sandbox did not approve the demo app (${consent.status})`);
  const res = await fetch(flow.tokenUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'authorization_code',
      code,
      redirect_uri: redirectUri,
      client_id: flow.client.clientId,
      client_secret: flow.client.clientSecret,
    }).toString(),
  });
  const json = (await res.json()) as { refresh_token?: string; access_token?: string; expires_in?: number };
  if (!json.refresh_token || !json.access_token)
    throw new Error(`the ${flow.platform} sandbox refused the demo code exchange (${res.status})`);
  return {
    refreshToken: json.refresh_token,
    accessToken: json.access_token,
    expiresAt: Date.now() + (json.expires_in ?? flow.defaultExpiresInSeconds) * 1000,
  };
}

/** Login with Amazon on the sandbox. */
export function amazonSandboxTokens(amazonUrl: string): Promise<SandboxTokens> {
  return sandboxCodeExchange({
    platform: 'Amazon',
    authorizeUrl: new URL('/ap/oa', amazonUrl),
    tokenUrl: new URL('/lwa/na/auth/o2/token', amazonUrl),
    client: AMAZON_DEMO_CLIENT,
    scope: 'advertising::campaign_management',
    defaultExpiresInSeconds: 3600,
  });
}

/** A fresh refresh token of the demo Google OAuth app. */
export function sandboxTokens(googleUrl: string, scope: string = GOOGLE_SCOPES.ads): Promise<SandboxTokens> {
  return sandboxCodeExchange({
    platform: 'Google',
    authorizeUrl: new URL('/o/oauth2/v2/auth', googleUrl),
    tokenUrl: new URL('/token', googleUrl),
    client: GOOGLE_DEMO_CLIENT,
    scope,
    defaultExpiresInSeconds: 3599,
  });
}

export interface DemoDataSource {
  platform: Platform;
  credential_id: string;
  data_source_id: string;
  first_job_id: string | null;
}
export interface DemoData {
  project_id: string;
  data_sources: DemoDataSource[];
}

export async function ensureDemoData(
  apiUrl: string,
  urls: DemoSandboxUrls,
  demoUser: { email: string; password: string },
  projectId: string,
): Promise<DemoData> {
  const login = await callLocalApi<{ access_token: string }>(apiUrl, 'POST', '/api/v1/auth/login', undefined, {
    email: demoUser.email,
    password: demoUser.password,
  });
  if (login.status !== 200) throw new Error(`the demo user could not sign in to the local API (${login.status})`);
  const token = login.body.access_token;
  const base = `/api/v1/projects/${projectId}`;
  const credentials = await callLocalApi<{ credentials: { id: string; label: string }[] }>(
    apiUrl,
    'GET',
    `${base}/credentials`,
    token,
  );
  const sources = await callLocalApi<{ data_sources: { id: string; source_name: string }[] }>(
    apiUrl,
    'GET',
    `${base}/data-sources`,
    token,
  );
  const made: DemoDataSource[] = [];
  for (const demo of await demoSources(urls)) {
    const secret = await demo.secret();
    let credentialId = credentials.body.credentials?.find((c) => c.label === demo.credentialLabel)?.id;
    if (credentialId) {
      const rotated = await callLocalApi(apiUrl, 'PUT', `${base}/credentials/${credentialId}`, token, {
        secret,
        status: 'active',
      });
      if (rotated.status !== 200)
        throw new Error(`refreshing the demo ${demo.platform} credential failed (${rotated.status})`);
    } else {
      const created = await callLocalApi<{ id: string }>(apiUrl, 'POST', `${base}/credentials`, token, {
        platform: demo.platform,
        credential_type: demo.credentialType ?? 'oauth2',
        label: demo.credentialLabel,
        secret,
      });
      if (created.status !== 201)
        throw new Error(
          `creating the demo ${demo.platform} credential failed (${created.status}: ${JSON.stringify(created.body)})`,
        );
      credentialId = created.body.id;
    }

    let sourceId = sources.body.data_sources?.find((s) => s.source_name === demo.sourceName)?.id;
    if (!sourceId) {
      const created = await callLocalApi<{ id: string }>(apiUrl, 'POST', `${base}/data-sources`, token, {
        credential_id: credentialId,
        source_name: demo.sourceName,
        extraction_config: {
          account_id: demo.accountId,
          report_types: demo.reportTypes,
          ...(demo.startDate ? { start_date: demo.startDate } : {}),
          ...(demo.options ? { options: demo.options } : {}),
        },
        schedule_config: { frequency: 'hourly' },
      });
      if (created.status !== 201)
        throw new Error(
          `creating the demo ${demo.platform} data source failed (${created.status}: ${JSON.stringify(created.body)})`,
        );
      sourceId = created.body.id;
    }

    // once at every start (a run still going from before answers 409 and is left alone), then hourly
    const extract = await callLocalApi<{ job_id?: string }>(
      apiUrl,
      'POST',
      `${base}/data-sources/${sourceId}/extract`,
      token,
      {},
    );
    if (extract.status !== 202 && extract.status !== 409)
      throw new Error(
        `starting the demo ${demo.platform} extraction failed (${extract.status}: ${JSON.stringify(extract.body)})`,
      );
    made.push({
      platform: demo.platform,
      credential_id: credentialId,
      data_source_id: sourceId,
      first_job_id: extract.body.job_id ?? null,
    });
  }
  return { project_id: projectId, data_sources: made };
}

export const demoDataService: LocalService = {
  name: 'demo-data',
  async start(ctx) {
    const apiUrl = ctx.env.TRIBUTARY_API_URL;
    const sandboxes = ctx.published.sandboxes as Record<string, string> | undefined;
    const demoUser = ctx.published.demoUser as { email: string; password: string } | undefined;
    const projectId = (ctx.published.demoWebhook as { project_id?: string } | undefined)?.project_id;
    if (!apiUrl || !sandboxes?.google || !sandboxes.meta || !demoUser || !projectId) {
      throw new Error(
        'the demo data is set up after the API, the Google and Meta sandboxes and the demo webhook (which makes the demo project)',
      );
    }
    const demoData = await ensureDemoData(
      apiUrl,
      { ...sandboxes, google: sandboxes.google, meta: sandboxes.meta },
      demoUser,
      projectId,
    );
    for (const s of demoData.data_sources) {
      ctx.log(
        'demo-data',
        `Demo ${s.platform} data source ${s.data_source_id}: extracting now${s.first_job_id ? ` (job ${s.first_job_id})` : ''}, then hourly`,
      );
    }
    return { publish: { demoData }, stop: async () => {} };
  },
};
