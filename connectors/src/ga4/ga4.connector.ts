// Google Analytics 4 through googleapis: the Data API's runReport for traffic, key events and revenue by
// day, source/medium and campaign; the Admin API's accountSummaries and properties.get for discovery.
// googleapis takes a rootUrl, so the sandbox stands in without any seam. Base-URL keys read: ga4_data,
// ga4_admin, google_oauth_token, google_oauth_authorize. Shares Google's OAuth flow with Google Ads.
import type { Platform } from '@tributary/shared/domain/platform';
import type {
  AccountInfo,
  Catalog,
  Connector,
  ConnectorContext,
  ConnectorError,
  ReportTypeInfo,
  Stream,
} from '../contract';
import { DEFAULT_RATE_LIMIT_WAIT_MS, classifyFailure, isNetworkError } from '../runtime/classify';
import { callPlatform } from '../runtime/call';
import { badCursor, declareConnector } from '../runtime/streams';
import { platformSdk } from '../runtime/platform-sdk';
import {
  buildGoogleAuthorizeUrl,
  googleAccessTokenExpiresAt,
  exchangeGoogleCode,
  GoogleCredentialSchema,
  googleOAuthSpec,
  refreshGoogleToken,
  type GoogleCredential,
} from '../google-ads/google-oauth';
import { assertRunReportPage, normalizeGa4Page, type RunReportPage } from './ga4-normalize';

const PLATFORM: Platform = 'ga4';
/** The Data and Admin API version this connector speaks. */
export const GA4_API_VERSION = 'v1beta' as const;
/** GA4's default page size; the API allows up to 250,000 rows, but 10,000 keeps each page's memory small. */
export const GA4_PAGE_ROWS = 10_000;
const REQUEST_TIMEOUT_MS = 120_000;

interface Ga4Report extends ReportTypeInfo {
  dimensionNames: string[];
  metricNames: string[];
}

// GA4 keeps processing a day for 24-48 hours (longer for conversions imported from Google Ads), so the
// last 3 days are always extracted again.
const REPORTS: Ga4Report[] = [
  {
    id: 'traffic_daily',
    name: 'Sessions, users, key events and revenue by day, source/medium and campaign',
    dimensionNames: [
      'date',
      'sessionSource',
      'sessionMedium',
      'sessionCampaignId',
      'sessionCampaignName',
      'sessionDefaultChannelGroup',
    ],
    metricNames: ['sessions', 'totalUsers', 'newUsers', 'keyEvents', 'purchaseRevenue'],
    dimensions: ['date', 'source', 'medium', 'campaign', 'channel_group'],
    metrics: ['sessions', 'total_users', 'new_users', 'key_events', 'purchase_revenue'],
    lookbackDays: 3,
  },
];

// the Data and Admin API clients (googleapis): loaded on the first platform call (runtime/platform-sdk.ts)
const sdk = platformSdk(PLATFORM, () => import('./ga4.sdk'));

async function dataApi(ctx: ConnectorContext<GoogleCredential>) {
  return (await sdk()).dataApi(ctx, GA4_API_VERSION);
}

async function adminApi(ctx: ConnectorContext<GoogleCredential>) {
  return (await sdk()).adminApi(ctx, GA4_API_VERSION);
}

/** googleapis retries 5xx and 429 on its own with real sleeps; the runtime owns retries, so it is off. */
function callOptions(ctx: ConnectorContext<GoogleCredential>) {
  return { retry: false, timeout: REQUEST_TIMEOUT_MS, ...(ctx.signal ? { signal: ctx.signal } : {}) };
}

export function classifyGa4Error(err: unknown, now: number): ConnectorError {
  if (isNetworkError(err)) return classifyFailure(PLATFORM, { message: (err as Error).message, cause: err });
  const res = (
    err as { response?: { status?: number; data?: { error?: { code?: number; status?: string; message?: string } } } }
  ).response;
  if (!res)
    return classifyFailure(PLATFORM, {
      message: err instanceof Error ? err.message : String(err),
      kind: 'fatal',
      cause: err,
    });
  const e = res.data?.error;
  const message = e?.message ?? `HTTP ${res.status}`;
  if (res.status === 429 || e?.status === 'RESOURCE_EXHAUSTED') {
    // GA4 sends no Retry-After; its message names the exhausted quota, and with it when tokens return
    // (developers.google.com/analytics/devguides/reporting/data/v1/quotas)
    // ("Exhausted property tokens per hour … will return in under an hour"). An exhausted hourly or daily
    // token quota fails every request to the property until it returns, so it is handed to the pipeline
    // (quotaExhausted) rather than slept through by the worker; concurrent requests free up in seconds.
    const perDay = /per day/i.test(message);
    const perHour = !perDay && /per hour|under an hour/i.test(message);
    const retryAfterMs = perDay
      ? nextBoundary(now, 86_400_000)
      : perHour
        ? nextBoundary(now, 3_600_000)
        : /concurrent/i.test(message)
          ? 10_000
          : DEFAULT_RATE_LIMIT_WAIT_MS;
    return classifyFailure(PLATFORM, {
      status: 429,
      code: e?.status,
      message,
      kind: 'rate_limited',
      retryAfterMs,
      quotaExhausted: perDay || perHour,
      cause: err,
    });
  }
  return classifyFailure(PLATFORM, { status: res.status, code: e?.status, message, cause: err });
}

