// A local stand-in for a.klaviyo.com: accounts, metrics, the Reporting API's campaign and flow values reports
// and the flow series report, and OAuth (authorize with PKCE, token, refresh), speaking the wire format of
// ../../../../shared/PLATFORMS.md §8: JSON:API bodies and error shapes, a required `revision` header (an unknown
// revision is 400, a retired one 410), `page_cursor` paging with bare cursors in links.next on the sandbox's
// own origin, numbers as JSON numbers, 429 `throttled` with Retry-After, RateLimit-* headers on the rest, and
// per-account report limits of 1/s burst, 2/min steady and 225/day (switchable for tests on a virtual clock).
//
// Truth (GET /__sandbox/truth):
//   ?account=<id>&report=campaign|flow&from=YYYY-MM-DD&to=YYYY-MM-DD[&metric=<conversion metric
//   id>][&groupBy=date|campaign]
// exact totals of what the reports serve at the current data version (campaign = flow id for flows).
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { addDays, daysBetween, isDay, type SandboxToday } from '../base/days';
import { htmlPage, httpRedirectUri } from '../base/consent-page';
import { FaultBoard } from '../base/faults';
import { formatScaled } from '../base/scaled';
import {
  startSandbox,
  type RunningSandbox,
  type SandboxPlatform,
  type SandboxReply,
  type SandboxRequest,
  type SandboxRoute,
} from '../base/sandbox-server';
import {
  KlaviyoFaultSchema,
  type KlaviyoFault,
  type KlaviyoFaultInput,
  type KlaviyoFaultTarget,
} from './klaviyo-faults';
import {
  ALL_SCOPES,
  KlaviyoWorld,
  reportId,
  servedDays,
  STAT_NAMES,
  type AccountSeed,
  type KlaviyoAccount,
  type KlaviyoMetric,
  type MessageStats,
} from './klaviyo-world';

export const KLAVIYO_DEMO_CLIENT = { clientId: 'sandbox-klaviyo-app', clientSecret: 'sandbox-klaviyo-secret' } as const;
/** Revisions come quarterly (YYYY-MM-15) and each is served two years; this is the newest. */
export const KLAVIYO_LATEST_REVISION = '2026-10-15';
/** the fixed "today" tests and benches use */
export const KLAVIYO_SANDBOX_TODAY = '2026-11-23';

export interface KlaviyoSandboxOptions {
  seed?: string;
  today?: SandboxToday;
  accounts?: readonly AccountSeed[];
  /** results per report page (Klaviyo pages large reports) */
  pageSize?: number;
  /** per-account report limits; false: none (tests on a virtual clock) */
  limits?: { burstPerSecond: number; perMinute: number; perDay: number } | false;
  now?: () => number;
  faults?: KlaviyoFaultInput[];
  port?: number;
}

export interface KlaviyoSandbox extends RunningSandbox {
  world: KlaviyoWorld;
  /** each account's private key with every read scope */
  keys: Record<string, string>;
  /** a key of the first account without campaigns:read and flows:read */
  limitedKey: string;
}

interface Grant {
  accountId: string;
  scopes: string[];
  serial: number;
  expiresAt: number | null;
}

class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    readonly title: string,
    readonly detail: string,
    readonly headers: Record<string, string> = {},
    readonly pointer = '/data/',
  ) {
    super(detail);
  }
}
/** Klaviyo's 400 for a request that fails validation, pointing at the offending member. */
const invalidInput = (detail: string, pointer: string) =>
  new ApiError(400, 'invalid', 'Invalid input.', detail, {}, pointer);
class Hang extends Error {
  constructor(readonly hangMs: number) {
    super('hang');
  }
}

const VALUES_STATISTICS = new Set([
  ...STAT_NAMES,
  'conversion_value',
  'open_rate',
  'click_rate',
  'conversion_rate',
  'unsubscribe_rate',
  'delivery_rate',
  'bounce_rate',
  'average_order_value',
  'revenue_per_recipient',
]);
const CAMPAIGN_GROUPINGS = ['campaign_id', 'campaign_message_id', 'campaign_message_name', 'send_channel'];
const FLOW_GROUPINGS = ['flow_id', 'flow_message_id', 'flow_message_name', 'flow_name', 'send_channel'];

const DEFAULT_SEED = 'tributary-klaviyo';

/** The private key of the default world's first account (the local runner's demo data source uses it). */
export function klaviyoDemoLogin(): { apiKey: string; accountId: string } {
  const { world, keys } = klaviyoSandboxPlatform({ limits: false });
  const accountId = world.accounts[0]!.id;
  return { apiKey: keys[accountId]!, accountId };
}

