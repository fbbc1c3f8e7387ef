// Meta Ads through facebook-nodejs-business-sdk: ad accounts, and Ads Insights by day (time_increment=1) at
// account, campaign, ad set or ad level. Short windows are read synchronously; long ones through an async
// report run (POST insights → poll the run → page its insights), as Meta's insights best practices advise
// for queries that would otherwise time out.
//
// Requests, paging, error mapping, OAuth and validate are the Graph declaration Meta Ads shares with Instagram
// (graph-connector.ts). Retries are not done here: the runtime (../runtime/call.ts) budgets each request,
// waits out rate limits as Meta asked, refreshes the token once, and resumes from the last page's cursor.
import type { AdAccount, AdReportRun, Cursor } from 'facebook-nodejs-business-sdk';
import type { FactRow } from '@tributary/shared/domain/fact-row';
import {
  TransientPlatformError,
  type Catalog,
  type Connector,
  type RawPage,
  type RecordMeta,
  type ReportTypeInfo,
  type Stream,
} from '../contract';
import { declareConnector } from '../runtime/streams';
import type { GraphClient } from './meta.sdk';
import { graphDeclaration, graphRequests } from './graph-connector';
import type { MetaCredential } from './meta-oauth';
import { DEFAULT_CONVERSION_ACTION_TYPE, normalizeInsightsPage } from './normalize';

export interface MetaAdsOptions {
  /**
   * the action type counted as conversions and revenue (actions / action_values), e.g. 'purchase', 'omni_purchase',
   * 'lead'
   */
  conversionActionType?: string;
  /** rows per insights page */
  pageSize?: number;
  /** windows longer than this many days go through an async report run */
  asyncThresholdDays?: number;
  asyncPollIntervalMs?: number;
  asyncMaxPolls?: number;
  /** the SDK sets no timeout of its own */
  callTimeoutMs?: number;
}

const LEVELS = { account_daily: 'account', campaign_daily: 'campaign', adset_daily: 'adset', ad_daily: 'ad' } as const;
type ReportType = keyof typeof LEVELS;

const METRICS = [
  'spend',
  'impressions',
  'clicks',
  'reach',
  'frequency',
  'cpm',
  'cpc',
  'ctr',
  'inline_link_clicks',
  'actions',
  'action_values',
] as const;
const LEVEL_FIELDS: Record<ReportType, readonly string[]> = {
  account_daily: ['account_id', 'account_name', 'account_currency'],
  campaign_daily: ['account_id', 'account_name', 'account_currency', 'campaign_id', 'campaign_name', 'objective'],
  adset_daily: [
    'account_id',
    'account_name',
    'account_currency',
    'campaign_id',
    'campaign_name',
    'adset_id',
    'adset_name',
    'objective',
  ],
  ad_daily: [
    'account_id',
    'account_name',
    'account_currency',
    'campaign_id',
    'campaign_name',
    'adset_id',
    'adset_name',
    'ad_id',
    'ad_name',
    'objective',
  ],
};
// Lookback: Meta keeps revising attributed conversions for the length of the attribution window (7-day click
// by default, 28 days for accounts that still use it), so the last 28 days are always read again.
const LOOKBACK_DAYS = 28;
const REPORT_TYPES: ReportTypeInfo[] = (Object.keys(LEVELS) as ReportType[]).map((id) => ({
  id,
  name: `${LEVELS[id][0]!.toUpperCase()}${LEVELS[id].slice(1)} insights by day`,
  dimensions: ['date', ...LEVEL_FIELDS[id].filter((f) => f.endsWith('_id') || f.endsWith('_name'))],
  metrics: [...METRICS],
  lookbackDays: LOOKBACK_DAYS,
}));

interface InsightsPlan {
  g: GraphClient;
  account: AdAccount;
  reportRun: (id: string) => AdReportRun;
  fields: string[];
  params: Record<string, unknown>;
  what: string;
}
interface InsightsState {
  /** s: the insights edge, synchronously; a: an async report run's insights */
  kind: 's' | 'a';
  run?: string;
  after?: string;
  /** the last page read: the next one follows its paging */
  prev?: Cursor;
}

