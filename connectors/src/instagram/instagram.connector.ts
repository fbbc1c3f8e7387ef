// Instagram (Graph API, Facebook Login) through the same SDK as Meta Ads: IGUser account insights by day and
// IGMedia lifetime insights (PLATFORMS.md §4). The client seam, error classification and OAuth are Meta Ads'.
//
// Account insights come in two shapes: `reach` and `follower_count` as a daily time series (≤ 30 days a call),
// every other metric only as a total over since..until. So a day's totals cost one call each, and a 90-day
// window takes 3 + 90 calls: that is the minimum the API allows, not a paging choice.
import type { Cursor } from 'facebook-nodejs-business-sdk';
import type { FactRow } from '@tributary/shared/domain/fact-row';
import {
  ConnectorConfigError,
  type Catalog,
  type Connector,
  type ExtractRequest,
  type RawPage,
  type RecordMeta,
  type ReportTypeInfo,
} from '../contract';
import { graphDeclaration, graphRequests } from '../meta-ads/graph-connector';
import type { MetaCredential } from '../meta-ads/meta-oauth';
import {
  IG_REPORTING_TIME_ZONE,
  normalizeInstagramPage,
  type IgAccountPage,
  type IgInsightsResponse,
  type IgMediaItem,
  type IgMediaPage,
} from './normalize';

export interface InstagramOptions {
  callTimeoutMs?: number;
  mediaPageSize?: number;
}

// Graph v26: `views` (which replaced `impressions` in v22) is the only impressions-like metric Instagram serves
const TIME_SERIES_METRICS = ['reach', 'follower_count'];
const TOTAL_METRICS = [
  'views',
  'accounts_engaged',
  'total_interactions',
  'likes',
  'comments',
  'shares',
  'saves',
  'replies',
  'profile_links_taps',
  'follows_and_unfollows',
];
const MEDIA_METRICS = ['reach', 'views', 'likes', 'comments', 'shares', 'saved', 'total_interactions'];
const MAX_DAYS_PER_CALL = 30;
const INSTAGRAM_REPORT_TYPES: readonly ReportTypeInfo[] = [
  // Instagram data lags up to 48 h: the last 2 days are always read again
  {
    id: 'account_daily',
    name: 'Account insights by day',
    dimensions: ['date'],
    metrics: [...TIME_SERIES_METRICS, ...TOTAL_METRICS],
    lookbackDays: 2,
  },
  // lifetime numbers keep growing for about two weeks after a post
  {
    id: 'media_lifetime',
    name: 'Media lifetime insights',
    dimensions: ['date', 'media_id', 'media_type', 'media_product_type'],
    metrics: MEDIA_METRICS,
    lookbackDays: 14,
  },
];