function nextBoundary(now: number, periodMs: number): number {
  return periodMs - (now % periodMs);
}

const GA4_REPORT_TYPES: readonly ReportTypeInfo[] = REPORTS.map(({ id, name, dimensions, metrics, lookbackDays }) => ({
  id,
  name,
  dimensions,
  metrics,
  lookbackDays,
}));

export function createGa4Connector(options: { pageRows?: number } = {}): Connector<GoogleCredential> {
  const pageRows = options.pageRows ?? GA4_PAGE_ROWS;
  const call = <T>(ctx: ConnectorContext<GoogleCredential>, what: string, fn: () => Promise<T>): Promise<T> =>
    callPlatform(connector, ctx, what, fn);
  // One runReport per page, by offset while offset < rowCount; the cursor is the next offset.
  const reportStream: Stream<GoogleCredential, undefined, { offset: number }, RunReportPage> = {
    reportTypes: REPORTS.map((r) => r.id),
    resume: (cursor) => {
      const offset = cursor ? Number(/^offset:(\d+)$/.exec(cursor)?.[1] ?? NaN) : 0;
      if (!Number.isInteger(offset)) throw badCursor(connector, cursor);
      return { offset };
    },
    request: ({ offset }, { ctx, request }) => {
      const report = REPORTS.find((r) => r.id === request.reportType)!;
      return {
        what: `${request.reportType} ${request.window.start}..${request.window.end} from ${offset}`,
        send: async () => {
          const res = await (
            await dataApi(ctx)
          ).properties.runReport(
            {
              property: `properties/${request.account.id}`,
              requestBody: {
                dateRanges: [{ startDate: request.window.start, endDate: request.window.end }],
                dimensions: report.dimensionNames.map((name) => ({ name })),
                metrics: report.metricNames.map((name) => ({ name })),
                limit: String(pageRows),
                offset: String(offset),
                keepEmptyRows: false,
              },
            },
            callOptions(ctx),
          );
          const body: unknown = res.data;
          assertRunReportPage(body);
          return body as RunReportPage;
        },
      };
    },
    paginate: (page, { offset }) => {
      const received = page.rows?.length ?? 0;
      const next = offset + received;
      const done = received === 0 || next >= Number(page.rowCount ?? 0);
      return { page: { body: page, cursor: `offset:${next}` }, next: done ? null : { offset: next } };
    },
  };

  const connector: Connector<GoogleCredential> = declareConnector({
    platform: PLATFORM,
    displayName: 'Google Analytics 4',
    // the Data and Admin APIs' v1beta has no announced end
    // (developers.google.com/analytics/devguides/reporting/data/v1)
    apiVersion: { version: GA4_API_VERSION, sunset: null, source: 'no end announced by Google' },
    auth: googleOAuthSpec,
    credentialSchema: GoogleCredentialSchema,
    // Core quotas per property: 10 concurrent requests, 40,000 tokens an hour (a 90-day report costs
    // ~10-50 tokens). Requests also count against the Cloud project's 10 per second per user.
    rateLimits: [
      { limit: 5, intervalMs: 1_000 },
      { limit: 1_000, intervalMs: 3_600_000 },
    ],
    reportTypes: GA4_REPORT_TYPES,
    // a property allows 10 concurrent requests; two windows leave room for the dashboard's own users
    maxConcurrency: 2,
    windowDays: 31,
    oauthApp: 'google',
    classifyError: (err, at) => classifyGa4Error(err, at.nowMs),
    // the Data API's standard reports are not cut by the property's retention setting (explorations are)
    dataRetentionMonths: 120,

    async validate(ctx) {
      await call(ctx, 'list account summaries', async () =>
        (await adminApi(ctx)).accountSummaries.list({ pageSize: 1 }, callOptions(ctx)),
      );
    },

    async discover(ctx): Promise<Catalog> {
      const admin = await adminApi(ctx);
      const accounts: AccountInfo[] = [];
      let pageToken: string | undefined;
      do {
        const res = await call(ctx, 'list account summaries', () =>
          admin.accountSummaries.list({ pageSize: 200, ...(pageToken ? { pageToken } : {}) }, callOptions(ctx)),
        );
        for (const summary of res.data.accountSummaries ?? []) {
          for (const p of summary.propertySummaries ?? []) {
            if (!p.property) continue;
            const property = (
              await call(ctx, `read ${p.property}`, () => admin.properties.get({ name: p.property! }, callOptions(ctx)))
            ).data;
            accounts.push({
              id: p.property.replace(/^properties\//, ''),
              name: property.displayName ?? p.displayName ?? p.property,
              currency: property.currencyCode ?? 'USD',
              timeZone: property.timeZone ?? 'UTC',
            });
          }
        }
        pageToken = res.data.nextPageToken ?? undefined;
      } while (pageToken);
      return { accounts, reportTypes: [...GA4_REPORT_TYPES] };
    },

    streams: [reportStream],

    normalize: normalizeGa4Page,

    buildAuthorizeUrl: buildGoogleAuthorizeUrl,
    exchangeCode: (args) => exchangeGoogleCode(PLATFORM, args),
    refresh: (ctx) => refreshGoogleToken(PLATFORM, ctx),
    accessTokenExpiresAt: googleAccessTokenExpiresAt,
  });
  return connector;
}

export const ga4Connector = createGa4Connector();