export function klaviyoSandboxPlatform(options: KlaviyoSandboxOptions = {}) {
  const seed = options.seed ?? DEFAULT_SEED;
  const world = new KlaviyoWorld(seed, options.today ?? KLAVIYO_SANDBOX_TODAY, options.accounts);
  const now = options.now ?? Date.now;
  const pageSize = options.pageSize ?? 100;
  const limits = options.limits === undefined ? { burstPerSecond: 1, perMinute: 2, perDay: 225 } : options.limits;

  let serial = 0;
  const grants = new Map<string, Grant>();
  const refreshTokens = new Map<string, Grant>();
  const codes = new Map<
    string,
    { clientId: string; redirectUri: string; scopes: string[]; challenge: string; accountId: string }
  >();
  let invalidBefore = -1;
  let expiredBefore = -1;
  let revokedBefore = -1;

  const keys: Record<string, string> = {};
  for (const a of world.accounts) {
    const key = `pk_${createHash('sha256').update(`${seed}|${a.id}`).digest('hex').slice(0, 34)}`;
    keys[a.id] = key;
    grants.set(key, { accountId: a.id, scopes: [...ALL_SCOPES], serial: serial++, expiresAt: null });
  }
  const limitedKey = `pk_${createHash('sha256').update(`${seed}|limited`).digest('hex').slice(0, 34)}`;
  grants.set(limitedKey, {
    accountId: world.accounts[0]!.id,
    scopes: ['accounts:read', 'metrics:read'],
    serial: serial++,
    expiresAt: null,
  });

  class Faults extends FaultBoard<KlaviyoFault> {
    // credential faults act at once on what has been issued, rather than waiting in the board
    override arm(fault: KlaviyoFault): void {
      if (fault.kind === 'invalid_key') invalidBefore = serial;
      else if (fault.kind === 'expired_token') expiredBefore = serial;
      else if (fault.kind === 'revoked') revokedBefore = serial;
      else super.arm(fault);
    }
  }
  const faults = new Faults();
  for (const f of options.faults ?? []) faults.arm(KlaviyoFaultSchema.parse(f));
  const hits = (t: KlaviyoFaultTarget) => (f: { target: string }) => f.target === 'any' || f.target === t;

  // ----------------------------------------------------------------------------------------------
  // Requests: revision, auth, faults, rate limits

  /** per account, the times of report calls in the last day */
  const calls = new Map<string, number[]>();

  const checkRevision = (req: SandboxRequest) => {
    const revision = req.headers.revision;
    if (typeof revision !== 'string' || !revision)
      throw invalidInput('Missing required header: revision.', '/headers/revision');
    if (
      !/^\d{4}-\d{2}-15(\.pre)?$/.test(revision) ||
      !isDay(revision.slice(0, 10)) ||
      revision > KLAVIYO_LATEST_REVISION ||
      revision < '2023-01-15'
    ) {
      throw invalidInput(`'${revision}' is not a valid revision.`, '/headers/revision');
    }
    const retiredOn = `${Number(revision.slice(0, 4)) + 2}${revision.slice(4, 10)}`;
    if (retiredOn <= world.todayFor()) {
      throw new ApiError(
        410,
        'gone',
        'Revision retired.',
        `Revision ${revision} was retired on ${retiredOn}. Upgrade to a current revision (https://developers.klaviyo.com/en/docs/api_versioning_and_deprecation_policy).`,
        {},
        '/headers/revision',
      );
    }
  };

  const authenticate = (req: SandboxRequest, scope: string, t: KlaviyoFaultTarget): KlaviyoAccount => {
    const auth = req.headers.authorization ?? '';
    const m = /^(Klaviyo-API-Key|Bearer)\s+(\S+)$/i.exec(auth);
    if (!m)
      throw new ApiError(
        401,
        'not_authenticated',
        'Authentication credentials were not provided.',
        'Missing or invalid authorization scheme. Please use Klaviyo-API-Key.',
      );
    const grant = grants.get(m[2]!);
    const bearer = m[1]!.toLowerCase() === 'bearer';
    if (
      !grant ||
      bearer !== (grant.expiresAt !== null) ||
      grant.serial < invalidBefore ||
      (bearer && grant.serial < revokedBefore)
    ) {
      throw new ApiError(
        401,
        'authentication_failed',
        'Incorrect authentication credentials.',
        'Incorrect authentication credentials.',
      );
    }
    if (bearer && (grant.serial < expiredBefore || grant.expiresAt! <= now())) {
      throw new ApiError(
        401,
        'authentication_failed',
        'Incorrect authentication credentials.',
        'The access token has expired.',
      );
    }
    if (!grant.scopes.includes(scope) || faults.take('permission_denied', hits(t))) {
      throw new ApiError(
        403,
        'permission_denied',
        'You do not have permission to perform this action.',
        `You do not have permission to perform this action. This request needs the ${scope} scope.`,
      );
    }
    return world.account(grant.accountId)!;
  };

  /** Throttling of the report endpoints, per account: 1/s burst, 2/min steady, 225/day. */
  const throttle = (account: KlaviyoAccount): Record<string, string> => {
    const fault = faults.take('rate_limit', hits('reports'));
    const t = now();
    const log = (calls.get(account.id) ?? []).filter((c) => c > t - 86_400_000);
    calls.set(account.id, log);
    if (fault) {
      // the daily cap: until the oldest call of the last day leaves it (a test may name a shorter wait over a minute)
      const daily =
        fault.retryAfterSeconds > 60
          ? fault.retryAfterSeconds
          : Math.max(61, Math.ceil(((log[0] ?? t) + 86_400_000 - t) / 1000));
      const seconds = fault.window === 'daily' ? daily : fault.retryAfterSeconds;
      throw new ApiError(
        429,
        'throttled',
        'Request was throttled.',
        `Request was throttled. Expected available in ${seconds} seconds.`,
        { 'Retry-After': String(seconds) },
      );
    }
    if (limits) {
      const windows = [
        { limit: limits.burstPerSecond, ms: 1_000 },
        { limit: limits.perMinute, ms: 60_000 },
        { limit: limits.perDay, ms: 86_400_000 },
      ];
      for (const w of windows) {
        const inWindow = log.filter((c) => c > t - w.ms);
        if (inWindow.length >= w.limit) {
          const seconds = Math.max(1, Math.ceil((inWindow[0]! + w.ms - t) / 1000));
          throw new ApiError(
            429,
            'throttled',
            'Request was throttled.',
            `Request was throttled. Expected available in ${seconds} seconds.`,
            { 'Retry-After': String(seconds) },
          );
        }
      }
    }
    log.push(t);
    const steady = limits ? limits.perMinute : 1_000;
    const inMinute = log.filter((c) => c > t - 60_000);
    // seconds until the oldest call of the steady window leaves it, and a unit is free again
    const reset = Math.max(1, Math.ceil((inMinute[0]! + 60_000 - t) / 1000));
    return {
      'RateLimit-Limit': String(steady),
      'RateLimit-Remaining': String(Math.max(0, steady - inMinute.length)),
      'RateLimit-Reset': String(reset),
    };
  };

  const callFaults = (t: KlaviyoFaultTarget) => {
    if (t !== 'reports') {
      const rl = faults.take('rate_limit', hits(t));
      if (rl)
        throw new ApiError(
          429,
          'throttled',
          'Request was throttled.',
          `Request was throttled. Expected available in ${rl.retryAfterSeconds} seconds.`,
          { 'Retry-After': String(rl.retryAfterSeconds) },
        );
    }
    const se = faults.take('server_error', hits(t));
    if (se) throw new ApiError(se.status, 'error', 'A server error occurred.', 'A server error occurred.');
    const to = faults.take('timeout', hits(t));
    if (to) throw new Hang(to.hangMs);
  };

  const respond = (fn: () => SandboxReply): SandboxReply => {
    try {
      return fn();
    } catch (err) {
      if (err instanceof Hang) return { hangMs: err.hangMs };
      if (err instanceof ApiError) {
        const body = {
          errors: [
            {
              id: randomUUID(),
              status: err.status,
              code: err.code,
              title: err.title,
              detail: err.detail,
              source: { pointer: err.pointer },
            },
          ],
        };
        return {
          status: err.status,
          json: body,
          headers: { 'content-type': 'application/vnd.api+json', ...err.headers },
        };
      }
      throw err;
    }
  };

  const json = (body: unknown, headers: Record<string, string> = {}): SandboxReply => ({
    status: 200,
    json: body,
    headers: { 'content-type': 'application/vnd.api+json', ...headers },
  });
  const origin = (req: SandboxRequest) => `http://${req.headers.host ?? '127.0.0.1'}`;
  /** A list endpoint: the revision header, the key and its scope, the faults armed for `t`, then the answer. */
  const listEndpoint =
    (scope: string, t: KlaviyoFaultTarget, answer: (req: SandboxRequest, account: KlaviyoAccount) => SandboxReply) =>
    (req: SandboxRequest): SandboxReply =>
      respond(() => {
        checkRevision(req);
        const account = authenticate(req, scope, t);
        callFaults(t);
        return answer(req, account);
      });

  // ----------------------------------------------------------------------------------------------
  // Accounts and metrics

  const accounts = listEndpoint('accounts:read', 'accounts', (req, account) => {
    return json({
      data: [
        {
          type: 'account',
          id: account.id,
          attributes: {
            test_account: false,
            contact_information: {
              default_sender_name: account.name,
              default_sender_email: `hello@${account.id.toLowerCase()}.example`,
              website_url: `https://${account.id.toLowerCase()}.example`,
              organization_name: account.name,
              street_address: {
                address1: '1 Main St',
                address2: '',
                city: 'Springfield',
                region: '',
                country: '',
                zip: '',
              },
            },
            industry: account.industry,
            timezone: account.timeZone,
            preferred_currency: account.currency,
            public_api_key: account.id,
            locale: 'en-US',
          },
          links: { self: `${origin(req)}/api/accounts/${account.id}/` },
        },
      ],
      links: { self: `${origin(req)}/api/accounts/`, next: null, prev: null },
    });
  });

  const metrics = listEndpoint('metrics:read', 'metrics', (req, account) => {
    // two a page, so a client follows links.next as it must with Klaviyo's 200-a-page lists
    const per = 4;
    const offset = Number(req.url.searchParams.get('page[cursor]') ?? '0') || 0;
    const page = account.metrics.slice(offset, offset + per);
    const next =
      offset + per < account.metrics.length ? `${origin(req)}/api/metrics/?page%5Bcursor%5D=${offset + per}` : null;
    return json({
      data: page.map((m) => ({
        type: 'metric',
        id: m.id,
        attributes: {
          name: m.name,
          created: '2024-03-01T10:00:00+00:00',
          updated: '2026-09-01T10:00:00+00:00',
          integration: {
            object: 'integration',
            id: m.integration.toLowerCase(),
            name: m.integration,
            category: m.integration === 'Shopify' ? 'eCommerce' : 'Internal',
          },
        },
        links: { self: `${origin(req)}/api/metrics/${m.id}/` },
      })),
      links: { self: `${origin(req)}/api/metrics/`, next, prev: null },
    });
  });

  /** Campaigns (a channel filter is required, as Klaviyo requires it) and flows: the validate call's scope checks. */
  const campaigns = listEndpoint('campaigns:read', 'accounts', (req, account) => {
    const channel = /equals\(messages\.channel,['"](email|sms)['"]\)/.exec(
      req.url.searchParams.get('filter') ?? '',
    )?.[1];
    if (!channel)
      throw new ApiError(
        400,
        'invalid',
        'Invalid filter provided.',
        "A channel filter is required: equals(messages.channel,'email') or equals(messages.channel,'sms').",
        {},
        '/filter',
      );
    const sent = [];
    for (let d = world.todayFor(), n = 0; n < 30 && sent.length < 10; d = addDays(d, -1), n++)
      sent.push(...world.campaignsOn(account, d).filter((c) => c.message.channel === channel));
    return json({
      data: sent.map((c) => ({
        type: 'campaign',
        id: c.id,
        attributes: { name: c.name, status: 'Sent', archived: false, send_time: `${c.sendDay}T14:00:00+00:00` },
      })),
      links: { self: `${origin(req)}/api/campaigns/`, next: null, prev: null },
    });
  });
  const flows = listEndpoint('flows:read', 'accounts', (req, account) => {
    return json({
      data: account.flows.map((f) => ({
        type: 'flow',
        id: f.id,
        attributes: { name: f.name, status: 'live', archived: false, trigger_type: 'Added to List' },
      })),
      links: { self: `${origin(req)}/api/flows/`, next: null, prev: null },
    });
  });

  // ----------------------------------------------------------------------------------------------
  // Reports

  interface ReportQuery {
    statistics: string[];
    days: string[];
    metric: KlaviyoMetric;
    groupBy: string[];
    filter: { channel?: string; ids?: string[] };
    interval?: string;
  }

  const parseReport = (
    req: SandboxRequest,
    account: KlaviyoAccount,
    type: string,
    groupings: readonly string[],
    series: boolean,
  ): ReportQuery => {
    const body = req.body as { data?: { type?: string; attributes?: Record<string, unknown> } } | undefined;
    if (!body?.data || body.data.type !== type)
      throw invalidInput(`Expected a resource object of type '${type}'.`, '/data/type');
    const a = body.data.attributes ?? {};
    const statistics = a.statistics;
    if (!Array.isArray(statistics) || statistics.length === 0)
      throw invalidInput('statistics is required.', '/data/attributes/statistics');
    const bad = statistics.find((s) => typeof s !== 'string' || !VALUES_STATISTICS.has(s));
    if (bad !== undefined) throw invalidInput(`'${String(bad)}' is not a valid choice.`, '/data/attributes/statistics');
    const metricId = a.conversion_metric_id;
    if (typeof metricId !== 'string' || !metricId)
      throw invalidInput('conversion_metric_id is required.', '/data/attributes/conversion_metric_id');
    const metric = account.metrics.find((m) => m.id === metricId);
    if (!metric)
      throw invalidInput(`Metric ${metricId} does not exist in this account.`, '/data/attributes/conversion_metric_id');
    const days = timeframeDays(a.timeframe, series ? 60 : 366);
    if (series && a.interval !== 'daily')
      throw invalidInput('This sandbox serves interval "daily" only.', '/data/attributes/interval');
    const groupBy = Array.isArray(a.group_by)
      ? (a.group_by as string[])
      : groupings.filter((g) => !g.endsWith('_name'));
    const unknown = groupBy.find((g) => !groupings.includes(g));
    if (unknown) throw invalidInput(`'${unknown}' is not a valid group_by.`, '/data/attributes/group_by');
    if (!groupBy.includes(groupings[0]!) || !groupBy.includes(groupings[1]!))
      throw invalidInput(`group_by must include ${groupings[0]} and ${groupings[1]}.`, '/data/attributes/group_by');
    return { statistics: statistics as string[], days, metric, groupBy, filter: parseFilter(a.filter, groupings[0]!) };
  };

  interface Row {
    groupings: Record<string, string>;
    /** one stats per day of the query (series) or one (values) */
    stats: MessageStats[];
    relationship: { type: string; id: string };
  }

  const campaignRows = (account: KlaviyoAccount, q: ReportQuery): Row[] => {
    const rows: Row[] = [];
    for (const day of q.days) {
      for (const c of world.campaignsOn(account, day)) {
        if (q.filter.channel && c.message.channel !== q.filter.channel) continue;
        if (q.filter.ids && !q.filter.ids.includes(c.id)) continue;
        const all: Record<string, string> = {
          campaign_id: c.id,
          campaign_message_id: c.message.id,
          campaign_message_name: c.message.name,
          send_channel: c.message.channel,
        };
        rows.push({
          groupings: pick(all, q.groupBy),
          stats: [world.campaignStats(account, c, q.metric)],
          relationship: { type: 'campaign', id: c.id },
        });
      }
    }
    return rows;
  };

  const flowRows = (account: KlaviyoAccount, q: ReportQuery, series: boolean): Row[] => {
    const rows: Row[] = [];
    for (const f of account.flows) {
      if (q.filter.ids && !q.filter.ids.includes(f.id)) continue;
      for (const m of f.messages) {
        if (q.filter.channel && m.channel !== q.filter.channel) continue;
        const all: Record<string, string> = {
          flow_id: f.id,
          flow_message_id: m.id,
          flow_message_name: m.name,
          flow_name: f.name,
          send_channel: m.channel,
        };
        const perDay = q.days.map((d) => world.flowStats(account, m, d, q.metric));
        rows.push({
          groupings: pick(all, q.groupBy),
          stats: series ? perDay : [sumStats(perDay)],
          relationship: { type: 'flow', id: f.id },
        });
      }
    }
    return rows;
  };

  /** Each rate statistic as [numerator, denominator] of the message's counts. */
  const RATES = new Map<string, [keyof MessageStats, keyof MessageStats]>([
    ['open_rate', ['opens_unique', 'delivered']],
    ['click_rate', ['clicks_unique', 'delivered']],
    ['conversion_rate', ['conversion_uniques', 'delivered']],
    ['unsubscribe_rate', ['unsubscribes', 'delivered']],
    ['delivery_rate', ['delivered', 'recipients']],
    ['bounce_rate', ['bounced', 'recipients']],
  ]);

  const statistic = (account: KlaviyoAccount, s: MessageStats, name: string): number => {
    const rate = RATES.get(name);
    if (rate) {
      const [a, b] = [s[rate[0]], s[rate[1]]];
      return b === 0 ? 0 : Math.round((a / b) * 1e6) / 1e6;
    }
    const value = Number(formatScaled(s.conversionValueMinor, account.exponent));
    switch (name) {
      case 'conversion_value':
        return value;
      case 'average_order_value':
        return s.conversions === 0 ? 0 : Math.round((value / s.conversions) * 100) / 100;
      case 'revenue_per_recipient':
        return s.recipients === 0 ? 0 : Math.round((value / s.recipients) * 100) / 100;
      default:
        return s[name as keyof MessageStats];
    }
  };

  const report =
    (type: 'campaign-values-report' | 'flow-values-report' | 'flow-series-report', scope: string) =>
    (req: SandboxRequest): SandboxReply =>
      respond(() => {
        checkRevision(req);
        const account = authenticate(req, scope, 'reports');
        const rateHeaders = throttle(account);
        callFaults('reports');
        const series = type === 'flow-series-report';
        const q = parseReport(
          req,
          account,
          type,
          type === 'campaign-values-report' ? CAMPAIGN_GROUPINGS : FLOW_GROUPINGS,
          series,
        );
        // a cursor pins the data version the first page was served at, so the pages of one report agree
        const cursor = req.url.searchParams.get('page_cursor');
        let offset = 0;
        const current = world.version;
        if (cursor) {
          const parsed = decodeCursor(cursor);
          if (!parsed) throw invalidInput('Invalid page cursor.', '/page_cursor');
          offset = parsed.o;
          world.version = parsed.v;
        }
        let rows: Row[];
        try {
          rows = type === 'campaign-values-report' ? campaignRows(account, q) : flowRows(account, q, series);
        } finally {
          world.version = current;
        }
        const version = cursor ? decodeCursor(cursor)!.v : current;
        const page = rows.slice(offset, offset + pageSize);
        const nextOffset = offset + pageSize < rows.length ? offset + pageSize : null;
        const path = `/api/${type}s/`;
        const body = {
          data: {
            type,
            id: reportId(account.id, type, JSON.stringify(req.body)),
            attributes: {
              results: page.map((r) => ({
                groupings: r.groupings,
                statistics: Object.fromEntries(
                  q.statistics.map((s) => [
                    s,
                    series ? r.stats.map((d) => statistic(account, d, s)) : statistic(account, r.stats[0]!, s),
                  ]),
                ),
              })),
              ...(series ? { date_times: q.days.map((d) => localMidnightIso(d, account.timeZone)) } : {}),
            },
            relationships: {
              [type.startsWith('campaign') ? 'campaigns' : 'flows']: {
                data: uniqueBy(page.map((r) => r.relationship)),
              },
            },
          },
          links: {
            self: `${origin(req)}${path}`,
            next:
              nextOffset === null
                ? null
                : `${origin(req)}${path}?page_cursor=${encodeCursor({ o: nextOffset, v: version })}`,
            prev: null,
          },
        };
        const pageIndex = Math.floor(offset / pageSize);
        if (faults.take('malformed_page', (f) => hits('reports')(f) && f.page === pageIndex)) {
          const text = JSON.stringify(body);
          return {
            write: (res) => {
              res.writeHead(200, { 'content-type': 'application/vnd.api+json', ...rateHeaders });
              res.end(text.slice(0, Math.floor(text.length / 2)));
            },
          };
        }
        return json(body, rateHeaders);
      });

  // ----------------------------------------------------------------------------------------------
  // OAuth: authorize (PKCE S256, the demo account approves at once), token (code, refresh)

  const authorize = (req: SandboxRequest): SandboxReply => {
    const q = req.url.searchParams;
    const redirectUri = httpRedirectUri(q);
    if (q.get('client_id') !== KLAVIYO_DEMO_CLIENT.clientId)
      return htmlPage(400, '<h1>Invalid client</h1><p>The app was not found.</p>');
    if (!redirectUri) return htmlPage(400, '<h1>Invalid request</h1><p>Missing or invalid redirect_uri.</p>');
    if (q.get('response_type') !== 'code' || q.get('code_challenge_method') !== 'S256' || !q.get('code_challenge')) {
      return htmlPage(
        400,
        '<h1>Invalid request</h1><p>Klaviyo requires response_type=code and a PKCE code_challenge with ' +
          'code_challenge_method=S256.</p>',
      );
    }
    const scopes = (q.get('scope') ?? '').split(/\s+/).filter(Boolean);
    const account = world.account(q.get('account') ?? '') ?? world.accounts[0]!;
    const code = randomBytes(24).toString('base64url');
    codes.set(code, {
      clientId: KLAVIYO_DEMO_CLIENT.clientId,
      redirectUri,
      scopes,
      challenge: q.get('code_challenge')!,
      accountId: account.id,
    });
    const target = new URL(redirectUri);
    target.searchParams.set('code', code);
    if (q.get('state')) target.searchParams.set('state', q.get('state')!);
    // the consent screen is the one step the sandbox plays for the user: the account approves at once
    return { redirect: target.toString() };
  };

  const issue = (accountId: string, scopes: string[]) => {
    const access = `kat_${randomBytes(24).toString('base64url')}`;
    const refresh = `krt_${randomBytes(24).toString('base64url')}`;
    grants.set(access, { accountId, scopes, serial: serial++, expiresAt: now() + 3_600_000 });
    refreshTokens.set(refresh, { accountId, scopes, serial: serial++, expiresAt: null });
    return {
      access_token: access,
      token_type: 'Bearer',
      expires_in: 3600,
      refresh_token: refresh,
      scope: scopes.join(' '),
    };
  };

  const token = (req: SandboxRequest): SandboxReply => {
    const b = (req.body ?? {}) as Record<string, string | undefined>;
    const basic = /^Basic\s+(.+)$/i.exec(req.headers.authorization ?? '');
    const [id, secret] = basic ? Buffer.from(basic[1]!, 'base64').toString().split(':') : [];
    if (id !== KLAVIYO_DEMO_CLIENT.clientId || secret !== KLAVIYO_DEMO_CLIENT.clientSecret)
      return { status: 401, json: { error: 'invalid_client', error_description: 'Client authentication failed.' } };
    if (b.grant_type === 'authorization_code') {
      const pending = b.code ? codes.get(b.code) : undefined;
      if (b.code) codes.delete(b.code);
      if (!pending || pending.redirectUri !== b.redirect_uri)
        return { status: 400, json: { error: 'invalid_grant', error_description: 'Invalid authorization code.' } };
      if (
        createHash('sha256')
          .update(b.code_verifier ?? '')
          .digest('base64url') !== pending.challenge
      )
        return { status: 400, json: { error: 'invalid_grant', error_description: 'Invalid code verifier.' } };
      return { status: 200, json: issue(pending.accountId, pending.scopes) };
    }
    if (b.grant_type === 'refresh_token') {
      const r = b.refresh_token ? refreshTokens.get(b.refresh_token) : undefined;
      if (!r || r.serial < revokedBefore)
        return {
          status: 400,
          json: { error: 'invalid_grant', error_description: 'Refresh token is invalid or has been revoked.' },
        };
      const access = `kat_${randomBytes(24).toString('base64url')}`;
      grants.set(access, { accountId: r.accountId, scopes: r.scopes, serial: serial++, expiresAt: now() + 3_600_000 });
      return {
        status: 200,
        json: {
          access_token: access,
          token_type: 'Bearer',
          expires_in: 3600,
          refresh_token: b.refresh_token,
          scope: r.scopes.join(' '),
        },
      };
    }
    return {
      status: 400,
      json: { error: 'unsupported_grant_type', error_description: `Unsupported grant_type: ${b.grant_type ?? ''}` },
    };
  };

  const routes: SandboxRoute[] = [
    { name: 'accounts', method: 'GET', path: /^\/api\/accounts\/?$/, handle: accounts },
    { name: 'metrics', method: 'GET', path: /^\/api\/metrics\/?$/, handle: metrics },
    { name: 'campaigns', method: 'GET', path: /^\/api\/campaigns\/?$/, handle: campaigns },
    { name: 'flows', method: 'GET', path: /^\/api\/flows\/?$/, handle: flows },
    {
      name: 'campaign-values-reports',
      method: 'POST',
      path: /^\/api\/campaign-values-reports\/?$/,
      handle: report('campaign-values-report', 'campaigns:read'),
    },
    {
      name: 'flow-values-reports',
      method: 'POST',
      path: /^\/api\/flow-values-reports\/?$/,
      handle: report('flow-values-report', 'flows:read'),
    },
    {
      name: 'flow-series-reports',
      method: 'POST',
      path: /^\/api\/flow-series-reports\/?$/,
      handle: report('flow-series-report', 'flows:read'),
    },
    { name: 'oauth.authorize', method: 'GET', path: /^\/oauth\/authorize$/, handle: authorize },
    { name: 'oauth.token', method: 'POST', path: /^\/oauth\/token$/, handle: token },
  ];

  const platform: SandboxPlatform<KlaviyoFault> = {
    name: 'klaviyo',
    routes,
    faults,
    faultSchema: KlaviyoFaultSchema as never,
    advance(steps) {
      world.version += steps;
      return world.version;
    },
    truth(q) {
      const account = world.account(q.get('account') ?? '');
      if (!account) throw new Error('unknown account');
      const from = q.get('from') ?? '';
      const to = q.get('to') ?? '';
      if (!isDay(from) || !isDay(to)) throw new Error('from and to (YYYY-MM-DD) are required');
      const metric = q.get('metric')
        ? account.metrics.find((m) => m.id === q.get('metric'))
        : account.metrics.find((m) => m.name === 'Placed Order');
      if (!metric) throw new Error('unknown metric');
      const groupBy = q.get('groupBy');
      const groups = new Map<string, { rows: number; s: MessageStats }>();
      const add = (key: string, s: MessageStats) => {
        const g = groups.get(key) ?? { rows: 0, s: sumStats([]) };
        g.rows++;
        g.s = sumStats([g.s, s]);
        groups.set(key, g);
      };
      for (const day of servedDays(world, from, to)) {
        if (q.get('report') === 'flow') {
          for (const f of account.flows)
            for (const m of f.messages) {
              const s = world.flowStats(account, m, day, metric);
              if (!isZero(s)) add(groupBy === 'date' ? day : groupBy === 'campaign' ? f.id : 'total', s);
            }
        } else {
          for (const c of world.campaignsOn(account, day))
            add(
              groupBy === 'date' ? day : groupBy === 'campaign' ? c.id : 'total',
              world.campaignStats(account, c, metric),
            );
        }
      }
      const render = (g: { rows: number; s: MessageStats }) => ({
        rows: g.rows,
        ...Object.fromEntries(STAT_NAMES.map((n) => [n, String(g.s[n])])),
        conversion_value: formatScaled(g.s.conversionValueMinor, account.exponent),
        currency: account.currency,
      });
      if (!groupBy) return render(groups.get('total') ?? { rows: 0, s: sumStats([]) });
      return { groups: Object.fromEntries([...groups].map(([k, g]) => [k, render(g)])) };
    },
  };
  return { platform, world, keys, limitedKey };
}

export async function startKlaviyoSandbox(options: KlaviyoSandboxOptions = {}): Promise<KlaviyoSandbox> {
  const { platform, world, keys, limitedKey } = klaviyoSandboxPlatform(options);
  const running = await startSandbox(platform, { port: options.port ?? 0 });
  return { ...running, world, keys, limitedKey };
}

// ------------------------------------------------------------------------------------------------

/** A timeframe ({key} or {start, end}; the offset is ignored, the account's time zone applies) as its days. */
function timeframeDays(raw: unknown, maxDays: number): string[] {
  const t = raw as { key?: string; start?: string; end?: string } | undefined;
  if (!t || (typeof t.start !== 'string' && typeof t.key !== 'string'))
    throw invalidInput('timeframe is required.', '/data/attributes/timeframe');
  if (t.key)
    throw invalidInput(`This sandbox serves custom timeframes only, not '${t.key}'.`, '/data/attributes/timeframe');
  const start = String(t.start).slice(0, 10);
  const endText = String(t.end ?? '');
  const endDay = endText.slice(0, 10);
  if (!isDay(start) || !isDay(endDay))
    throw invalidInput('timeframe start and end must be datetimes.', '/data/attributes/timeframe');
  // the end is exclusive at midnight: {start: 1 Nov 00:00, end: 2 Nov 00:00} is the one day 1 Nov
  const midnight = /^\d{4}-\d{2}-\d{2}(T00:00(:00(\.0+)?)?)?([zZ]|[+-]\d{2}:?\d{2})?$/.test(endText);
  const last = midnight ? addDays(endDay, -1) : endDay;
  if (last < start) throw invalidInput('timeframe end must be after its start.', '/data/attributes/timeframe');
  const days = daysBetween(start, last) + 1;
  if (days > maxDays)
    throw invalidInput(
      `The timeframe is longer than ${maxDays === 60 ? '60 days, the most a daily series allows' : '1 year'}.`,
      '/data/attributes/timeframe',
    );
  const out: string[] = [];
  for (let d = start; d <= last; d = addDays(d, 1)) out.push(d);
  return out;
}

/** `equals(send_channel,"email")` and `contains-any(<id field>,["…"])`, joined by `and(…)` or commas. */
function parseFilter(raw: unknown, idField: string): { channel?: string; ids?: string[] } {
  if (raw === undefined || raw === null || raw === '') return {};
  if (typeof raw !== 'string') throw invalidInput('filter must be a string.', '/data/attributes/filter');
  const out: { channel?: string; ids?: string[] } = {};
  const channel = /equals\(send_channel,"(\w+)"\)/.exec(raw);
  if (channel) out.channel = channel[1]!;
  const ids = new RegExp(`(?:contains-any|equals)\\(${idField},\\[?([^)\\]]*)\\]?\\)`).exec(raw);
  if (ids)
    out.ids = ids[1]!
      .split(',')
      .map((s) => s.trim().replace(/^"|"$/g, ''))
      .filter(Boolean);
  if (!channel && !ids) throw invalidInput(`Invalid filter: ${raw}`, '/data/attributes/filter');
  return out;
}

function pick(all: Record<string, string>, keys: readonly string[]): Record<string, string> {
  return Object.fromEntries(keys.map((k) => [k, all[k]!]));
}

function uniqueBy(items: { type: string; id: string }[]): { type: string; id: string }[] {
  const seen = new Set<string>();
  return items.filter((i) => (seen.has(i.id) ? false : (seen.add(i.id), true)));
}

export function sumStats(list: readonly MessageStats[]): MessageStats {
  const out = {
    recipients: 0,
    delivered: 0,
    bounced: 0,
    opens: 0,
    opens_unique: 0,
    clicks: 0,
    clicks_unique: 0,
    unsubscribes: 0,
    conversions: 0,
    conversion_uniques: 0,
    conversionValueMinor: 0,
  };
  for (const s of list) for (const k of Object.keys(out) as (keyof MessageStats)[]) out[k] += s[k];
  return out;
}

function isZero(s: MessageStats): boolean {
  return Object.values(s).every((v) => v === 0);
}

function encodeCursor(c: { o: number; v: number }): string {
  return Buffer.from(JSON.stringify(c)).toString('base64url');
}
function decodeCursor(raw: string): { o: number; v: number } | null {
  try {
    const c = JSON.parse(Buffer.from(raw, 'base64url').toString()) as { o?: unknown; v?: unknown };
    return Number.isInteger(c.o) && Number.isInteger(c.v) ? { o: c.o as number, v: c.v as number } : null;
  } catch {
    return null;
  }
}

/** Local midnight of `day` in `timeZone`, with its UTC offset, as Klaviyo writes series date_times. */
export function localMidnightIso(day: string, timeZone: string): string {
  const offsetAt = (epochMs: number) => {
    const name =
      new Intl.DateTimeFormat('en-US', { timeZone, timeZoneName: 'longOffset' })
        .formatToParts(epochMs)
        .find((p) => p.type === 'timeZoneName')?.value ?? 'GMT';
    const m = /GMT([+-])(\d{2}):(\d{2})/.exec(name);
    return m ? (m[1] === '-' ? -1 : 1) * (Number(m[2]) * 60 + Number(m[3])) : 0;
  };
  const utcMidnight = Date.parse(`${day}T00:00:00Z`);
  // the offset in force at the local midnight itself (a DST change later that day does not count)
  const minutes = offsetAt(utcMidnight - offsetAt(utcMidnight) * 60_000);
  const abs = Math.abs(minutes);
  return `${day}T00:00:00${minutes < 0 ? '-' : '+'}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
}
