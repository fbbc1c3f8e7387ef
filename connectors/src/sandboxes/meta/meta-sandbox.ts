// A local stand-in for graph.facebook.com (Marketing API insights, Instagram insights, OAuth) that the
// official facebook-nodejs-business-sdk talks to unchanged once its GRAPH host points here. Wire format,
// paging, rate-limit headers and error bodies follow ../../../../shared/PLATFORMS.md §2 and §4.
//
// Besides the Graph API it serves, under /__sandbox/:
//   POST/DELETE faults   switch faults on and off (faults.ts)
//   GET truth            exact totals it served, per account, day and campaign (and Instagram day/media)
//   GET/DELETE requests  how many Graph calls it answered, by route
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as z from 'zod';
import { deprecatedVersionMessage, graphVersionStatus } from './graph-versions';
import { MetaFaultSchema, type FaultTarget, type MetaFault, type MetaFaultInput } from './faults';
import {
  INSIGHTS_LEVELS,
  KNOWN_INSIGHTS_FIELDS,
  aggregate,
  formatMinor,
  toInsightsRow,
  type FieldChanges,
  type InsightsLevel,
  type InsightsQuery,
} from './insights';
import {
  IG_TIME_ZONE,
  addDays,
  buildWorld,
  dayIn,
  igDay,
  igMediaLifetime,
  midnightIn,
  type IgDay,
  type SandboxAdAccount,
  type SandboxIgMedia,
  type SandboxIgUser,
  type SandboxWorld,
} from './seed-data';

export interface MetaSandboxOptions {
  /** 0: any free port */
  port?: number;
  host?: string;
  seed?: number;
  /** the sandbox's clock; "today" in each account's time zone comes from it */
  now?: () => number;
  faults?: MetaFaultInput[];
  /**
   * Business Use Case budget per ad account or Instagram account and window (Meta's own numbers are per hour and tier)
   */
  callsPerWindow?: number;
  windowMs?: number;
  /** status polls an async report run needs before it completes */
  asyncPollsToComplete?: number;
  /** a token that is always accepted until a fault says otherwise, for demos and tests that skip OAuth */
  demoToken?: string;
}

export interface MetaSandbox {
  baseUrl: string;
  world: SandboxWorld;
  demoToken: string;
  setFaults(faults: MetaFaultInput[]): void;
  addFault(fault: MetaFaultInput): void;
  clearFaults(): void;
  /** Graph calls answered, by route, and which clients made them (the SDK sends `fbbizsdk-nodejs-v…`) */
  requests(): { total: number; byRoute: Record<string, number>; userAgents: Record<string, number> };
  resetRequests(): void;
  stop(): Promise<void>;
}

export const DEFAULT_DEMO_TOKEN = 'EAAsandboxDemoToken';
const SHORT_LIVED_SECONDS = 2 * 3600;
// what Meta answers for a long-lived user token: about 60 days
const LONG_LIVED_SECONDS = 5_183_944;
const MAX_PAGE_SIZE = 5_000;
const DEFAULT_PAGE_SIZE = 25;
const IG_METRICS_DAY = [
  'reach',
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
  'follower_count',
] as const;
const IG_TIME_SERIES = new Set(['reach', 'follower_count']);
const IG_MEDIA_METRICS = [
  'reach',
  'views',
  'likes',
  'comments',
  'shares',
  'saved',
  'total_interactions',
  'follows',
  'profile_visits',
] as const;

class GraphError extends Error {
  constructor(
    readonly status: number,
    readonly body: {
      message: string;
      type: string;
      code: number;
      error_subcode?: number;
      is_transient?: boolean;
      error_user_title?: string;
      error_user_msg?: string;
    },
    readonly headers: Record<string, string> = {},
  ) {
    super(body.message);
  }
}

interface TokenRecord {
  /** issue order: token faults cut at a serial, not a time, so they work under a frozen clock */
  serial: number;
  userId: string;
  appId: string;
  issuedAt: number;
  expiresAt: number | null;
  scopes: string[];
}
interface ReportRun {
  id: string;
  account: SandboxAdAccount;
  query: InsightsQuery;
  version: number;
  polls: number;
  failed: boolean;
}
interface ActiveFault {
  fault: MetaFault;
  remaining: number;
}
type Cursor = { o: number; v: number };
/** Thrown to leave a request unanswered until the connection is cut: a network timeout. */
class HangUp extends Error {
  constructor(readonly hangMs: number) {
    super('hang');
  }
}

