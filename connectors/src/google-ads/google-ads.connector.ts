// Google Ads through google-ads-api: performance by day at campaign, ad group and ad level via GAQL
// searchStream, and the customers the login can reach. Base-URL keys read: google_ads (API),
// google_oauth_token and google_oauth_authorize (OAuth).
import type { AccountInfo, Catalog, Connector, ConnectorContext, ReportTypeInfo, Stream } from '../contract';
import { ConnectorConfigError } from '../contract';
import { callPlatform } from '../runtime/call';
import { badCursor, declareConnector } from '../runtime/streams';
import { platformSdk } from '../runtime/platform-sdk';
import { GOOGLE_ADS_API_VERSION } from './google-ads-api-version';
import type { GoogleAdsClient, SearchStreamBatch } from './google-ads-client';
import { classifyGoogleAdsError } from './google-ads-errors';
import { normalizeGoogleAdsPage } from './google-ads-normalize';
import {
  googleApp,
  buildGoogleAuthorizeUrl,
  currentAccessToken,
  googleAccessTokenExpiresAt,
  exchangeGoogleCode,
  GoogleCredentialSchema,
  googleOAuthSpec,
  refreshGoogleToken,
  type GoogleCredential,
} from './google-oauth';

const METRICS = [
  'metrics.impressions',
  'metrics.clicks',
  'metrics.cost_micros',
  'metrics.conversions',
  'metrics.conversions_value',
  'metrics.ctr',
  'metrics.average_cpc',
];

interface AdsReport extends ReportTypeInfo {
  resource: string;
  attributes: string[];
  orderBy: string;
}

// Conversions are attributed back to the click's day for as long as the conversion window (30 days by
// default); most arrive within two weeks, so the last 14 days are always extracted again.
const REPORTS: AdsReport[] = [
  {
    id: 'campaign_daily',
    name: 'Campaign performance by day',
    resource: 'campaign',
    attributes: ['campaign.id', 'campaign.name', 'campaign.status', 'campaign.advertising_channel_type'],
    orderBy: 'segments.date, campaign.id',
    dimensions: ['date', 'campaign'],
    metrics: ['impressions', 'clicks', 'cost', 'conversions', 'conversions_value', 'ctr', 'average_cpc'],
    lookbackDays: 14,
  },
  {
    id: 'ad_group_daily',
    name: 'Ad group performance by day',
    resource: 'ad_group',
    attributes: ['campaign.id', 'campaign.name', 'ad_group.id', 'ad_group.name'],
    orderBy: 'segments.date, ad_group.id',
    dimensions: ['date', 'campaign', 'ad_group'],
    metrics: ['impressions', 'clicks', 'cost', 'conversions', 'conversions_value', 'ctr', 'average_cpc'],
    lookbackDays: 14,
  },
  {
    id: 'ad_daily',
    name: 'Ad performance by day',
    resource: 'ad_group_ad',
    attributes: [
      'campaign.id',
      'campaign.name',
      'ad_group.id',
      'ad_group.name',
      'ad_group_ad.ad.id',
      'ad_group_ad.ad.name',
    ],
    orderBy: 'segments.date, ad_group_ad.ad.id',
    dimensions: ['date', 'campaign', 'ad_group', 'ad'],
    metrics: ['impressions', 'clicks', 'cost', 'conversions', 'conversions_value', 'ctr', 'average_cpc'],
    lookbackDays: 14,
  },
];

export function googleAdsQuery(reportType: string, window: { start: string; end: string }): string {
  const report = REPORTS.find((r) => r.id === reportType);
  if (!report)
    throw new ConnectorConfigError(
      `unknown Google Ads report type ${reportType}`,
      'google_ads',
      `Google Ads has no report "${reportType}".`,
    );
  const day = /^\d{4}-\d{2}-\d{2}$/;
  if (!day.test(window.start) || !day.test(window.end))
    throw new ConnectorConfigError(`invalid window ${window.start}..${window.end}`, 'google_ads');
  return `SELECT ${[...report.attributes, 'segments.date', ...METRICS].join(', ')} FROM ${report.resource} WHERE segments.date BETWEEN '${window.start}' AND '${window.end}' ORDER BY ${report.orderBy}`;
}

