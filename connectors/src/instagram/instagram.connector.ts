// Instagram (Graph API, Facebook Login) through the same SDK as Meta Ads: IGUser account insights by day and
// IGMedia lifetime insights (PLATFORMS.md §4). The client seam, error classification and OAuth are Meta Ads'.
//
// Account insights come in two shapes: `reach` and `follower_count` as a daily time series (≤ 30 days a call),
// every other metric only as a total over since..until. So a day's totals cost one call each, and a 90-day
// window takes 3 + 90 calls: that is the minimum the API allows, not a paging choice.
import type { Cursor } from 'facebook-nodejs-business-sdk';
import type { FactRow } from '@tributary/shared/domain/fact-row';
import type { IGMedia, IGUser } from 'facebook-nodejs-business-sdk';
import type {
  Catalog,
  Connector,
  ExtractRequest,
  RawPage,
  RecordMeta,
  ReportTypeInfo,
  Stream,
  StreamIo,
} from '../contract';
import type { GraphClient } from '../meta-ads/meta.sdk';
import { declareConnector } from '../runtime/streams';
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

interface IgPlan {
  g: GraphClient;
  user: IGUser;
  media: (id: string) => IGMedia;
}
interface AccountState {
  /** the chunk's first day */
  start: string;
  timeSeries?: Cursor;
  totals: IgAccountPage['totals'];
}
interface MediaState {
  after?: string;
  /** the last list page read: the next one follows its paging */
  prev?: Cursor;
  /** the list page being read: its media in the window whose insights are still to be asked */
  list?: {
    cursor: Cursor;
    items: IgMediaItem[];
    pending: string[];
    insights: Record<string, IgInsightsResponse>;
    older: boolean;
  };
}

export function createInstagramConnector(options: InstagramOptions = {}): Connector<MetaCredential> {
  const callTimeoutMs = options.callTimeoutMs ?? 120_000;
  const requests = graphRequests(() => connector, 'instagram', callTimeoutMs);
  const { client, call } = requests;
  const responseOf = (cursor: Cursor): IgInsightsResponse => ({
    data: Array.from(cursor, (o) => o.exportData()) as unknown as IgInsightsResponse['data'],
  });

  const plan = async (io: StreamIo<MetaCredential>, request: ExtractRequest): Promise<IgPlan> => {
    const g = await client(io.ctx);
    const { IGMedia, IGUser } = await requests.sdk();
    return {
      g,
      user: new IGUser(request.account.id, {}, undefined, g.api),
      media: (id) => new IGMedia(id, {}, undefined, g.api),
    };
  };

  // account_daily: a page per chunk of up to 30 days: the chunk's time series, then one totals call per day
  const accountStream: Stream<MetaCredential, IgPlan, AccountState, Cursor> = {
    reportTypes: ['account_daily'],
    plan,
    resume: (cursor, { request }) => {
      if (cursor === 'done') return null;
      return { start: cursor?.startsWith('d|') ? cursor.slice(2) : request.window.start, totals: [] };
    },
    request: (st, { request, plan: p }) => {
      if (st.start > request.window.end) return null;
      const end = minDay(addDays(st.start, MAX_DAYS_PER_CALL - 1), request.window.end);
      if (!st.timeSeries) {
        const [since, until] = [midnight(st.start), midnight(addDays(end, 1))];
        return requests.request(p.g, `account insights ${st.start}..${end}`, () =>
          p.user.getInsights([], {
            metric: TIME_SERIES_METRICS.join(','),
            period: 'day',
            metric_type: 'time_series',
            since,
            until,
          }),
        );
      }
      const day = addDays(st.start, st.totals.length);
      const [since, until] = [midnight(day), midnight(addDays(day, 1))];
      return requests.request(p.g, `account totals ${day}`, () =>
        p.user.getInsights([], {
          metric: TOTAL_METRICS.join(','),
          period: 'day',
          metric_type: 'total_value',
          since,
          until,
        }),
      );
    },
    paginate: (cursor, st, { request }) => {
      const end = minDay(addDays(st.start, MAX_DAYS_PER_CALL - 1), request.window.end);
      let next: AccountState;
      if (!st.timeSeries) next = { ...st, timeSeries: cursor };
      else {
        const day = addDays(st.start, st.totals.length);
        const total = { day, since: midnight(day), until: midnight(addDays(day, 1)), response: responseOf(cursor) };
        next = { ...st, totals: [...st.totals, total] };
      }
      if (addDays(st.start, next.totals.length) <= end) return { next };
      const body: IgAccountPage = {
        kind: 'account_daily',
        start: st.start,
        end,
        timeSeries: {
          metric_type: 'time_series',
          since: midnight(st.start),
          until: midnight(addDays(end, 1)),
          response: responseOf(next.timeSeries!),
        },
        totals: next.totals,
      };
      const start = addDays(end, 1);
      return {
        page: { body, cursor: start <= request.window.end ? `d|${start}` : 'done' },
        next: { start, totals: [] },
      };
    },
  };

  // media_lifetime: a page per page of the media list (newest first), with one insights call per medium in the window
  const mediaStream: Stream<MetaCredential, IgPlan, MediaState, Cursor> = {
    reportTypes: ['media_lifetime'],
    plan,
    resume: (cursor) => {
      if (cursor === 'done') return null;
      return cursor?.startsWith('m|') ? { after: cursor.slice(2) } : {};
    },
    request: (st, { plan: p }) => {
      if (!st.list) {
        const { prev, after } = st;
        const pageSize = options.mediaPageSize ?? 50;
        return requests.request(p.g, 'list media', () =>
          prev
            ? prev.next()
            : p.user.getMedia(['id', 'timestamp', 'media_type', 'media_product_type'], {
                limit: pageSize,
                ...(after ? { after } : {}),
              }),
        );
      }
      const id = st.list.pending[0]!;
      return requests.request(p.g, `media insights ${id}`, () =>
        p.media(id).getInsights([], { metric: MEDIA_METRICS.join(',') }),
      );
    },
    paginate: (cursor, st, { request }) => {
      let list = st.list;
      if (!list) {
        const items = Array.from(cursor, (m) => m.exportData() as unknown as IgMediaItem);
        const pending: string[] = [];
        let older = false;
        for (const item of items) {
          const day = item.timestamp ? pacificDay(item.timestamp) : null;
          if (!day || day > request.window.end) continue;
          if (day < request.window.start) older = true;
          else pending.push(item.id);
        }
        list = { cursor, items, pending, insights: {}, older };
      } else {
        const [id, ...pending] = list.pending;
        list = { ...list, pending, insights: { ...list.insights, [id!]: responseOf(cursor) } };
      }
      if (list.pending.length > 0) return { next: { ...st, list } };
      const body: IgMediaPage = { kind: 'media_lifetime', media: { data: list.items }, insights: list.insights };
      // the list is newest first: once a page reaches media older than the window, the rest is older too
      const more = list.cursor.hasNext() && !list.older;
      const after = list.cursor.paging?.cursors?.after;
      return {
        page: { body, cursor: more && after ? `m|${after}` : 'done' },
        next: more ? { prev: list.cursor } : null,
      };
    },
  };

  const connector: Connector<MetaCredential> = declareConnector({
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

    streams: [accountStream, mediaStream],

    normalize(page: RawPage, meta: RecordMeta): FactRow[] {
      return normalizeInstagramPage(page.body, meta);
    },
  });
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