export async function startMetaSandbox(options: MetaSandboxOptions = {}): Promise<MetaSandbox> {
  const world = buildWorld(options.seed ?? 1);
  const now = options.now ?? Date.now;
  const callsPerWindow = options.callsPerWindow ?? 600;
  const windowMs = options.windowMs ?? 60_000;
  const pollsToComplete = options.asyncPollsToComplete ?? 2;
  const demoToken = options.demoToken ?? DEFAULT_DEMO_TOKEN;

  let serials = 0;
  const tokens = new Map<string, TokenRecord>([
    [
      demoToken,
      {
        serial: serials++,
        userId: world.user.id,
        appId: 'sandbox-app',
        issuedAt: now(),
        expiresAt: null,
        scopes: ['ads_read', 'instagram_basic', 'instagram_manage_insights', 'pages_show_list'],
      },
    ],
  ]);
  const codes = new Map<string, { clientId: string; redirectUri: string; scopes: string[] }>();
  const runs = new Map<string, ReportRun>();
  const versions = new Map<string, number>();
  /** `${accountId}|${date}` → the data version last served for that day */
  const served = new Map<string, number>();
  const usage = new Map<string, { windowStart: number; calls: number }>();
  const counts = new Map<string, number>();
  const agents = new Map<string, number>();
  let faults: ActiveFault[] = [];
  let expiredBefore = -Infinity;
  let revokedBefore = -Infinity;

  const setFaults = (list: MetaFaultInput[]) => {
    faults = [];
    for (const f of list) addFault(f);
  };
  const addFault = (input: MetaFaultInput) => {
    const fault = MetaFaultSchema.parse(input);
    // token faults are a state change at one moment, not a count of failures
    if (fault.kind === 'expired_token') expiredBefore = serials;
    else if (fault.kind === 'revoked') revokedBefore = serials;
    else faults.push({ fault, remaining: 'times' in fault && fault.times ? fault.times : Infinity });
  };
  setFaults(options.faults ?? []);

  const findFault = <K extends MetaFault['kind']>(
    kind: K,
    target: Exclude<FaultTarget, 'any'>[],
  ): Extract<MetaFault, { kind: K }> | null => {
    for (const f of faults) {
      if (f.fault.kind !== kind || f.remaining <= 0) continue;
      const t = 'target' in f.fault ? f.fault.target : 'any';
      if (t !== 'any' && !target.includes(t)) continue;
      f.remaining--;
      return f.fault as Extract<MetaFault, { kind: K }>;
    }
    return null;
  };
  const hasFault = <K extends MetaFault['kind']>(kind: K) =>
    faults.filter((f) => f.fault.kind === kind).map((f) => f.fault as Extract<MetaFault, { kind: K }>);
  const fieldChanges = (): FieldChanges => ({
    renamed: Object.fromEntries(hasFault('renamed_metric').map((f) => [f.from, f.to])),
    removed: hasFault('removed_metric').map((f) => f.field),
    added: Object.fromEntries(hasFault('new_metric').map((f) => [f.name, f.value])),
  });

  const todayOf = (account: SandboxAdAccount) => dayIn(account.timezone, now());
  const igToday = () => dayIn(IG_TIME_ZONE, now());

  // ----------------------------------------------------------------------------------------------
  // Auth

  const authenticate = (params: URLSearchParams, targets: Exclude<FaultTarget, 'any'>[]): TokenRecord => {
    const token = params.get('access_token');
    if (!token)
      throw new GraphError(400, {
        message: 'An active access token must be used to query information about the current user.',
        type: 'OAuthException',
        code: 2500,
      });
    const record = tokens.get(token);
    if (!record)
      throw new GraphError(400, {
        message: 'Invalid OAuth access token - Cannot parse access token',
        type: 'OAuthException',
        code: 190,
      });
    if (record.serial < revokedBefore) {
      throw new GraphError(400, {
        message: `Error validating access token: The user has not authorized application ${record.appId}.`,
        type: 'OAuthException',
        code: 190,
        error_subcode: 458,
      });
    }
    if (record.serial < expiredBefore || (record.expiresAt !== null && record.expiresAt <= now())) {
      throw new GraphError(400, {
        message: `Error validating access token: Session has expired on ${new Date(record.expiresAt !== null && record.expiresAt <= now() ? record.expiresAt : now()).toUTCString()}. The current time is ${new Date(now()).toUTCString()}.`,
        type: 'OAuthException',
        code: 190,
        error_subcode: 463,
      });
    }
    if (findFault('permission_denied', targets)) {
      throw targets.includes('instagram')
        ? new GraphError(403, {
            message: '(#10) Application does not have permission for this action',
            type: 'OAuthException',
            code: 10,
          })
        : new GraphError(403, {
            message: '(#200) Requires ads_read permission to manage the object',
            type: 'OAuthException',
            code: 200,
          });
    }
    return record;
  };

  const issueToken = (userId: string, appId: string, scopes: string[], lifetimeSeconds: number) => {
    const token = `EAA${randomBytes(24).toString('base64url')}`;
    tokens.set(token, {
      serial: serials++,
      userId,
      appId,
      issuedAt: now(),
      expiresAt: now() + lifetimeSeconds * 1000,
      scopes,
    });
    return { access_token: token, token_type: 'bearer', expires_in: lifetimeSeconds };
  };

  // ----------------------------------------------------------------------------------------------
  // Rate limits: a Business Use Case budget per ad account / Instagram account

  const useBudget = (
    key: string,
    type: 'ads_insights' | 'ads_management' | 'instagram',
    countIt: boolean,
  ): Record<string, string> => {
    const t = now();
    let u = usage.get(key);
    if (!u || t - u.windowStart >= windowMs) usage.set(key, (u = { windowStart: t, calls: 0 }));
    if (countIt) u.calls++;
    const pct = Math.min(100, Math.round((u.calls / callsPerWindow) * 100));
    const regainMinutes = u.calls > callsPerWindow ? Math.ceil((u.windowStart + windowMs - t) / 60_000) : 0;
    const headers: Record<string, string> = {
      'x-business-use-case-usage': JSON.stringify({
        [key]: [
          {
            type,
            call_count: pct,
            total_cputime: Math.round(pct / 2),
            total_time: Math.round(pct / 2),
            estimated_time_to_regain_access: regainMinutes,
            ads_api_access_tier: 'standard_access',
          },
        ],
      }),
      'x-app-usage': JSON.stringify({ call_count: Math.round(pct / 4), total_cputime: 0, total_time: 0 }),
    };
    if (type === 'ads_insights')
      headers['x-fb-ads-insights-throttle'] = JSON.stringify({
        app_id_util_pct: Math.round(pct / 4),
        acc_id_util_pct: pct,
        ads_api_access_tier: 'standard_access',
      });
    if (u.calls > callsPerWindow) {
      const code = type === 'instagram' ? 80002 : type === 'ads_management' ? 80004 : 80000;
      throw new GraphError(
        400,
        {
          message: `(#${code}) There have been too many calls ${type === 'instagram' ? 'to this Instagram account' : 'from this ad-account'}. Wait a bit and try again. For more info, please refer to https://developers.facebook.com/docs/graph-api/overview/rate-limiting.`,
          type: 'OAuthException',
          code,
          error_subcode: 2446079,
          is_transient: true,
        },
        headers,
      );
    }
    return headers;
  };

  /** The faults that hit any Graph call the same way: throttling, 5xx, timeouts. */
  const injectCallFaults = (
    targets: Exclude<FaultTarget, 'any'>[],
    key: string,
    type: 'ads_insights' | 'ads_management' | 'instagram',
  ): void => {
    const rl = findFault('rate_limit', targets);
    if (rl) {
      const headers: Record<string, string> = {
        'x-business-use-case-usage': JSON.stringify({
          [key]: [
            {
              type,
              call_count: 100,
              total_cputime: 40,
              total_time: 60,
              estimated_time_to_regain_access: rl.regainMinutes,
              ads_api_access_tier: 'standard_access',
            },
          ],
        }),
      };
      const messages: Record<number, string> = {
        4: '(#4) Application request limit reached',
        17: '(#17) User request limit reached',
        613: '(#613) Calls to this api have exceeded the rate limit.',
        80000: '(#80000) There have been too many calls from this ad-account. Wait a bit and try again.',
        80002: '(#80002) There have been too many calls to this Instagram account. Wait a bit and try again.',
        80004: '(#80004) There have been too many calls to this ad-account. Wait a bit and try again.',
      };
      const subcode = rl.code === 17 || rl.code >= 80000 ? 2446079 : rl.code === 613 ? 1487742 : undefined;
      throw new GraphError(
        400,
        {
          message: messages[rl.code]!,
          type: 'OAuthException',
          code: rl.code,
          ...(subcode ? { error_subcode: subcode } : {}),
          is_transient: true,
        },
        headers,
      );
    }
    const se = findFault('server_error', targets);
    if (se)
      throw new GraphError(se.status, {
        message: 'An unexpected error has occurred. Please retry your request later.',
        type: 'OAuthException',
        code: 2,
        is_transient: true,
      });
    const to = findFault('timeout', targets);
    if (to?.mode === 'hang') throw new HangUp(to.hangMs);
    if (to) {
      throw new GraphError(400, {
        message: "Please reduce the amount of data you're asking for, then retry your request",
        type: 'OAuthException',
        code: 100,
        error_subcode: 1504018,
        is_transient: true,
        error_user_title: 'Request timed out',
        error_user_msg: "Your request timed out. Please reduce the amount of data you're asking for and try again.",
      });
    }
  };

  // ----------------------------------------------------------------------------------------------
  // Lookups

  const accountById = (raw: string): SandboxAdAccount | undefined => {
    const id = raw.startsWith('act_') ? raw.slice(4) : raw;
    return world.accounts.find((a) => a.id === id);
  };
  const igUserById = (id: string) => world.igUsers.find((u) => u.id === id);
  const mediaById = (id: string): { user: SandboxIgUser; media: SandboxIgMedia } | undefined => {
    for (const user of world.igUsers) {
      const media = user.media.find((m) => m.id === id);
      if (media) return { user, media };
    }
    return undefined;
  };
  const unsupported = (id: string) =>
    new GraphError(400, {
      message: `Unsupported get request. Object with ID '${id}' does not exist, cannot be loaded due to missing permissions, or does not support this operation.`,
      type: 'GraphMethodException',
      code: 100,
      error_subcode: 33,
    });

  // ----------------------------------------------------------------------------------------------
  // Insights

  const parseInsightsQuery = (p: URLSearchParams): InsightsQuery => {
    const level = (p.get('level') ?? 'account') as InsightsLevel;
    if (!INSIGHTS_LEVELS.includes(level))
      throw new GraphError(400, {
        message: `(#100) level must be one of the following values: ${INSIGHTS_LEVELS.join(', ')}`,
        type: 'OAuthException',
        code: 100,
      });
    const ti = p.get('time_increment');
    if (ti !== null && ti !== '1')
      throw new GraphError(400, {
        message: '(#100) The sandbox serves time_increment=1 only',
        type: 'OAuthException',
        code: 100,
      });
    if (p.get('filtering') || p.get('breakdowns') || p.get('time_ranges'))
      throw new GraphError(400, {
        message: '(#100) filtering, breakdowns and time_ranges are not served by the sandbox',
        type: 'OAuthException',
        code: 100,
      });
    let since: string;
    let until: string;
    const tr = p.get('time_range');
    if (tr) {
      let parsed: unknown;
      try {
        parsed = JSON.parse(tr);
      } catch {
        parsed = null;
      }
      const range = z
        .object({ since: z.string().regex(/^\d{4}-\d{2}-\d{2}$/), until: z.string().regex(/^\d{4}-\d{2}-\d{2}$/) })
        .safeParse(parsed);
      if (!range.success || range.data.since > range.data.until)
        throw new GraphError(400, {
          message:
            '(#100) Param time_range must be a JSON object with since and until dates (YYYY-MM-DD), since <= until',
          type: 'OAuthException',
          code: 100,
        });
      ({ since, until } = range.data);
    } else {
      // Meta's default is last_30d, ending yesterday; the sandbox applies it in the first account's zone
      const today = dayIn(world.accounts[0]!.timezone, now());
      since = addDays(today, -30);
      until = addDays(today, -1);
    }
    const fields = (p.get('fields') ?? 'spend,impressions')
      .split(',')
      .map((f) => f.trim())
      .filter(Boolean);
    for (const f of fields) {
      if (!KNOWN_INSIGHTS_FIELDS.has(f)) {
        throw new GraphError(400, {
          message: `(#100) ${f} is not valid for fields param. please check https://developers.facebook.com/docs/marketing-api/reference/ads-insights/ for all valid values`,
          type: 'OAuthException',
          code: 100,
        });
      }
    }
    return { level, since, until, fields };
  };

  const pageSize = (p: URLSearchParams) => {
    const n = Number(p.get('limit') ?? DEFAULT_PAGE_SIZE);
    if (!Number.isInteger(n) || n <= 0)
      throw new GraphError(400, {
        message: '(#100) Param limit must be a positive integer',
        type: 'OAuthException',
        code: 100,
      });
    return Math.min(n, MAX_PAGE_SIZE);
  };
  const encodeCursor = (c: Cursor) => Buffer.from(JSON.stringify(c)).toString('base64url');
  const decodeCursor = (s: string): Cursor => {
    try {
      const c = JSON.parse(Buffer.from(s, 'base64url').toString('utf8'));
      if (Number.isInteger(c.o) && Number.isInteger(c.v)) return c;
    } catch {
      // fall through to Meta's answer for a cursor it does not know
    }
    throw new GraphError(400, { message: '(#100) Invalid cursor', type: 'OAuthException', code: 100 });
  };

  /**
   * Cuts `rows` into Meta's page shape; `next` is an absolute URL at this sandbox, as Meta's are at graph.facebook.com.
   */
  const page = (url: URL, rows: unknown[], offset: number, limit: number, version: number) => {
    const slice = rows.slice(offset, offset + limit);
    const body: { data: unknown[]; paging?: Record<string, unknown> } = { data: slice };
    if (rows.length > 0) {
      const paging: Record<string, unknown> = {
        cursors: {
          before: encodeCursor({ o: offset, v: version }),
          after: encodeCursor({ o: offset + slice.length, v: version }),
        },
      };
      if (offset + limit < rows.length) {
        const next = new URL(url.toString());
        next.searchParams.set('after', encodeCursor({ o: offset + limit, v: version }));
        next.searchParams.set('limit', String(limit));
        paging.next = `${baseUrl}${next.pathname}?${next.searchParams.toString()}`;
      }
      if (offset > 0) {
        const prev = new URL(url.toString());
        prev.searchParams.delete('after');
        prev.searchParams.set('before', encodeCursor({ o: Math.max(0, offset - limit), v: version }));
        paging.previous = `${baseUrl}${prev.pathname}?${prev.searchParams.toString()}`;
      }
      body.paging = paging;
    }
    return body;
  };

  const insightsRows = (account: SandboxAdAccount, query: InsightsQuery, version: number) => {
    const changes = fieldChanges();
    return aggregate(account, query.level, query.since, query.until, todayOf(account), version).map((a) =>
      toInsightsRow(account, a, query.fields, changes),
    );
  };

  const recordServed = (account: SandboxAdAccount, rows: unknown[], version: number) => {
    for (const r of rows as { date_start: string }[]) served.set(`${account.id}|${r.date_start}`, version);
  };

  /** Serves a page of insights, applying the malformed-page fault to the page it names. */
  const insightsPage = (
    url: URL,
    p: URLSearchParams,
    account: SandboxAdAccount,
    query: InsightsQuery,
    fixedVersion: number | null,
    targets: Exclude<FaultTarget, 'any'>[],
  ) => {
    const limit = pageSize(p);
    const after = p.get('after');
    const before = p.get('before');
    let cursor: Cursor;
    if (after || before) cursor = decodeCursor((after ?? before)!);
    else {
      // A new read of the report (not a next page): late conversions have moved on since the last one.
      const v = fixedVersion ?? (versions.get(account.id) ?? 0) + 1;
      if (fixedVersion === null) versions.set(account.id, v);
      cursor = { o: 0, v };
    }
    const rows = insightsRows(account, query, cursor.v);
    const body = page(url, rows, cursor.o, limit, cursor.v);
    const pageIndex = Math.floor(cursor.o / limit);
    const malformed = faults.find(
      (f) =>
        f.fault.kind === 'malformed_page' &&
        f.remaining > 0 &&
        f.fault.page === pageIndex &&
        (f.fault.target === 'any' || targets.includes(f.fault.target)),
    );
    if (malformed) {
      malformed.remaining--;
      const text = JSON.stringify(body);
      return { raw: text.slice(0, Math.floor(text.length / 2)) };
    }
    recordServed(account, body.data, cursor.v);
    return body;
  };

  // ----------------------------------------------------------------------------------------------
  // Instagram

  const igMetricNames = (p: URLSearchParams, allowed: readonly string[]) => {
    const names = (p.get('metric') ?? '')
      .split(',')
      .map((m) => m.trim())
      .filter(Boolean);
    if (names.length === 0)
      throw new GraphError(400, {
        message: '(#100) The parameter metric is required',
        type: 'OAuthException',
        code: 100,
      });
    // v26: Instagram `impressions` is gone (`views` replaced it), so asking for it is an invalid metric
    const valid = allowed;
    names.forEach((m, i) => {
      if (!valid.includes(m))
        throw new GraphError(400, {
          message: `(#100) metric[${i}] must be one of the following values: ${valid.join(', ')}`,
          type: 'OAuthException',
          code: 100,
        });
    });
    return names;
  };
  const igDayValue = (d: IgDay, metric: string): number => {
    const map: Record<string, number> = {
      reach: d.reach,
      views: d.views,
      impressions: d.views,
      accounts_engaged: d.accountsEngaged,
      total_interactions: d.totalInteractions,
      likes: d.likes,
      comments: d.comments,
      shares: d.shares,
      saves: d.saves,
      replies: d.replies,
      profile_links_taps: d.profileLinksTaps,
      follows_and_unfollows: d.follows,
      follower_count: d.followerCount,
    };
    return map[metric] ?? 0;
  };
  const TITLES: Record<string, string> = {
    reach: 'Accounts reached',
    views: 'Views',
    impressions: 'Impressions',
    follower_count: 'Follower count',
    likes: 'Likes',
    comments: 'Comments',
    shares: 'Shares',
    saves: 'Saves',
    saved: 'Saves',
    total_interactions: 'Interactions',
  };

  /** Days whose end (midnight Pacific after the day) falls in (since, until], capped at yesterday: Instagram lags. */
  const igDays = (since: number, until: number): string[] => {
    const days: string[] = [];
    let day = dayIn(IG_TIME_ZONE, since * 1000 - 86_400_000);
    const lastDay = addDays(igToday(), -1);
    for (let i = 0; i < 120; i++, day = addDays(day, 1)) {
      const end = midnightIn(IG_TIME_ZONE, addDays(day, 1)) / 1000;
      if (end <= since) continue;
      if (end > until || day > lastDay) break;
      days.push(day);
    }
    return days;
  };

  const igUserInsights = (user: SandboxIgUser, p: URLSearchParams) => {
    const metrics = igMetricNames(p, IG_METRICS_DAY);
    const period = p.get('period') ?? 'day';
    if (period !== 'day')
      throw new GraphError(400, {
        message: '(#100) The sandbox serves period=day for account insights',
        type: 'OAuthException',
        code: 100,
      });
    const metricType = p.get('metric_type') ?? 'time_series';
    const offenders = metrics.filter((m) =>
      metricType === 'time_series' ? !IG_TIME_SERIES.has(m) : m === 'follower_count',
    );
    if (offenders.length) {
      throw new GraphError(400, {
        message: `(#100) The following metrics (${offenders.join(', ')}) should be specified with parameter metric_type=${metricType === 'time_series' ? 'total_value' : 'time_series'}`,
        type: 'OAuthException',
        code: 100,
      });
    }
    const until = Number(p.get('until') ?? Math.floor(now() / 1000));
    const since = Number(p.get('since') ?? until - 2 * 86_400);
    if (!Number.isFinite(since) || !Number.isFinite(until) || until - since > 30 * 86_400 + 3_600) {
      throw new GraphError(400, {
        message: '(#100) There cannot be more than 30 days (2592000 s) between since and until',
        type: 'OAuthException',
        code: 100,
      });
    }
    const days = igDays(since, until);
    const renamed = fieldChanges().renamed;
    const removed = fieldChanges().removed;
    const data = metrics
      .filter((m) => !removed.includes(m))
      .map((m) => {
        const name = renamed[m] ?? m;
        const base = {
          name,
          period: 'day',
          title: TITLES[m] ?? m,
          description: `${TITLES[m] ?? m} in the period`,
          id: `${user.id}/insights/${name}/day`,
        };
        if (metricType === 'time_series') {
          return {
            ...base,
            values: days.map((d) => ({
              value: igDayValue(igDay(user, d), m),
              end_time: new Date(midnightIn(IG_TIME_ZONE, addDays(d, 1))).toISOString().replace('.000Z', '+0000'),
            })),
          };
        }
        return { ...base, total_value: { value: days.reduce((n, d) => n + igDayValue(igDay(user, d), m), 0) } };
      });
    for (const [name, value] of Object.entries(fieldChanges().added)) {
      data.push({
        name,
        period: 'day',
        title: name,
        description: name,
        id: `${user.id}/insights/${name}/day`,
        total_value: { value: Number(value) },
      } as never);
    }
    // No data: Meta answers an empty list, not zeros.
    return { data: days.length ? data : [] };
  };

  const mediaFields = (media: SandboxIgMedia, fields: string[]) => {
    const all: Record<string, unknown> = {
      id: media.id,
      caption: media.caption,
      media_type: media.mediaType,
      media_product_type: media.mediaProductType,
      timestamp: media.timestamp,
      permalink: `https://www.instagram.com/p/${media.id.slice(-11)}/`,
    };
    return Object.fromEntries(['id', ...fields].filter((f) => f in all).map((f) => [f, all[f]]));
  };

  const mediaInsights = (user: SandboxIgUser, media: SandboxIgMedia, p: URLSearchParams) => {
    const metrics = igMetricNames(p, IG_MEDIA_METRICS);
    const life = igMediaLifetime(user, media, igToday());
    if (!life) throw unsupported(media.id);
    const values: Record<string, number> = {
      reach: life.reach,
      views: life.views,
      impressions: life.views,
      likes: life.likes,
      comments: life.comments,
      shares: life.shares,
      saved: life.saved,
      total_interactions: life.totalInteractions,
      follows: life.follows,
      profile_visits: life.profileVisits,
    };
    const { renamed, removed, added } = fieldChanges();
    const data = metrics
      .filter((m) => !removed.includes(m))
      .map((m) => {
        const name = renamed[m] ?? m;
        return {
          name,
          period: 'lifetime',
          values: [{ value: values[m] ?? 0 }],
          title: TITLES[m] ?? m,
          description: `${TITLES[m] ?? m} of this media`,
          id: `${media.id}/insights/${name}/lifetime`,
        };
      });
    for (const [name, value] of Object.entries(added))
      data.push({
        name,
        period: 'lifetime',
        values: [{ value: Number(value) }],
        title: name,
        description: name,
        id: `${media.id}/insights/${name}/lifetime`,
      });
    return { data };
  };

  // ----------------------------------------------------------------------------------------------
  // Truth

  const adsTruth = (account: SandboxAdAccount, since: string, until: string) => {
    const today = todayOf(account);
    const days = new Map<
      string,
      {
        date: string;
        impressions: number;
        clicks: number;
        spendMinor: number;
        conversions: number;
        revenueMinor: number;
      }
    >();
    const campaigns: Record<string, unknown>[] = [];
    for (let day = since; day <= until && day <= today; day = addDays(day, 1)) {
      const version = served.get(`${account.id}|${day}`) ?? versions.get(account.id) ?? 0;
      for (const a of aggregate(account, 'campaign', day, day, today, version)) {
        const d = days.get(day) ?? {
          date: day,
          impressions: 0,
          clicks: 0,
          spendMinor: 0,
          conversions: 0,
          revenueMinor: 0,
        };
        d.impressions += a.impressions;
        d.clicks += a.clicks;
        d.spendMinor += a.spendMinor;
        d.conversions += a.purchases;
        d.revenueMinor += a.purchaseValueMinor;
        days.set(day, d);
        campaigns.push({
          date: day,
          campaign_id: a.campaignId,
          campaign_name: a.campaignName,
          impressions: a.impressions,
          clicks: a.clicks,
          spend: formatMinor(a.spendMinor, account.currencyDigits),
          conversions: a.purchases,
          revenue: formatMinor(a.purchaseValueMinor, account.currencyDigits),
          version,
        });
      }
    }
    return {
      account_id: account.id,
      currency: account.currency,
      timezone_name: account.timezone,
      conversion_action_type: 'purchase',
      days: [...days.values()].map((d) => ({
        date: d.date,
        impressions: d.impressions,
        clicks: d.clicks,
        spend: formatMinor(d.spendMinor, account.currencyDigits),
        conversions: d.conversions,
        revenue: formatMinor(d.revenueMinor, account.currencyDigits),
      })),
      campaigns,
    };
  };

  const igTruth = (user: SandboxIgUser, since: string, until: string) => {
    const last = addDays(igToday(), -1);
    const days: Record<string, unknown>[] = [];
    for (let day = since; day <= until && day <= last; day = addDays(day, 1)) {
      const d = igDay(user, day);
      days.push({
        date: day,
        views: d.views,
        reach: d.reach,
        accounts_engaged: d.accountsEngaged,
        total_interactions: d.totalInteractions,
        likes: d.likes,
        comments: d.comments,
        shares: d.shares,
        saves: d.saves,
        follower_count: d.followerCount,
      });
    }
    const media = user.media.flatMap((m) => {
      const life = igMediaLifetime(user, m, igToday());
      return life ? [{ id: m.id, posted_on: m.postedOn, media_product_type: m.mediaProductType, ...life }] : [];
    });
    return { ig_user_id: user.id, timezone_name: IG_TIME_ZONE, days, media };
  };

  // ----------------------------------------------------------------------------------------------
  // Routing

  const count = (route: string) => counts.set(route, (counts.get(route) ?? 0) + 1);

  type Reply = { status?: number; body: unknown; headers?: Record<string, string> };

  const graph = (method: string, url: URL, p: URLSearchParams): Reply => {
    const segments = url.pathname.split('/').filter(Boolean);
    const version = segments.shift();
    const status = version ? graphVersionStatus(version, now()) : 'unknown';
    if (status === 'unknown')
      throw new GraphError(400, {
        message: `Unknown path components: /${[version, ...segments].join('/')}`,
        type: 'OAuthException',
        code: 2500,
      });
    if (status === 'expired') {
      count('expired_version');
      throw new GraphError(400, { message: deprecatedVersionMessage(), type: 'OAuthException', code: 2635 });
    }
    const [first, edge, ...rest] = segments;
    if (!first || rest.length)
      throw new GraphError(400, {
        message: `Unknown path components: /${segments.join('/')}`,
        type: 'OAuthException',
        code: 2500,
      });

    if (first === 'oauth' && edge === 'access_token') {
      count('oauth_token');
      return { body: tokenExchange(p) };
    }
    if (first === 'debug_token' && !edge) {
      count('debug_token');
      const caller = authenticate(p, []);
      const inputToken = p.get('input_token') ?? '';
      const input = tokens.get(inputToken);
      const valid =
        !!input &&
        input.serial >= revokedBefore &&
        input.serial >= expiredBefore &&
        (input.expiresAt === null || input.expiresAt > now());
      return {
        body: {
          data: input
            ? {
                app_id: input.appId,
                type: 'USER',
                application: 'Tributary (sandbox)',
                expires_at: input.expiresAt ? Math.floor(input.expiresAt / 1000) : 0,
                data_access_expires_at: Math.floor(now() / 1000) + 90 * 86_400,
                is_valid: valid,
                scopes: input.scopes,
                user_id: input.userId,
              }
            : { is_valid: false, error: { code: 190, message: 'Invalid OAuth access token.' }, app_id: caller.appId },
        },
      };
    }
    if (first === 'me') {
      const token = authenticate(p, ['ads']);
      if (!edge) {
        count('me');
        return { body: { id: token.userId, name: world.user.name } };
      }
      if (edge === 'adaccounts') {
        count('adaccounts');
        injectCallFaults(['ads'], world.user.id, 'ads_management');
        const fields = (p.get('fields') ?? 'id').split(',');
        const rows = world.accounts.map((a) => {
          const all: Record<string, unknown> = {
            id: `act_${a.id}`,
            account_id: a.id,
            name: a.name,
            currency: a.currency,
            timezone_name: a.timezone,
            account_status: 1,
          };
          return Object.fromEntries(['id', ...fields].filter((f) => f in all).map((f) => [f, all[f]]));
        });
        const offset = p.get('after') ? decodeCursor(p.get('after')!).o : 0;
        return { body: page(url, rows, offset, pageSize(p), 0) };
      }
      if (edge === 'accounts') {
        count('pages');
        const rows = world.igUsers.map((u, i) => ({
          id: `1099${world.seed}${String(i + 1).padStart(8, '0')}`,
          name: `${u.name} page`,
          instagram_business_account: { id: u.id, username: u.username, name: u.name },
        }));
        return { body: page(url, rows, p.get('after') ? decodeCursor(p.get('after')!).o : 0, pageSize(p), 0) };
      }
      throw unsupported(`me/${edge}`);
    }

    const account = accountById(first);
    if (account && first.startsWith('act_')) {
      authenticate(p, ['ads', 'insights']);
      if (!edge) {
        count('ad_account');
        return {
          body: {
            id: `act_${account.id}`,
            account_id: account.id,
            name: account.name,
            currency: account.currency,
            timezone_name: account.timezone,
            account_status: 1,
          },
        };
      }
      if (edge !== 'insights') throw unsupported(`${first}/${edge}`);
      if (method === 'POST') {
        count('insights_async_create');
        injectCallFaults(['ads', 'insights'], `act_${account.id}`, 'ads_insights');
        const headers = useBudget(`act_${account.id}`, 'ads_insights', true);
        const query = parseInsightsQuery(p);
        const v = (versions.get(account.id) ?? 0) + 1;
        versions.set(account.id, v);
        const id = `60${world.seed}${String(runs.size + 1).padStart(11, '0')}`;
        runs.set(id, {
          id,
          account,
          query,
          version: v,
          polls: 0,
          failed: !!findFault('async_failure', ['report_runs']),
        });
        return { body: { report_run_id: id }, headers };
      }
      count('insights');
      injectCallFaults(['ads', 'insights'], `act_${account.id}`, 'ads_insights');
      const headers = useBudget(`act_${account.id}`, 'ads_insights', true);
      const body = insightsPage(url, p, account, parseInsightsQuery(p), null, ['ads', 'insights']);
      return { body, headers };
    }

    const run = runs.get(first);
    if (run) {
      authenticate(p, ['ads', 'report_runs']);
      if (!edge) {
        count('report_run_status');
        injectCallFaults(['ads', 'report_runs'], `act_${run.account.id}`, 'ads_management');
        run.polls++;
        const done = run.polls >= pollsToComplete;
        const status = !done
          ? run.polls === 1
            ? 'Job Started'
            : 'Job Running'
          : run.failed
            ? 'Job Failed'
            : 'Job Completed';
        const body: Record<string, unknown> = {
          id: run.id,
          account_id: run.account.id,
          time_ref: Math.floor(now() / 1000),
          async_status: status,
          async_percent_completion: done ? 100 : Math.floor((run.polls * 100) / pollsToComplete),
          date_start: run.query.since,
          date_stop: run.query.until,
          is_running: !done,
        };
        if (done && run.failed)
          Object.assign(body, {
            error_code: -2,
            error_subcode: 2490547,
            error_message: 'Async job failed',
            error_user_title: 'Report failed',
            error_user_msg: 'The report could not be generated. Please try again.',
          });
        return { body };
      }
      if (edge !== 'insights') throw unsupported(`${first}/${edge}`);
      count('report_run_insights');
      if (run.polls < pollsToComplete || run.failed)
        throw new GraphError(400, {
          message: '(#100) The report is not ready',
          type: 'OAuthException',
          code: 100,
          error_subcode: 1487534,
        });
      injectCallFaults(['ads', 'report_runs', 'insights'], `act_${run.account.id}`, 'ads_insights');
      const headers = useBudget(`act_${run.account.id}`, 'ads_insights', true);
      return {
        body: insightsPage(url, p, run.account, run.query, run.version, ['ads', 'report_runs', 'insights']),
        headers,
      };
    }

    const igUser = igUserById(first);
    if (igUser) {
      authenticate(p, ['instagram']);
      if (!edge) {
        count('ig_user');
        const all: Record<string, unknown> = {
          id: igUser.id,
          username: igUser.username,
          name: igUser.name,
          followers_count: igDay(igUser, igToday()).followerCount,
          media_count: igUser.media.length,
        };
        return {
          body: Object.fromEntries(
            ['id', ...(p.get('fields') ?? '').split(',')].filter((f) => f in all).map((f) => [f, all[f]]),
          ),
        };
      }
      injectCallFaults(['instagram'], igUser.id, 'instagram');
      const headers = useBudget(igUser.id, 'instagram', true);
      if (edge === 'insights') {
        count('ig_insights');
        return { body: igUserInsights(igUser, p), headers };
      }
      if (edge === 'media') {
        count('ig_media');
        const today = igToday();
        const fields = (p.get('fields') ?? 'id').split(',');
        // newest first, as Instagram lists them; media "posted" after today do not exist yet
        const rows = igUser.media.filter((m) => m.postedOn <= today).map((m) => mediaFields(m, fields));
        const offset = p.get('after') ? decodeCursor(p.get('after')!).o : 0;
        const limit = pageSize(p);
        const body = page(url, rows, offset, limit, 0);
        const malformed = faults.find(
          (f) =>
            f.fault.kind === 'malformed_page' &&
            f.remaining > 0 &&
            f.fault.page === Math.floor(offset / limit) &&
            (f.fault.target === 'any' || f.fault.target === 'instagram'),
        );
        if (malformed) {
          malformed.remaining--;
          const text = JSON.stringify(body);
          return { body: { raw: text.slice(0, Math.floor(text.length / 2)) }, headers };
        }
        return { body, headers };
      }
      throw unsupported(`${first}/${edge}`);
    }

    const media = mediaById(first);
    if (media && media.media.postedOn <= igToday()) {
      authenticate(p, ['instagram']);
      if (!edge) {
        count('ig_media_object');
        return { body: mediaFields(media.media, (p.get('fields') ?? '').split(',')) };
      }
      if (edge !== 'insights') throw unsupported(`${first}/${edge}`);
      count('media_insights');
      injectCallFaults(['instagram'], media.user.id, 'instagram');
      const headers = useBudget(media.user.id, 'instagram', true);
      return { body: mediaInsights(media.user, media.media, p), headers };
    }
    throw unsupported(first);
  };

  const tokenExchange = (p: URLSearchParams) => {
    const clientId = p.get('client_id');
    const secret = p.get('client_secret');
    if (!clientId || !secret)
      throw new GraphError(400, {
        message: 'Missing client_id or client_secret parameter.',
        type: 'OAuthException',
        code: 101,
      });
    if (p.get('grant_type') === 'fb_exchange_token') {
      const old = tokens.get(p.get('fb_exchange_token') ?? '');
      // The sandbox lets an expired (but not revoked) token be exchanged: it is how tests exercise the refresh path.
      if (!old || old.serial < revokedBefore)
        throw new GraphError(400, {
          message:
            'Error validating access token: The session has been invalidated because the user changed their password or Facebook has changed the session for security reasons.',
          type: 'OAuthException',
          code: 190,
          error_subcode: 460,
        });
      return issueToken(old.userId, clientId, old.scopes, LONG_LIVED_SECONDS);
    }
    const code = p.get('code');
    const grant = code ? codes.get(code) : undefined;
    if (!code || !grant)
      throw new GraphError(400, {
        message: 'Invalid verification code format.',
        type: 'OAuthException',
        code: 100,
        error_subcode: 36007,
      });
    codes.delete(code);
    if (grant.clientId !== clientId || grant.redirectUri !== (p.get('redirect_uri') ?? '')) {
      throw new GraphError(400, {
        message:
          'Error validating verification code. Please make sure your redirect_uri is identical to the one you used in the OAuth dialog request',
        type: 'OAuthException',
        code: 100,
        error_subcode: 36008,
      });
    }
    return issueToken(world.user.id, clientId, grant.scopes, SHORT_LIVED_SECONDS);
  };

  const dialog = (p: URLSearchParams, res: http.ServerResponse) => {
    count('dialog');
    const clientId = p.get('client_id');
    const redirectUri = p.get('redirect_uri');
    if (!clientId || !redirectUri || !/^https?:\/\//.test(redirectUri)) {
      res.writeHead(400, { 'content-type': 'text/html; charset=utf-8' });
      res.end('<!doctype html><title>Error</title><p>Invalid client_id or redirect_uri.</p>');
      return;
    }
    const code = `AQ${randomBytes(24).toString('base64url')}`;
    codes.set(code, { clientId, redirectUri, scopes: (p.get('scope') ?? '').split(/[ ,]+/).filter(Boolean) });
    const target = new URL(redirectUri);
    target.searchParams.set('code', code);
    if (p.get('state')) target.searchParams.set('state', p.get('state')!);
    // The demo user approves at once; the page is what a browser without redirects would show.
    res.writeHead(302, { location: target.toString(), 'content-type': 'text/html; charset=utf-8' });
    res.end(
      `<!doctype html><title>Meta sandbox</title><p>${world.user.name} approved the app. <a href="${target.toString().replace(/"/g, '&quot;')}">Continue</a></p>`,
    );
  };

  const control = async (method: string, url: URL, bodyText: string, res: http.ServerResponse) => {
    const json = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    const what = url.pathname.slice('/__sandbox/'.length);
    if (what === 'faults') {
      if (method === 'DELETE') {
        faults = [];
        expiredBefore = -Infinity;
        revokedBefore = -Infinity;
        return json(200, { faults: [] });
      }
      if (method === 'POST') {
        const parsed = z
          .array(MetaFaultSchema)
          .or(MetaFaultSchema.transform((f) => [f]))
          .safeParse(bodyText ? JSON.parse(bodyText) : null);
        if (!parsed.success)
          return json(400, {
            error: { code: 'VALIDATION_ERROR', message: 'not a fault or list of faults', details: parsed.error.issues },
          });
        for (const f of parsed.data) addFault(f);
        return json(200, { faults: faults.map((f) => f.fault) });
      }
      return json(200, {
        faults: faults.map((f) => ({ ...f.fault, remaining: f.remaining === Infinity ? null : f.remaining })),
        expiredBefore,
        revokedBefore,
      });
    }
    if (what === 'requests') {
      if (method === 'DELETE') {
        counts.clear();
        agents.clear();
      }
      return json(200, {
        total: [...counts.values()].reduce((a, b) => a + b, 0),
        byRoute: Object.fromEntries(counts),
        userAgents: Object.fromEntries(agents),
      });
    }
    if (what === 'truth' || what === 'truth/instagram') {
      const q = url.searchParams;
      const since = q.get('since');
      const until = q.get('until');
      if (!since || !until || !/^\d{4}-\d{2}-\d{2}$/.test(since) || !/^\d{4}-\d{2}-\d{2}$/.test(until))
        return json(400, { error: { code: 'VALIDATION_ERROR', message: 'since and until (YYYY-MM-DD) are required' } });
      if (what === 'truth') {
        const account = accountById(q.get('account_id') ?? '');
        if (!account) return json(404, { error: { code: 'RESOURCE_NOT_FOUND', message: 'unknown account_id' } });
        return json(200, adsTruth(account, since, until));
      }
      const user = igUserById(q.get('ig_user_id') ?? '');
      if (!user) return json(404, { error: { code: 'RESOURCE_NOT_FOUND', message: 'unknown ig_user_id' } });
      return json(200, igTruth(user, since, until));
    }
    if (what === 'world')
      return json(200, {
        demo_token: demoToken,
        accounts: world.accounts.map((a) => ({
          id: `act_${a.id}`,
          name: a.name,
          currency: a.currency,
          timezone_name: a.timezone,
          campaigns: a.campaigns.length,
        })),
        instagram: world.igUsers.map((u) => ({ id: u.id, username: u.username })),
      });
    return json(404, { error: { code: 'RESOURCE_NOT_FOUND', message: 'unknown control endpoint' } });
  };

  const sockets = new Set<import('node:net').Socket>();
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      void (async () => {
        const url = new URL(req.url ?? '/', baseUrl);
        const method = req.method ?? 'GET';
        const bodyText = Buffer.concat(chunks).toString('utf8');
        try {
          if (url.pathname.startsWith('/__sandbox/')) return await control(method, url, bodyText, res);
          const params = new URLSearchParams(url.searchParams);
          if (bodyText) mergeBody(params, bodyText, req.headers['content-type'] ?? '');
          const agent = req.headers['user-agent'] ?? 'unknown';
          agents.set(agent, (agents.get(agent) ?? 0) + 1);
          if (/^(\/v\d+\.0)?\/dialog\/oauth$/.test(url.pathname)) return dialog(params, res);
          const reply = graph(method, url, params);
          const text = isRaw(reply.body) ? reply.body.raw : JSON.stringify(reply.body);
          res.writeHead(reply.status ?? 200, {
            'content-type': 'application/json; charset=UTF-8',
            'x-fb-trace-id': trace(),
            ...(reply.headers ?? {}),
          });
          res.end(text);
        } catch (err) {
          if (err instanceof HangUp) {
            const timer = setTimeout(() => req.socket.destroy(), err.hangMs);
            req.socket.once('close', () => clearTimeout(timer));
            return;
          }
          if (err instanceof GraphError) {
            res.writeHead(err.status, {
              'content-type': 'application/json; charset=UTF-8',
              'www-authenticate': `OAuth "Facebook Platform" "${err.body.type}" "${err.body.message.replace(/"/g, "'")}"`,
              ...err.headers,
            });
            res.end(JSON.stringify({ error: { ...err.body, fbtrace_id: trace() } }));
            return;
          }
          res.writeHead(500, { 'content-type': 'application/json; charset=UTF-8' });
          res.end(
            JSON.stringify({
              error: {
                message: 'An unknown error has occurred.',
                type: 'OAuthException',
                code: 1,
                is_transient: false,
                fbtrace_id: trace(),
              },
            }),
          );
        }
      })();
    });
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.once('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
  });
  const address = server.address() as AddressInfo;
  const baseUrl = `http://${options.host ?? '127.0.0.1'}:${address.port}`;

  return {
    baseUrl,
    world,
    demoToken,
    setFaults: (list) => {
      expiredBefore = -Infinity;
      revokedBefore = -Infinity;
      setFaults(list);
    },
    addFault,
    clearFaults: () => {
      faults = [];
      expiredBefore = -Infinity;
      revokedBefore = -Infinity;
    },
    requests: () => ({
      total: [...counts.values()].reduce((a, b) => a + b, 0),
      byRoute: Object.fromEntries(counts),
      userAgents: Object.fromEntries(agents),
    }),
    resetRequests: () => {
      counts.clear();
      agents.clear();
    },
    stop: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

function isRaw(body: unknown): body is { raw: string } {
  return typeof body === 'object' && body !== null && 'raw' in body && Object.keys(body).length === 1;
}

/** POST bodies: the SDK sends JSON (axios), other clients send forms; both carry Graph params. */
function mergeBody(params: URLSearchParams, text: string, contentType: string) {
  if (contentType.includes('application/json')) {
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      throw new GraphError(400, {
        message: '(#100) The request body is not valid JSON',
        type: 'OAuthException',
        code: 100,
      });
    }
    for (const [k, v] of Object.entries((body ?? {}) as Record<string, unknown>)) {
      if (v === undefined || v === null) continue;
      params.set(k, typeof v === 'object' ? JSON.stringify(v) : String(v));
    }
    return;
  }
  for (const [k, v] of new URLSearchParams(text)) params.set(k, v);
}

function trace(): string {
  return randomBytes(8).toString('base64url');
}