const sdk = platformSdk('google_ads', () => import('./google-ads.sdk'));

async function client(ctx: ConnectorContext<GoogleCredential>): Promise<GoogleAdsClient> {
  const cred = ctx.credential;
  const app = googleApp('google_ads', ctx);
  if (!app.developerToken) {
    throw new ConnectorConfigError(
      'the Google Ads credential has no developer token',
      'google_ads',
      'Tributary is missing its Google Ads developer token; ask your administrator to configure it.',
    );
  }
  const { createGoogleAdsClient } = await sdk();
  return createGoogleAdsClient({
    ...(ctx.baseUrls.google_ads ? { baseUrl: ctx.baseUrls.google_ads } : {}),
    clientId: app.clientId,
    clientSecret: app.clientSecret,
    developerToken: app.developerToken,
    accessToken: currentAccessToken('google_ads', ctx),
    refreshToken: cred.refreshToken,
    ...(cred.loginCustomerId ? { loginCustomerId: cred.loginCustomerId } : {}),
    ...(ctx.signal ? { signal: ctx.signal } : {}),
  });
}

const call = <T>(ctx: ConnectorContext<GoogleCredential>, what: string, fn: () => Promise<T>): Promise<T> =>
  callPlatform(googleAdsConnector, ctx, what, fn);

