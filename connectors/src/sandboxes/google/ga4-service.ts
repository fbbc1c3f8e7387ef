// Google Analytics 4 as the sandbox serves it (../../../../shared/PLATFORMS.md §3): the Data API's
// runReport (every value a string, dates as YYYYMMDD, rowCount the total whatever the limit, limit/offset
// pagination, no `rows` key when empty, quota errors) and the Admin API's accountSummaries and
// properties.get for discovery. Errors are Google's standard `{"error":{code,message,status}}`.
import { settledPart } from '../base/ad-world';
import { eachDay, isDay, todayOf, type SandboxToday } from '../base/days';
import { formatScaled } from '../base/scaled';
import { SeededRandom } from '../base/seeded-random';
import type { SandboxReply, SandboxRequest, SandboxRoute } from '../base/sandbox-server';
import type { GoogleFaultBoard } from './google-faults';
import { GOOGLE_SCOPES, type GoogleTokenAuthority } from './google-oauth';

export interface Ga4Property {
  id: string;
  name: string;
  accountId: string;
  accountName: string;
  currency: string;
  currencyExponent: number;
  timeZone: string;
  channels: Ga4Channel[];
}
export interface Ga4Channel {
  source: string;
  medium: string;
  campaignId: string;
  campaignName: string;
  channelGroup: string;
  /** sessions on a normal weekday */
  baseSessions: number;
  weekdayPct: readonly number[];
  keyEventRateBp: number;
  aovMinor: number;
}

/** One channel's day: integers, revenue in minor units. */
export interface Ga4Day {
  sessions: number;
  totalUsers: number;
  newUsers: number;
  keyEvents: number;
  purchaseRevenueMinor: number;
}

const CHANNEL_TEMPLATES: [string, string, string, string][] = [
  ['google', 'cpc', 'Paid Search', 'brand'],
  ['google', 'cpc', 'Paid Search', 'generic'],
  ['google', 'cpc', 'Paid Search', 'shopping'],
  ['google', 'organic', 'Organic Search', '(organic)'],
  ['(direct)', '(none)', 'Direct', '(direct)'],
  ['facebook', 'paid_social', 'Paid Social', 'prospecting'],
  ['instagram', 'paid_social', 'Paid Social', 'retargeting'],
  ['newsletter', 'email', 'Email', 'weekly-digest'],
  ['newsletter', 'email', 'Email', 'black-friday'],
  ['blog.example.com', 'referral', 'Referral', '(referral)'],
  ['bing', 'organic', 'Organic Search', '(organic)'],
  ['tiktok', 'paid_social', 'Paid Social', 'awareness'],
];

export class Ga4World {
  readonly properties: Ga4Property[];
  version = 0;

  get today(): string {
    return todayOf(this.todayOption);
  }

  constructor(
    private readonly seed: string,
    specs: {
      id: string;
      name: string;
      accountId: string;
      accountName: string;
      currency: string;
      currencyExponent: number;
      timeZone: string;
    }[],
    /** a function follows the calendar, as AdWorld's */
    private readonly todayOption: SandboxToday,
    readonly settleDays = 2,
  ) {
    this.properties = specs.map((spec) => ({
      ...spec,
      channels: CHANNEL_TEMPLATES.map(([source, medium, channelGroup, campaign], n) => {
        const r = new SeededRandom(seed, 'ga4', spec.id, n);
        const named = !campaign.startsWith('(');
        const weekend = r.int(50, 140);
        return {
          source,
          medium,
          channelGroup,
          campaignId: named ? String(20_000_000 + hashish(spec.id, n)) : campaign,
          campaignName: campaign,
          baseSessions: r.int(20, 1500),
          weekdayPct: [100, 103, 101, 97, 90, weekend, Math.max(35, weekend - 15)],
          keyEventRateBp: r.int(50, 450),
          aovMinor: Math.round(r.int(30, 180) * 10 ** spec.currencyExponent * (spec.currencyExponent === 0 ? 150 : 1)),
        };
      }),
    }));
  }

  property(id: string): Ga4Property | undefined {
    return this.properties.find((p) => p.id === id);
  }