export function createInstagramConnector(options: InstagramOptions = {}): Connector<MetaCredential> {
  const callTimeoutMs = options.callTimeoutMs ?? 120_000;
  const requests = graphRequests(() => connector, 'instagram', callTimeoutMs);
  const { client, call } = requests;
  const responseOf = (cursor: Cursor): IgInsightsResponse => ({
    data: Array.from(cursor, (o) => o.exportData()) as unknown as IgInsightsResponse['data'],
  });

  const connector: Connector<MetaCredential> = {
    ...graphDeclaration(
      'instagram',
      ['instagram_basic', 'instagram_manage_insights', 'pages_show_list', 'business_management'],
      requests,
    ),
    displayName: 'Instagram',
    // Instagram's Business Use Case budget is 4800 × impressions a day per account; 200 calls an hour per
    // credential stays well inside it for any account worth reporting on.
    rateLimits: [{ limit: 200, intervalMs: 3_600_000 }],
    reportTypes: INSTAGRAM_REPORT_TYPES,
    maxConcurrency: 2,
    // account insights come as a daily series of at most 30 days a call: one call per window
    windowDays: MAX_DAYS_PER_CALL,
    // account and media insights go back two years
    dataRetentionMonths: 24,

    async discover(ctx): Promise<Catalog> {
      const g = await client(ctx);
      const { User } = await requests.sdk();
      const accounts: Catalog['accounts'] = [];
      const edge = () =>
        new User('me', {}, undefined, g.api).getAccounts(
          ['id', 'name', 'instagram_business_account{id,username,name}'],
          { limit: 100 },
        );
      for await (const cursor of requests.pages(ctx, g, 'list Instagram accounts', edge)) {
        for (const page of cursor) {
          const ig = (
            page.exportData() as { instagram_business_account?: { id: string; username?: string; name?: string } }
          ).instagram_business_account;
          // Instagram reports counts, not money: XXX is ISO 4217's "no currency"
          if (ig)
            accounts.push({
              id: ig.id,
              name: ig.username ?? ig.name ?? ig.id,
              currency: 'XXX',
              timeZone: IG_REPORTING_TIME_ZONE,
            });
        }
      }
      return { accounts, reportTypes: [...INSTAGRAM_REPORT_TYPES] };
    },

    async *extract(ctx, request: ExtractRequest): AsyncGenerator<RawPage> {
      const g = await client(ctx);
      const { IGMedia, IGUser } = await requests.sdk();
      const user = new IGUser(request.account.id, {}, undefined, g.api);
      if (request.resumeCursor === 'done') return;

      if (request.reportType === 'account_daily') {
        let start = request.resumeCursor?.startsWith('d|') ? request.resumeCursor.slice(2) : request.window.start;
        let index = 0;
        while (start <= request.window.end) {
          const end = minDay(addDays(start, MAX_DAYS_PER_CALL - 1), request.window.end);
          const since = midnight(start);
          const until = midnight(addDays(end, 1));
          const ts = await call(ctx, g, `account insights ${start}..${end}`, () =>
            user.getInsights([], {
              metric: TIME_SERIES_METRICS.join(','),
              period: 'day',
              metric_type: 'time_series',
              since,
              until,
            }),
          );
          const totals: IgAccountPage['totals'] = [];
          for (let day = start; day <= end; day = addDays(day, 1)) {
            const dSince = midnight(day);
            const dUntil = midnight(addDays(day, 1));
            const cursor = await call(ctx, g, `account totals ${day}`, () =>
              user.getInsights([], {
                metric: TOTAL_METRICS.join(','),
                period: 'day',
                metric_type: 'total_value',
                since: dSince,
                until: dUntil,
              }),
            );
            totals.push({ day, since: dSince, until: dUntil, response: responseOf(cursor) });
          }
          const body: IgAccountPage = {
            kind: 'account_daily',
            start,
            end,
            timeSeries: { metric_type: 'time_series', since, until, response: responseOf(ts) },
            totals,
          };
          start = addDays(end, 1);
          yield { body, cursor: start <= request.window.end ? `d|${start}` : 'done', index: index++ };
        }
        return;
      }

      if (request.reportType === 'media_lifetime') {
        const pageSize = options.mediaPageSize ?? 50;
        let after = request.resumeCursor?.startsWith('m|') ? request.resumeCursor.slice(2) : undefined;
        let cursor = null as Cursor | null;
        let index = 0;
        for (;;) {
          const current: Cursor | null = cursor;
          const from: string | undefined = after;
          cursor = await call(ctx, g, 'list media', () =>
            current
              ? current.next()
              : user.getMedia(['id', 'timestamp', 'media_type', 'media_product_type'], {
                  limit: pageSize,
                  ...(from ? { after: from } : {}),
                }),
          );
          const items = Array.from(cursor, (m) => m.exportData() as unknown as IgMediaItem);
          const insights: Record<string, IgInsightsResponse> = {};
          let older = false;
          for (const item of items) {
            const day = item.timestamp ? pacificDay(item.timestamp) : null;
            if (!day || day > request.window.end) continue;
            if (day < request.window.start) {
              older = true;
              continue;
            }
            const media = new IGMedia(item.id, {}, undefined, g.api);
            const answer = await call(ctx, g, `media insights ${item.id}`, () =>
              media.getInsights([], { metric: MEDIA_METRICS.join(',') }),
            );
            insights[item.id] = responseOf(answer);
          }
          const body: IgMediaPage = { kind: 'media_lifetime', media: { data: items }, insights };
          // the list is newest first: once a page reaches media older than the window, the rest is older too
          const more = cursor.hasNext() && !older;
          after = cursor.paging?.cursors?.after;
          yield { body, cursor: more && after ? `m|${after}` : 'done', index: index++ };
          if (!more) return;
        }
      }
      throw new ConnectorConfigError(
        `unknown Instagram report type ${request.reportType}`,
        'instagram',
        `Instagram has no report "${request.reportType}".`,
      );
    },

    normalize(page: RawPage, meta: RecordMeta): FactRow[] {
      return normalizeInstagramPage(page.body, meta);
    },
  };
  return connector;
}

export const instagramConnector = createInstagramConnector();

function addDays(day: string, n: number): string {
  return new Date(Date.parse(`${day}T00:00:00Z`) + n * 86_400_000).toISOString().slice(0, 10);
}
function minDay(a: string, b: string): string {
  return a < b ? a : b;
}
function pacificDay(timestamp: string): string {
  return new Intl.DateTimeFormat('en-CA', {
    timeZone: IG_REPORTING_TIME_ZONE,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
  }).format(Date.parse(timestamp.replace(/\+0000$/, 'Z')));
}
/** Unix seconds of midnight starting `day` in Pacific time. */
function midnight(day: string): number {
  const utc = Date.parse(`${day}T00:00:00Z`);
  let guess = utc;
  for (let i = 0; i < 2; i++) {
    const parts = new Intl.DateTimeFormat('en-US', {
      timeZone: IG_REPORTING_TIME_ZONE,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
    }).formatToParts(guess);
    const get = (t: string) => Number(parts.find((p) => p.type === t)?.value);
    const asUtc = Date.UTC(get('year'), get('month') - 1, get('day'), get('hour'), get('minute'));
    guess = utc - (asUtc - Math.floor(guess / 60_000) * 60_000);
  }
  return Math.floor(guess / 1000);
}