async function listCustomerIds(ctx: ConnectorContext<GoogleCredential>, c: GoogleAdsClient): Promise<string[]> {
  const res = await call(ctx, 'list accessible customers', () =>
    c.get<{ resourceNames?: string[] }>('customers:listAccessibleCustomers'),
  );
  return (res.resourceNames ?? []).map((n) => n.replace(/^customers\//, ''));
}

/** A customer's name, currency and time zone; null for a customer without them (a manager account). */
async function describeCustomer(
  ctx: ConnectorContext<GoogleCredential>,
  c: GoogleAdsClient,
  id: string,
): Promise<AccountInfo | null> {
  const customer = c.customer(id);
  const rows = await call(ctx, `describe customer ${id}`, () =>
    c.run(() =>
      customer.query(
        'SELECT customer.id, customer.descriptive_name, customer.currency_code, customer.time_zone FROM customer',
      ),
    ),
  );
  const info = (
    rows[0] as
      { customer?: { id?: string; descriptiveName?: string; currencyCode?: string; timeZone?: string } } | undefined
  )?.customer;
  if (!info?.currencyCode || !info.timeZone) return null;
  return { id, name: info.descriptiveName ?? id, currency: info.currencyCode, timeZone: info.timeZone };
}

const REPORT_TYPES: readonly ReportTypeInfo[] = REPORTS.map(({ id, name, dimensions, metrics, lookbackDays }) => ({
  id,
  name,
  dimensions,
  metrics,
  lookbackDays,
}));
const reportTypes = (): ReportTypeInfo[] => [...REPORT_TYPES];

/** A page body whose results are the batch's, parsed when first read. */
function batchBody(batch: SearchStreamBatch): { readonly results: unknown[] } {
  return {
    get results() {
      return batch.results;
    },
  };
}

interface SearchState {
  /** rows delivered before a resume: the (ordered) query is run again and they are skipped */
  skip: number;
  /** rows of the response read so far */
  seen: number;
  pages: number;
}

/**
 * One searchStream per window: the whole window in one call, the fewest requests Google allows. A page is
 * one of the stream's batches (up to 10,000 rows), with its bytes as Google sent them for the raw archive.
 * The cursor counts rows; a resumed window re-runs the (ordered) query and skips the rows delivered.
 */
const searchStream: Stream<GoogleCredential, GoogleAdsClient, SearchState, SearchStreamBatch> = {
  reportTypes: REPORTS.map((r) => r.id),
  plan: (io) => client(io.ctx),
  resume: (cursor) => {
    const skip = cursor ? Number(/^rows:(\d+)$/.exec(cursor)?.[1] ?? NaN) : 0;
    if (!Number.isInteger(skip)) throw badCursor({ platform: 'google_ads' }, cursor);
    return { skip, seen: 0, pages: 0 };
  },
  request: (_state, { request, plan: c }) => ({
    what: `${request.reportType} ${request.window.start}..${request.window.end}`,
    open: () => c.searchStream(request.account.id, googleAdsQuery(request.reportType, request.window)),
  }),
  paginate: (batch, st) => {
    const before = st.seen;
    const seen = before + batch.rowCount;
    if (seen <= st.skip || (batch.rowCount === 0 && st.pages > 0)) return { next: { ...st, seen } };
    const next = { ...st, seen, pages: st.pages + 1 };
    // a batch partly delivered before the resume: only its remaining rows, and no raw bytes (they hold both)
    if (before < st.skip)
      return { page: { body: { results: batch.results.slice(st.skip - before) }, cursor: `rows:${seen}` }, next };
    // the body parses on first read: a pipeline that normalizes from the raw bytes elsewhere never reads it
    return { page: { body: batchBody(batch), raw: batch.bytes, cursor: `rows:${seen}` }, next };
  },
  end: (st, _x, pages) => (pages === 0 ? { body: { results: [] }, cursor: `rows:${st.seen}` } : undefined),
};

export const googleAdsConnector: Connector<GoogleCredential> = declareConnector({
  platform: 'google_ads',
  displayName: 'Google Ads',
  // Google's 2026 schedule projects v25's sunset for August 2027 without a day yet: the first of the month,
  // so the warning comes early rather than late (developers.google.com/google-ads/api/docs/sunset-dates)
  apiVersion: {
    version: GOOGLE_ADS_API_VERSION,
    sunset: '2027-08-01',
    source: 'projected August 2027 (developers.google.com/google-ads/api/docs/sunset-dates)',
  },
  auth: googleOAuthSpec,
  credentialSchema: GoogleCredentialSchema,
  // Google Ads meters operations per developer token (Basic access: 15,000 a day) and throttles bursts
  // per customer with RESOURCE_TEMPORARILY_EXHAUSTED (developers.google.com/google-ads/api/docs/best-practices/quotas).
  // 5 calls a second per credential stays clear of the burst limits; the daily quota is handled by the
  // error's retryDelay.
  rateLimits: [{ limit: 5, intervalMs: 1_000 }],
  reportTypes: REPORT_TYPES,
  // every window of a 90-day run of three reports starts at once: the rate budget, not the Map, paces them
  // (with 4, the last windows waited for a free slot, not for the budget)
  maxConcurrency: 10,
  windowDays: 31,
  oauthApp: 'google',
  normalizesRawBytes: true,
  classifyError: (err) => classifyGoogleAdsError(err),
  // reports reach back to the account's creation; we stop at ten years, the data API's longest range
  dataRetentionMonths: 120,

  async validate(ctx) {
    const c = await client(ctx);
    await listCustomerIds(ctx, c);
  },

  async discover(ctx): Promise<Catalog> {
    const c = await client(ctx);
    const ids = await listCustomerIds(ctx, c);
    const accounts: AccountInfo[] = [];
    for (const id of ids) {
      const account = await describeCustomer(ctx, c, id);
      if (account) accounts.push(account);
    }
    return { accounts, reportTypes: reportTypes() };
  },

  /** One call: the customer's own row (a customer the login cannot reach answers PERMISSION_DENIED). */
  async catalogFor(ctx, accountId): Promise<Catalog> {
    const account = await describeCustomer(ctx, await client(ctx), accountId);
    return { accounts: account ? [account] : [], reportTypes: reportTypes() };
  },

  streams: [searchStream],

  normalize: normalizeGoogleAdsPage,

  buildAuthorizeUrl: buildGoogleAuthorizeUrl,
  exchangeCode: (args) => exchangeGoogleCode('google_ads', args),
  refresh: (ctx) => refreshGoogleToken('google_ads', ctx),
  accessTokenExpiresAt: googleAccessTokenExpiresAt,
});