  day(property: Ga4Property, channel: Ga4Channel, day: string): Ga4Day | null {
    if (day > this.today) return null;
    const r = new SeededRandom(
      this.seed,
      'ga4day',
      property.id,
      channel.source,
      channel.medium,
      channel.campaignName,
      day,
    );
    const weekday = (new Date(`${day}T00:00:00Z`).getUTCDay() + 6) % 7;
    const sessions = Math.floor(((channel.baseSessions * channel.weekdayPct[weekday]!) / 100) * r.jitter(0.3));
    if (sessions <= 0) return null;
    const totalUsers = Math.max(1, Math.floor(sessions * r.jitter(0.1) * 0.8));
    const newUsers = Math.floor(totalUsers * 0.4 * r.jitter(0.2));
    const finalKeyEvents = Math.floor((sessions * channel.keyEventRateBp * r.jitter(0.4)) / 10_000);
    const keyEvents = settledPart(finalKeyEvents, day, this.today, this.version, this.settleDays);
    return {
      sessions,
      totalUsers,
      newUsers,
      keyEvents,
      purchaseRevenueMinor: Math.floor(keyEvents * channel.aovMinor * r.jitter(0.25)),
    };
  }
}

function hashish(id: string, n: number): number {
  return new SeededRandom(id, n).int(0, 9_999_999);
}

type DimensionName =
  | 'date'
  | 'sessionSource'
  | 'sessionMedium'
  | 'sessionSourceMedium'
  | 'sessionCampaignId'
  | 'sessionCampaignName'
  | 'sessionDefaultChannelGroup';
type MetricName = 'sessions' | 'totalUsers' | 'newUsers' | 'keyEvents' | 'purchaseRevenue';

const DIMENSIONS: Record<DimensionName, (c: Ga4Channel, day: string) => string> = {
  date: (_, day) => day.replaceAll('-', ''),
  sessionSource: (c) => c.source,
  sessionMedium: (c) => c.medium,
  sessionSourceMedium: (c) => `${c.source} / ${c.medium}`,
  sessionCampaignId: (c) => c.campaignId,
  sessionCampaignName: (c) => c.campaignName,
  sessionDefaultChannelGroup: (c) => c.channelGroup,
};
const METRIC_TYPES: Record<MetricName, string> = {
  sessions: 'TYPE_INTEGER',
  totalUsers: 'TYPE_INTEGER',
  newUsers: 'TYPE_INTEGER',
  keyEvents: 'TYPE_INTEGER',
  purchaseRevenue: 'TYPE_CURRENCY',
};

export interface Ga4ServiceOptions {
  world: Ga4World;
  tokens: GoogleTokenAuthority;
  faults: GoogleFaultBoard;
}

interface RunReportBody {
  dateRanges?: { startDate?: string; endDate?: string }[];
  dimensions?: { name?: string }[];
  metrics?: { name?: string }[];
  limit?: string | number;
  offset?: string | number;
  returnPropertyQuota?: boolean;
}

const googleError = (code: number, status: string, message: string): SandboxReply => ({
  status: code,
  json: { error: { code, message, status } },
});