export function createMetaAdsConnector(options: MetaAdsOptions = {}): Connector<MetaCredential> {
  const conversionActionType = options.conversionActionType ?? DEFAULT_CONVERSION_ACTION_TYPE;
  const pageSize = options.pageSize ?? 500;
  const asyncThresholdDays = options.asyncThresholdDays ?? 31;
  const pollIntervalMs = options.asyncPollIntervalMs ?? 2_000;
  const maxPolls = options.asyncMaxPolls ?? 90;
  const callTimeoutMs = options.callTimeoutMs ?? 120_000;

  const requests = graphRequests(() => connector, 'meta_ads', callTimeoutMs);
  const { client } = requests;

  const pageBody = (cursor: Cursor) => ({
    // Array.from, not cursor.map: map would build a new Cursor through Array's species constructor
    data: Array.from(cursor, (o) => o.exportData()),
    // paging.next carries the access token in its query string: keep only the cursors in the archived page
    ...(cursor.paging?.cursors ? { paging: { cursors: cursor.paging.cursors } } : {}),
  });

  /**
   * Insights at the report's level, by day: short windows page the insights edge synchronously (cursor
   * `s|<after>`); long ones start an async report run (the stream's job), which the runtime polls, then page the
   * run's insights (cursor `a|<run id>|<after>`). `done` after the last page.
   */
  const insightsStream: Stream<MetaCredential, InsightsPlan, InsightsState, Cursor> = {
    reportTypes: Object.keys(LEVELS),
    plan: async (io, request) => {
      const reportType = request.reportType as ReportType;
      const g = await client(io.ctx);
      const { AdAccount, AdReportRun } = await requests.sdk();
      return {
        g,
        account: new AdAccount(`act_${request.account.id.replace(/^act_/, '')}`, {}, undefined, g.api),
        reportRun: (id) => newReportRun(AdReportRun, id, g),
        fields: [...LEVEL_FIELDS[reportType], ...METRICS],
        params: {
          level: LEVELS[reportType],
          time_increment: 1,
          time_range: { since: request.window.start, until: request.window.end },
          limit: pageSize,
        },
        what: `${reportType} ${request.window.start}..${request.window.end}`,
      };
    },
    resume: (cursor, { request }) => {
      if (cursor === 'done') return null;
      const [kind, runOrAfter, runAfter] = (cursor ?? '').split('|');
      if (kind === 's') return { kind: 's', ...(runOrAfter ? { after: runOrAfter } : {}) };
      if (kind === 'a')
        return { kind: 'a', ...(runOrAfter ? { run: runOrAfter } : {}), ...(runAfter ? { after: runAfter } : {}) };
      const days = (Date.parse(request.window.end) - Date.parse(request.window.start)) / 86_400_000 + 1;
      return { kind: days <= asyncThresholdDays ? 's' : 'a' };
    },
    job: {
      wanted: (st) => st.kind === 'a' && !st.run,
      start: async (io, _st, { plan: p }) => {
        const what = `start the report run for ${p.what}`;
        const run = await io.call(what, () => p.g.run(what, () => p.account.getInsightsAsync(p.fields, p.params)));
        const data = run.exportData() as { report_run_id?: string; id?: string };
        const runId = data.report_run_id ?? data.id ?? null;
        if (!runId) throw new TransientPlatformError(`Meta did not return a report run id for ${p.what}`, 'meta_ads');
        return runId;
      },
      poll: async (io, id: string, { plan: p }) => {
        const what = `poll the report run for ${p.what}`;
        // exportAllData: read() records what the server sent as the object's data, not as changes, so
        // exportData() (changes only) would never show the status
        const status = (
          await io.call(what, () =>
            p.g.run(what, () => p.reportRun(id).get(['async_status', 'async_percent_completion'])),
          )
        ).exportAllData() as {
          async_status?: string;
          async_percent_completion?: number;
          error_message?: string;
          error_code?: number;
        };
        if (status.async_status === 'Job Failed' || status.async_status === 'Job Skipped') {
          // Meta's advice for a failed async job (-2/2490547) is to run it again: transient, a new run on retry
          throw new TransientPlatformError(
            `the Meta report run for ${p.what} ended in "${status.async_status}": ${status.error_message ?? 'no reason given'} [${status.error_code ?? '?'}]`,
            'meta_ads',
          );
        }
        return status.async_status === 'Job Completed' && (status.async_percent_completion ?? 100) >= 100
          ? true
          : undefined;
      },
      polling: {
        maxPolls,
        delayMs: (poll) => Math.min(30_000, pollIntervalMs * 2 ** Math.min(poll - 1, 4)),
      },
      describe: (id: string, { plan: p }) => `the Meta report run ${id} for ${p.what}`,
      ready: (st, id: string) => ({ kind: 'a', run: id }),
    },
    request: (st, { plan: p }) => {
      const { prev, after } = st;
      const page = after ? { after } : {};
      const first = () =>
        st.kind === 's'
          ? p.account.getInsights(p.fields, { ...p.params, ...page })
          : p.reportRun(st.run!).getInsights([], { limit: pageSize, ...page });
      // after the first page, the SDK's Cursor follows Meta's paging.next
      return requests.request(p.g, p.what, prev ? () => prev.next() : first);
    },
    paginate: (cursor, st) => {
      const nextAfter = cursor.paging?.cursors?.after;
      const prefix = st.kind === 's' ? 's' : `a|${st.run}`;
      return {
        page: { body: pageBody(cursor), cursor: cursor.hasNext() && nextAfter ? `${prefix}|${nextAfter}` : 'done' },
        next: cursor.hasNext() ? { ...st, prev: cursor } : null,
      };
    },
  };

  const connector: Connector<MetaCredential> = declareConnector({
    ...graphDeclaration('meta_ads', ['ads_read', 'business_management'], requests),
    displayName: 'Meta Ads',
    // Meta publishes no fixed call rate for insights: the Business Use Case budget depends on the access tier
    // and the account's active ads, and is reported in X-Business-Use-Case-Usage. We hold ourselves to a
    // steady 200 calls a minute per credential and pause when Meta reports usage above 95 % (throttleHint).
    rateLimits: [{ limit: 200, intervalMs: 60_000 }],
    reportTypes: REPORT_TYPES,
    maxConcurrency: 3,
    // a month a window: short enough for synchronous insights (up to asyncThresholdDays)
    windowDays: 31,
    // the Insights API serves 37 months
    dataRetentionMonths: 37,

    async discover(ctx): Promise<Catalog> {
      const g = await client(ctx);
      const { User } = await requests.sdk();
      const accounts: Catalog['accounts'] = [];
      const edge = () =>
        new User('me', {}, undefined, g.api).getAdAccounts(
          ['account_id', 'name', 'currency', 'timezone_name', 'account_status'],
          { limit: 100 },
        );
      for await (const cursor of requests.pages(ctx, g, 'list ad accounts', edge)) {
        for (const a of cursor) {
          const d = a.exportData() as {
            id?: string;
            account_id?: string;
            name?: string;
            currency?: string;
            timezone_name?: string;
          };
          accounts.push({
            id: d.account_id ?? String(d.id).replace(/^act_/, ''),
            name: d.name ?? String(d.id),
            currency: d.currency ?? 'USD',
            timeZone: d.timezone_name ?? 'UTC',
          });
        }
      }
      return { accounts, reportTypes: [...REPORT_TYPES] };
    },

    streams: [insightsStream],

    normalize(page: RawPage, meta: RecordMeta): FactRow[] {
      return normalizeInsightsPage(page.body, meta, { conversionActionType });
    },
  });
  return connector;
}

export const metaAdsConnector = createMetaAdsConnector();

/**
 * AdReportRun's constructor (SDK 24) calls super() without its arguments: it takes its id from
 * `data.report_run_id` (the shape of the POST /act_{id}/insights answer) and ignores both the id argument and
 * the api, so the id goes in as report_run_id and the api is set back by hand. Without them the SDK's own
 * read() and getInsights() throw "AdReportRun Id not defined" / find no api.
 */
function newReportRun(ReportRun: typeof AdReportRun, id: string, g: GraphClient): AdReportRun {
  return Object.assign(new ReportRun(id, { report_run_id: id }, undefined, g.api), { _api: g.api });
}
