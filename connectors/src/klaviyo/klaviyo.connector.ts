// Klaviyo through klaviyo-api (the Reporting API): email and SMS performance by send day, for campaigns and
// flows, in the account's time zone and currency. Base-URL keys read: klaviyo_api (a.klaviyo.com, also the
// token endpoint), klaviyo_oauth (www.klaviyo.com, the consent page). The client seam (our revision, one
// attempt per request) is klaviyo.sdk.ts, loaded on the first platform call.
//
// Daily numbers. Klaviyo reports campaigns and flows by send date, like its UI. Campaigns have only a values
// report (totals over a timeframe, no series), so `campaign_daily` asks one campaign values report per day
// of the window: its rows are the campaigns sent that day. Flows have a series report: `flow_daily` asks one
// flow series report (interval daily, at most 60 days) per window. A 90-day backfill is therefore 90 + 7
// report calls (windows of 14 days), inside the 225 a day Klaviyo allows, with room for the hourly lookback.
//
// Limits (developers.klaviyo.com/en/docs/rate_limits_and_error_handling; each endpoint's reference page):
// the reports allow 1/s burst, 2/min steady and 225/day per account; accounts 1/s and 15/min; metrics
// 10/s and 150/min. A 429 carries Retry-After: a wait beyond the steady minute is the day's quota, which the
// pipeline waits out (the window resumes the next day) instead of failing.
import type { FactRow } from '@tributary/shared/domain/fact-row';
import {
  ConnectorConfigError,
  type AccountInfo,
  type Catalog,
  type Connector,
  type ConnectorContext,
  type RawPage,
  type RecordMeta,
  type ReportTypeInfo,
  type Stream,
} from '../contract';
import { callPlatform } from '../runtime/call';
import { declareConnector } from '../runtime/streams';
import { platformSdk } from '../runtime/platform-sdk';
import { KLAVIYO_API_VERSION, KLAVIYO_REVISION, classifyKlaviyoError } from './klaviyo-client';
import { normalizeKlaviyoPage, type KlaviyoPage } from './klaviyo-normalize';
import {
  KlaviyoCredentialSchema,
  buildKlaviyoAuthorizeUrl,
  exchangeKlaviyoCode,
  klaviyoAccessTokenExpiresAt,
  klaviyoOAuthSpec,
  refreshKlaviyoToken,
  type KlaviyoCredential,
} from './klaviyo-oauth';
import type { KlaviyoApis } from './klaviyo.sdk';

const PLATFORM = 'klaviyo' as const;
// the klaviyo-api clients: loaded on the first platform call (runtime/platform-sdk.ts)
const sdk = platformSdk(PLATFORM, () => import('./klaviyo.sdk'));
/** the conversion metric a data source counts when it names none */
export const DEFAULT_CONVERSION_METRIC = 'Placed Order';
/** the report calls' own budget (RatePolicy.tag) */
const REPORTS = 'reports';
/** Klaviyo: "If daily is used, the timeframe cannot be longer than 60 days." */
const SERIES_MAX_DAYS = 60;
const STATISTICS = [
  'recipients',
  'delivered',
  'bounced',
  'opens',
  'opens_unique',
  'clicks',
  'clicks_unique',
  'unsubscribes',
  'conversions',
  'conversion_uniques',
  'conversion_value',
];
const METRICS = [
  'clicks',
  'conversions',
  'conversion_value',
  ...STATISTICS.filter((s) => !['clicks', 'conversions', 'conversion_value'].includes(s)),
];

// Lookback: Klaviyo attributes a conversion to a message for 5 days after an open or click by default, and
// opens and clicks keep arriving for days after a send, so the last 5 days are always read again. Each run
// then costs 6 campaign calls + 1 flow call: an hourly schedule stays under 225 a day.
const LOOKBACK_DAYS = 5;
export const KLAVIYO_REPORT_TYPES: readonly ReportTypeInfo[] = [
  {
    id: 'campaign_daily',
    name: 'Campaign email and SMS performance by send day, campaign message and channel',
    dimensions: ['date', 'campaign_id', 'campaign_message_id', 'campaign_message_name', 'send_channel'],
    metrics: METRICS,
    lookbackDays: LOOKBACK_DAYS,
  },
  {
    id: 'flow_daily',
    name: 'Flow email and SMS performance by send day, flow message and channel',
    dimensions: ['date', 'flow_id', 'flow_name', 'flow_message_id', 'flow_message_name', 'send_channel'],
    metrics: METRICS,
    lookbackDays: LOOKBACK_DAYS,
  },
];