export function ga4Routes(o: Ga4ServiceOptions): SandboxRoute[] {
  const gate = (req: SandboxRequest): SandboxReply | null => {
    const auth = o.tokens.check(req.headers.authorization, GOOGLE_SCOPES.analytics);
    if (auth === 'expired' || auth === 'invalid' || auth === 'missing') {
      return googleError(
        401,
        'UNAUTHENTICATED',
        'Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project.',
      );
    }
    if (auth === 'insufficient_scope')
      return googleError(403, 'PERMISSION_DENIED', 'Request had insufficient authentication scopes.');
    const rate = o.faults.take('rate_limit', (f) => f.target === 'any' || f.target === 'ga4');
    if (rate) {
      const message =
        rate.ga4Quota === 'tokens_per_hour'
          ? 'Exhausted property tokens per hour for a project per property. These quota tokens will return in under an hour. To learn more, see https://developers.google.com/analytics/devguides/reporting/data/v1/quotas'
          : rate.ga4Quota === 'tokens_per_day'
            ? 'Exhausted property tokens per day. These quota tokens will return tomorrow. To learn more, see https://developers.google.com/analytics/devguides/reporting/data/v1/quotas'
            : 'Exhausted concurrent requests quota. To learn more, see https://developers.google.com/analytics/devguides/reporting/data/v1/quotas';
      return googleError(429, 'RESOURCE_EXHAUSTED', message);
    }
    const server = o.faults.take('server_error', (f) => f.target === 'any' || f.target === 'ga4');
    if (server)
      return server.status === 503
        ? googleError(503, 'UNAVAILABLE', 'The service is currently unavailable.')
        : googleError(500, 'INTERNAL', 'Internal error encountered.');
    return null;
  };

  const denied = (propertyId: string) =>
    googleError(
      403,
      'PERMISSION_DENIED',
      `User does not have sufficient permissions for this property. To learn more about Property ID, see https://developers.google.com/analytics/devguides/reporting/data/v1/property-id. (property ${propertyId})`,
    );

  const runReport = (req: SandboxRequest): SandboxReply => {
    const blocked = gate(req);
    if (blocked) return blocked;
    const propertyId = req.params[0]!;
    const property = o.world.property(propertyId);
    if (!property || o.faults.peek('permission_denied', (f) => f.target === 'any' || f.target === 'ga4'))
      return denied(propertyId);
    const timeout = o.faults.take('timeout', (f) => f.target === 'any' || f.target === 'ga4');
    if (timeout) return { hangMs: timeout.hangMs };
    const body = (req.body ?? {}) as RunReportBody;
    const range = body.dateRanges?.[0];
    if (!range?.startDate || !range.endDate || !isDay(range.startDate) || !isDay(range.endDate)) {
      return googleError(
        400,
        'INVALID_ARGUMENT',
        'dateRanges: a date range with startDate and endDate (YYYY-MM-DD) is required.',
      );
    }
    const dims = (body.dimensions ?? []).map((d) => d.name ?? '');
    const metrics = (body.metrics ?? []).map((m) => m.name ?? '');
    if (dims.length > 9 || metrics.length > 10)
      return googleError(400, 'INVALID_ARGUMENT', 'Requests are limited to 9 dimensions and 10 metrics.');
    for (const d of dims)
      if (!(d in DIMENSIONS))
        return googleError(
          400,
          'INVALID_ARGUMENT',
          `Field ${d} is not a valid dimension. For a list of valid dimensions and metrics, see https://developers.google.com/analytics/devguides/reporting/data/v1/api-schema`,
        );
    for (const m of metrics) {
      const renamed = o.faults.peek('renamed_metric', (f) => f.from === m);
      if (!(m in METRIC_TYPES) || renamed) {
        return googleError(
          400,
          'INVALID_ARGUMENT',
          `Field ${m} is not a valid metric. For a list of valid dimensions and metrics, see https://developers.google.com/analytics/devguides/reporting/data/v1/api-schema${renamed ? ` (did you mean ${renamed.to}?)` : ''}`,
        );
      }
    }
    const limit = Number(body.limit ?? 10_000);
    const offset = Number(body.offset ?? 0);
    if (!Number.isInteger(limit) || limit < 1 || limit > 250_000 || !Number.isInteger(offset) || offset < 0)
      return googleError(400, 'INVALID_ARGUMENT', 'limit must be in [1, 250000] and offset non-negative.');

    const groups = aggregateGa4(o.world, property, range.startDate, range.endDate, dims as DimensionName[]);
    const removed = new Set(
      o.faults
        .list()
        .filter((f) => f.kind === 'removed_metric')
        .map((f) => (f as { field: string }).field),
    );
    const servedMetrics = metrics.filter((m) => !removed.has(m));
    const newMetrics = o.faults.list().filter((f) => f.kind === 'new_metric') as { name: string; value: string }[];
    const page = groups.slice(offset, offset + limit);
    const rows = page.map((g) => ({
      dimensionValues: g.dims.map((value) => ({ value })),
      metricValues: [
        ...servedMetrics.map((m) => ({
          value:
            m === 'purchaseRevenue'
              ? formatScaled(g.t.purchaseRevenueMinor, property.currencyExponent)
              : String(g.t[m as Exclude<MetricName, 'purchaseRevenue'>]),
        })),
        ...newMetrics.map((n) => ({ value: n.value })),
      ],
    }));
    const response: Record<string, unknown> = {
      dimensionHeaders: dims.map((name) => ({ name })),
      metricHeaders: [
        ...servedMetrics.map((name) => ({ name, type: METRIC_TYPES[name as MetricName] })),
        ...newMetrics.map((n) => ({ name: n.name, type: 'TYPE_FLOAT' })),
      ],
      ...(rows.length ? { rows } : {}),
      ...(groups.length ? { rowCount: groups.length } : {}),
      metadata: { currencyCode: property.currency, timeZone: property.timeZone },
      ...(body.returnPropertyQuota
        ? {
            propertyQuota: {
              tokensPerDay: { consumed: 12, remaining: 199_870 },
              tokensPerHour: { consumed: 12, remaining: 39_950 },
              concurrentRequests: { consumed: 0, remaining: 10 },
            },
          }
        : {}),
      kind: 'analyticsData#runReport',
    };
    const pageNumber = Math.floor(offset / limit);
    if (o.faults.take('malformed_page', (f) => (f.target === 'any' || f.target === 'ga4') && f.page === pageNumber)) {
      const text = JSON.stringify(response);
      return {
        status: 200,
        text: text.slice(0, Math.floor(text.length / 2)),
        contentType: 'application/json; charset=UTF-8',
      };
    }
    return { status: 200, json: response };
  };

  const accountSummaries = (req: SandboxRequest): SandboxReply => {
    const blocked = gate(req);
    if (blocked) return blocked;
    const accounts = new Map<
      string,
      { name: string; account: string; displayName: string; propertySummaries: unknown[] }
    >();
    const visible = o.faults.peek('permission_denied', (f) => f.target === 'any' || f.target === 'ga4')
      ? []
      : o.world.properties;
    for (const p of visible) {
      const a = accounts.get(p.accountId) ?? {
        name: `accountSummaries/${p.accountId}`,
        account: `accounts/${p.accountId}`,
        displayName: p.accountName,
        propertySummaries: [],
      };
      a.propertySummaries.push({
        property: `properties/${p.id}`,
        displayName: p.name,
        propertyType: 'PROPERTY_TYPE_ORDINARY',
        parent: `accounts/${p.accountId}`,
      });
      accounts.set(p.accountId, a);
    }
    return { status: 200, json: accounts.size ? { accountSummaries: [...accounts.values()] } : {} };
  };

  const getProperty = (req: SandboxRequest): SandboxReply => {
    const blocked = gate(req);
    if (blocked) return blocked;
    const p = o.world.property(req.params[0]!);
    if (!p || o.faults.peek('permission_denied', (f) => f.target === 'any' || f.target === 'ga4'))
      return googleError(403, 'PERMISSION_DENIED', 'The caller does not have permission');
    return {
      status: 200,
      json: {
        name: `properties/${p.id}`,
        propertyType: 'PROPERTY_TYPE_ORDINARY',
        parent: `accounts/${p.accountId}`,
        displayName: p.name,
        timeZone: p.timeZone,
        currencyCode: p.currency,
        serviceLevel: 'GOOGLE_ANALYTICS_STANDARD',
        account: `accounts/${p.accountId}`,
      },
    };
  };

  return [
    { name: 'ga4.runReport', method: 'POST', path: /^\/v1beta\/properties\/(\d+):runReport$/, handle: runReport },
    { name: 'ga4.accountSummaries', method: 'GET', path: /^\/v1beta\/accountSummaries$/, handle: accountSummaries },
    { name: 'ga4.getProperty', method: 'GET', path: /^\/v1beta\/properties\/(\d+)$/, handle: getProperty },
  ];
}

export interface Ga4Group {
  dims: string[];
  day: string;
  channel: Ga4Channel;
  t: Ga4Day;
}

/** Rows by the requested dimensions, summed over channels that share them, in date then dimension order. */
export function aggregateGa4(
  world: Ga4World,
  property: Ga4Property,
  start: string,
  end: string,
  dims: DimensionName[],
): Ga4Group[] {
  const groups = new Map<string, Ga4Group>();
  for (const day of eachDay(start, end)) {
    for (const channel of property.channels) {
      const t = world.day(property, channel, day);
      if (!t) continue;
      const values = dims.map((d) => DIMENSIONS[d](channel, day));
      const key = `${day}\u0000${values.join('\u0000')}`;
      const g = groups.get(key);
      if (!g) {
        groups.set(key, { dims: values, day, channel, t: { ...t } });
      } else {
        g.t.sessions += t.sessions;
        g.t.totalUsers += t.totalUsers;
        g.t.newUsers += t.newUsers;
        g.t.keyEvents += t.keyEvents;
        g.t.purchaseRevenueMinor += t.purchaseRevenueMinor;
      }
    }
  }
  return [...groups.values()];
}