interface KlaviyoPlan {
  metricId: string;
  apis: KlaviyoApis;
}

export interface KlaviyoOptions {
  /** per request; the SDK sets none */
  callTimeoutMs?: number;
  /** the revision sent; another only in tests of how Klaviyo answers a retired one */
  revision?: string;
}

export function createKlaviyoConnector(options: KlaviyoOptions = {}): Connector<KlaviyoCredential> {
  const timeoutMs = options.callTimeoutMs ?? 120_000;
  const revision = options.revision ?? KLAVIYO_REVISION;
  const apis = async (ctx: ConnectorContext<KlaviyoCredential>) => (await sdk()).klaviyoApis(ctx, timeoutMs, revision);
  const call = <T>(ctx: ConnectorContext<KlaviyoCredential>, what: string, fn: () => Promise<T>, tag?: string) =>
    callPlatform(connector, ctx, what, fn, tag ? { tag } : {});

  async function account(ctx: ConnectorContext<KlaviyoCredential>, a: KlaviyoApis): Promise<AccountInfo> {
    const res = await call(ctx, 'read the account (accounts:read)', () =>
      a.accounts.getAccounts({
        fieldsAccount: ['contact_information.organization_name', 'timezone', 'preferred_currency'],
      }),
    );
    const data = (
      res.response.data as {
        data?: {
          id?: string;
          attributes?: {
            timezone?: string;
            preferred_currency?: string;
            contact_information?: { organization_name?: string };
          };
        }[];
      }
    ).data?.[0];
    if (!data?.id)
      throw new ConnectorConfigError(
        'Klaviyo returned no account for this key',
        PLATFORM,
        'Klaviyo shows no account for this key.',
      );
    return {
      id: data.id,
      name: data.attributes?.contact_information?.organization_name ?? data.id,
      currency: data.attributes?.preferred_currency ?? 'USD',
      timeZone: data.attributes?.timezone ?? 'UTC',
    };
  }

  /** Every metric of the account, page by page (page[cursor] from links.next). */
  async function metrics(
    ctx: ConnectorContext<KlaviyoCredential>,
    a: KlaviyoApis,
  ): Promise<{ id: string; name: string }[]> {
    const out: { id: string; name: string }[] = [];
    let cursor: string | undefined;
    do {
      const c = cursor;
      const res = await call(ctx, 'list the metrics (metrics:read)', () =>
        a.metrics.getMetrics({ fieldsMetric: ['name'], ...(c ? { pageCursor: c } : {}) }),
      );
      const body = res.response.data as {
        data?: { id: string; attributes?: { name?: string } }[];
        links?: { next?: string | null };
      };
      for (const m of body.data ?? []) out.push({ id: m.id, name: m.attributes?.name ?? m.id });
      cursor = cursorOf(body.links?.next, 'page[cursor]');
    } while (cursor);
    return out;
  }

  async function resolveMetric(
    ctx: ConnectorContext<KlaviyoCredential>,
    chosen: string | undefined,
  ): Promise<{ id: string; name: string }> {
    const all = await metrics(ctx, await apis(ctx));
    const wanted = chosen ?? DEFAULT_CONVERSION_METRIC;
    const found = all.find((m) => m.id === wanted) ?? all.find((m) => m.name === wanted);
    if (!found) {
      const names = all.map((m) => `${m.name} (${m.id})`).join(', ');
      throw new ConnectorConfigError(
        `the Klaviyo account has no metric ${wanted}`,
        PLATFORM,
        chosen
          ? `The Klaviyo account has no metric "${chosen}". Choose the conversion metric among: ${names}.`
          : `The Klaviyo account has no "${DEFAULT_CONVERSION_METRIC}" metric; choose the conversion metric among: ${names}.`,
      );
    }
    return found;
  }

  /**
   * A report asked day range by day range (flows: a series of at most 60 days; campaigns: one values report per
   * send day), each range paged by Klaviyo's page_cursor. Cursor: `<range start>|<page cursor>`, or `done`.
   */
  function reportStream(
    report: KlaviyoPage['report'],
    rangeDays: number,
  ): Stream<KlaviyoCredential, KlaviyoPlan | null, { from: string; page?: string }, KlaviyoPage['response']> {
    return {
      reportTypes: [report],
      plan: async (io, request) => {
        if (request.resumeCursor === 'done') return null;
        const metricId = request.options?.conversion_metric_id ?? (await resolveMetric(io.ctx, undefined)).id;
        return { metricId, apis: await apis(io.ctx) };
      },
      resume: (cursor, { plan, request }) => {
        if (!plan) return null;
        const [day, page] = (cursor ?? '').split('|');
        const from = day && day >= request.window.start ? day : request.window.start;
        return { from, ...(from === day && page ? { page } : {}) };
      },
      request: ({ from, page }, { request, plan }) => {
        if (from > request.window.end) return null;
        const { metricId, apis: a } = plan!;
        const to = minDay(addDays(from, rangeDays - 1), request.window.end);
        const timeframe = { start: midnight(from), end: midnight(addDays(to, 1)) };
        const cursor = page ? { pageCursor: page } : {};
        const send = async () => {
          const res =
            report === 'flow_daily'
              ? await a.reporting.queryFlowSeries(
                  {
                    data: {
                      type: 'flow-series-report',
                      attributes: {
                        statistics: STATISTICS as never,
                        timeframe,
                        interval: 'daily',
                        conversionMetricId: metricId,
                        groupBy: ['flow_id', 'flow_message_id', 'flow_name', 'flow_message_name', 'send_channel'],
                      },
                    },
                  } as never,
                  cursor,
                )
              : await a.reporting.queryCampaignValues(
                  {
                    data: {
                      type: 'campaign-values-report',
                      attributes: {
                        statistics: STATISTICS as never,
                        timeframe,
                        conversionMetricId: metricId,
                        groupBy: ['campaign_id', 'campaign_message_id', 'campaign_message_name', 'send_channel'],
                      },
                    },
                  } as never,
                  cursor,
                );
          return res.response.data as KlaviyoPage['response'];
        };
        const what =
          report === 'flow_daily'
            ? `flow series ${from}..${to} (flows:read)`
            : `campaign values for ${from} (campaigns:read)`;
        return { what, send, tag: REPORTS };
      },
      paginate: (response, { from }, { request, plan }) => {
        const links = (response as { links?: { next?: string | null } }).links;
        const page = cursorOf(links?.next, 'page_cursor');
        const body: KlaviyoPage = {
          report,
          ...(report === 'campaign_daily' ? { day: from } : {}),
          conversion_metric_id: plan!.metricId,
          response,
        };
        const next = addDays(minDay(addDays(from, rangeDays - 1), request.window.end), 1);
        if (page) return { page: { body, cursor: `${from}|${page}` }, next: { from, page } };
        return next <= request.window.end
          ? { page: { body, cursor: `${next}|` }, next: { from: next } }
          : { page: { body, cursor: 'done' }, next: null };
      },
    };
  }

  const connector: Connector<KlaviyoCredential> = declareConnector({
    platform: PLATFORM,
    displayName: 'Klaviyo',
    apiVersion: KLAVIYO_API_VERSION,
    auth: klaviyoOAuthSpec,
    credentialSchema: KlaviyoCredentialSchema,
    rateLimits: [
      // every call: the strictest burst and steady rate of the endpoints we call (accounts: 1/s, 15/min)
      { limit: 1, intervalMs: 1_000 },
      { limit: 15, intervalMs: 60_000 },
      // the values and series reports: 2/min steady and 225/day per account
      { limit: 2, intervalMs: 60_000, tag: REPORTS },
      { limit: 225, intervalMs: 86_400_000, tag: REPORTS, quota: true },
    ],
    reportTypes: KLAVIYO_REPORT_TYPES,
    // one window at a time: the 2-a-minute report budget, not concurrency, sets the pace
    maxConcurrency: 1,
    // 14 campaign calls a window take 7 minutes at 2 a minute: well inside a worker's 15
    windowDays: 14,
    // Klaviyo's reporting keeps campaign and flow statistics for the account's lifetime; we read 2 years
    dataRetentionMonths: 24,
    oauthApp: 'klaviyo',
    classifyError: (err, at) => classifyKlaviyoError(err, at.what, at.nowMs),
    // RateLimit-Remaining 0 on an answer: the steady window is spent, wait its reset rather than take a 429
    throttleHint(result) {
      const headers = (result as { response?: { headers?: Record<string, unknown> } } | null)?.response?.headers;
      if (!headers || String(headers['ratelimit-remaining'] ?? '') !== '0') return undefined;
      const reset = Number(headers['ratelimit-reset'] ?? 60);
      return Number.isFinite(reset) ? reset * 1000 : 60_000;
    },

    // the account, then one cheap list call per report scope: a key without campaigns:read or flows:read is
    // refused here (403, naming the scopes) rather than at its first extraction
    async validate(ctx) {
      const a = await apis(ctx);
      await account(ctx, a);
      await call(ctx, 'list campaigns (campaigns:read)', () =>
        a.campaigns.getCampaigns("equals(messages.channel,'email')", { fieldsCampaign: ['name'] }),
      );
      await call(ctx, 'list flows (flows:read)', () => a.flows.getFlows({ fieldsFlow: ['name'], pageSize: 1 }));
    },

    async discover(ctx): Promise<Catalog> {
      // a private key (or an app's grant) sees exactly one account
      return { accounts: [await account(ctx, await apis(ctx))], reportTypes: [...KLAVIYO_REPORT_TYPES] };
    },

    async catalogFor(ctx, accountId): Promise<Catalog> {
      const a = await account(ctx, await apis(ctx));
      return { accounts: a.id === accountId ? [a] : [], reportTypes: [...KLAVIYO_REPORT_TYPES] };
    },

    async resolveOptions(ctx, _account, options) {
      // conversion_metric_name is what this returned before: an update may send it back
      const unknown = Object.keys(options).filter(
        (k) => k !== 'conversion_metric_id' && k !== 'conversion_metric_name',
      );
      if (unknown.length)
        throw new ConnectorConfigError(
          `unknown Klaviyo options ${unknown.join(', ')}`,
          PLATFORM,
          `Klaviyo data sources take one option, conversion_metric_id; not ${unknown.join(', ')}.`,
        );
      const metric = await resolveMetric(ctx, options.conversion_metric_id);
      return { conversion_metric_id: metric.id, conversion_metric_name: metric.name };
    },

    streams: [reportStream('flow_daily', SERIES_MAX_DAYS), reportStream('campaign_daily', 1)],

    normalize(page: RawPage, meta: RecordMeta): FactRow[] {
      return normalizeKlaviyoPage(page, meta);
    },

    buildAuthorizeUrl: buildKlaviyoAuthorizeUrl,
    exchangeCode: (args) => exchangeKlaviyoCode(args),
    refresh: (ctx) => refreshKlaviyoToken(ctx.credential, ctx.baseUrls, ctx.oauthClient, ctx.now),
    accessTokenExpiresAt: klaviyoAccessTokenExpiresAt,
  });
  return connector;
}

export const klaviyoConnector = createKlaviyoConnector();

/**
 * A day's start as Klaviyo's custom timeframe takes it: the offset is ignored and the account's time zone
 * applies, so local midnight is written as a bare wall-clock time (the SDK sends Dates as ISO strings).
 */
function midnight(day: string): Date {
  return new Date(`${day}T00:00:00Z`);
}

function minDay(a: string, b: string): string {
  return a < b ? a : b;
}

function addDays(day: string, n: number): string {
  return new Date(Date.parse(`${day}T00:00:00Z`) + n * 86_400_000).toISOString().slice(0, 10);
}

/** The cursor in a links.next URL (Klaviyo's own origin, or the sandbox's); undefined on the last page. */
function cursorOf(next: string | null | undefined, param: string): string | undefined {
  if (!next) return undefined;
  try {
    return new URL(next).searchParams.get(param) ?? undefined;
  } catch {
    return undefined;
  }
}
