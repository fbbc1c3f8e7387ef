// Google Ads API v{N} REST as the sandbox serves it (../../../../shared/PLATFORMS.md §1):
// `googleAds:searchStream` answers a JSON array of batches with lowerCamelCase keys, int64 as strings and
// doubles as numbers; errors are arrays too, carrying a GoogleAdsFailure; statuses follow gRPC.
// `customers:listAccessibleCustomers` lists what the demo login sees. GAQL is parsed just far enough for
// the reports Tributary asks for; anything else is refused the way Google refuses it.
import type { AdWorld, WorldAccount } from '../base/ad-world';
import { isDay } from '../base/days';
import { formatScaled } from '../base/scaled';
import type { SandboxReply, SandboxRequest, SandboxRoute } from '../base/sandbox-server';
import type { GoogleFaultBoard } from './google-faults';
import { GOOGLE_SCOPES, type GoogleTokenAuthority } from './google-oauth';

type Level = 'customer' | 'campaign' | 'ad_group' | 'ad_group_ad';

const ATTRIBUTE_FIELDS: Record<Level, readonly string[]> = {
  customer: ['customer.id', 'customer.descriptive_name', 'customer.currency_code', 'customer.time_zone'],
  campaign: [
    'campaign.id',
    'campaign.name',
    'campaign.status',
    'campaign.advertising_channel_type',
    'campaign.resource_name',
  ],
  ad_group: [
    'campaign.id',
    'campaign.name',
    'campaign.status',
    'ad_group.id',
    'ad_group.name',
    'ad_group.resource_name',
  ],
  ad_group_ad: [
    'campaign.id',
    'campaign.name',
    'ad_group.id',
    'ad_group.name',
    'ad_group_ad.ad.id',
    'ad_group_ad.ad.name',
    'ad_group_ad.resource_name',
  ],
};
const METRIC_FIELDS = [
  'metrics.impressions',
  'metrics.clicks',
  'metrics.cost_micros',
  'metrics.conversions',
  'metrics.conversions_value',
  'metrics.ctr',
  'metrics.average_cpc',
] as const;
const SEGMENT_FIELDS = ['segments.date', 'segments.day_of_week'] as const;

export interface GaqlQuery {
  fields: string[];
  level: Level;
  start?: string;
  end?: string;
}

class GaqlError extends Error {
  constructor(
    readonly errorCode: Record<string, string>,
    message: string,
    readonly trigger?: string,
  ) {
    super(message);
  }
}

export function parseGaql(query: string): GaqlQuery {
  const m =
    /^\s*SELECT\s+([\s\S]+?)\s+FROM\s+(\w+)(?:\s+WHERE\s+([\s\S]+?))?(?:\s+ORDER\s+BY\s+[\s\S]+?)?(?:\s+LIMIT\s+\d+)?\s*$/i.exec(
      query,
    );
  if (!m) throw new GaqlError({ queryError: 'UNEXPECTED_END_OF_QUERY' }, 'Error in query: unexpected end of query.');
  const level = m[2]!.toLowerCase() as Level;
  if (!(level in ATTRIBUTE_FIELDS))
    throw new GaqlError(
      { queryError: 'INVALID_RESOURCE_NAME' },
      `Error in FROM clause: invalid resource name '${m[2]}'.`,
      m[2],
    );
  const fields = m[1]!.split(',').map((f) => f.trim());
  const allowed = new Set<string>([
    ...ATTRIBUTE_FIELDS[level],
    ...(level === 'customer' ? [] : ATTRIBUTE_FIELDS.customer),
    ...METRIC_FIELDS,
    ...SEGMENT_FIELDS,
  ]);
  for (const f of fields) {
    if (!allowed.has(f))
      throw new GaqlError(
        { queryError: 'UNRECOGNIZED_FIELD' },
        `Error in SELECT clause: unrecognized field '${f}'.`,
        f,
      );
  }
  const out: GaqlQuery = { fields, level };
  const where = m[3] ?? '';
  const between = /segments\.date\s+BETWEEN\s+'([^']+)'\s+AND\s+'([^']+)'/i.exec(where);
  const ge = /segments\.date\s+>=\s+'([^']+)'/i.exec(where);
  const le = /segments\.date\s+<=\s+'([^']+)'/i.exec(where);
  const start = between?.[1] ?? ge?.[1];
  const end = between?.[2] ?? le?.[1];
  if (start !== undefined || end !== undefined) {
    if (!start || !end || !isDay(start) || !isDay(end))
      throw new GaqlError(
        { queryError: 'INVALID_VALUE_WITH_DURING_OPERATOR' },
        'Error in WHERE clause: invalid date range.',
      );
    out.start = start;
    out.end = end;
  }
  if (fields.includes('segments.date') && !out.start) {
    throw new GaqlError(
      { queryError: 'EXPECTED_FILTERS_ON_DATE_RANGE' },
      "Error in query: a finite date range is required when 'segments.date' is selected.",
    );
  }
  return out;
}

/** snake_case GAQL path → the REST JSON path, e.g. metrics.cost_micros → metrics.costMicros */
export function restPath(field: string): string[] {
  return field.split('.').map((part) => part.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase()));
}

/** Sums of integers of minor units: far below 2^53 for any row, so plain numbers are exact. */
interface Totals {
  impressions: number;
  clicks: number;
  costMinor: number;
  conversionsCentis: number;
  valueMinor: number;
}

export interface AdsRow {
  account: WorldAccount;
  day: string | null;
  campaign?: { id: string; name: string; status: string; channel: string };
  adGroup?: { id: string; name: string };
  ad?: { id: string; name: string };
  t: Totals;
}

const zero = (): Totals => ({ impressions: 0, clicks: 0, costMinor: 0, conversionsCentis: 0, valueMinor: 0 });

/** Rows at the query's level, summed from the ads' daily delivery, in date then id order. */
export function aggregateRows(world: AdWorld, account: WorldAccount, q: GaqlQuery): AdsRow[] {
  if (!q.start || !q.end) {
    if (q.level === 'customer') return [{ account, day: null, t: zero() }];
  }
  const byDay = q.fields.includes('segments.date') || q.fields.includes('segments.day_of_week');
  const rows = new Map<string, AdsRow>();
  for (const d of world.deliveries(account.id, q.start ?? world.today, q.end ?? world.today)) {
    const day = byDay ? d.day : null;
    const key =
      q.level === 'customer'
        ? `${day}`
        : q.level === 'campaign'
          ? `${day}|${d.campaign.id}`
          : q.level === 'ad_group'
            ? `${day}|${d.adGroup.id}`
            : `${day}|${d.ad.id}`;
    let row = rows.get(key);
    if (!row) {
      row = {
        account,
        day,
        ...(q.level !== 'customer'
          ? {
              campaign: {
                id: d.campaign.id,
                name: d.campaign.name,
                status: d.campaign.status,
                channel: d.campaign.channel,
              },
            }
          : {}),
        ...(q.level === 'ad_group' || q.level === 'ad_group_ad'
          ? { adGroup: { id: d.adGroup.id, name: d.adGroup.name } }
          : {}),
        ...(q.level === 'ad_group_ad' ? { ad: { id: d.ad.id, name: d.ad.name } } : {}),
        t: zero(),
      };
      rows.set(key, row);
    }
    row.t.impressions += d.m.impressions;
    row.t.clicks += d.m.clicks;
    row.t.costMinor += d.m.costMinor;
    row.t.conversionsCentis += d.m.conversionsCentis;
    row.t.valueMinor += d.m.conversionValueMinor;
  }
  return [...rows.values()];
}

export function costMicros(account: WorldAccount, costMinor: bigint): bigint {
  return costMinor * 10n ** BigInt(6 - account.currencyExponent);
}

const WEEKDAYS = ['MONDAY', 'TUESDAY', 'WEDNESDAY', 'THURSDAY', 'FRIDAY', 'SATURDAY', 'SUNDAY'];

function fieldValue(row: AdsRow, field: string): unknown {
  const a = row.account;
  switch (field) {
    case 'customer.id':
      return a.id;
    case 'customer.descriptive_name':
      return a.name;
    case 'customer.currency_code':
      return a.currency;
    case 'customer.time_zone':
      return a.timeZone;
    case 'campaign.id':
      return row.campaign!.id;
    case 'campaign.name':
      return row.campaign!.name;
    case 'campaign.status':
      return row.campaign!.status;
    case 'campaign.advertising_channel_type':
      return row.campaign!.channel;
    case 'campaign.resource_name':
      return `customers/${a.id}/campaigns/${row.campaign!.id}`;
    case 'ad_group.id':
      return row.adGroup!.id;
    case 'ad_group.name':
      return row.adGroup!.name;
    case 'ad_group.resource_name':
      return `customers/${a.id}/adGroups/${row.adGroup!.id}`;
    case 'ad_group_ad.ad.id':
      return row.ad!.id;
    case 'ad_group_ad.ad.name':
      return row.ad!.name;
    case 'ad_group_ad.resource_name':
      return `customers/${a.id}/adGroupAds/${row.adGroup!.id}~${row.ad!.id}`;
    case 'segments.date':
      return row.day;
    case 'segments.day_of_week':
      return WEEKDAYS[(new Date(`${row.day}T00:00:00Z`).getUTCDay() + 6) % 7];
    case 'metrics.impressions':
      return String(row.t.impressions);
    case 'metrics.clicks':
      return String(row.t.clicks);
    case 'metrics.cost_micros':
      return String(row.t.costMinor * 10 ** (6 - a.currencyExponent));
    case 'metrics.conversions':
      return Number(formatScaled(row.t.conversionsCentis, 2));
    case 'metrics.conversions_value':
      return Number(formatScaled(row.t.valueMinor, a.currencyExponent));
    case 'metrics.ctr':
      return row.t.impressions ? row.t.clicks / row.t.impressions : 0;
    case 'metrics.average_cpc':
      return row.t.clicks ? (row.t.costMinor * 10 ** (6 - a.currencyExponent)) / row.t.clicks : 0;
    default:
      return undefined;
  }
}

function setPath(target: Record<string, unknown>, path: string[], value: unknown) {
  let node = target;
  for (let i = 0; i < path.length - 1; i++) node = (node[path[i]!] ??= {}) as Record<string, unknown>;
  node[path[path.length - 1]!] = value;
}

export interface GoogleAdsServiceOptions {
  world: AdWorld;
  tokens: GoogleTokenAuthority;
  faults: GoogleFaultBoard;
  /** rows per streamed batch; Google uses up to 10,000 */
  batchSize: number;
}

export function googleAdsRoutes(o: GoogleAdsServiceOptions): SandboxRoute[] {
  let requestSerial = 0;
  const requestId = () => `sbx${(++requestSerial).toString(36).padStart(6, '0')}Rq`;

  const failure = (
    status: number,
    grpcStatus: string,
    message: string,
    errors: { errorCode: Record<string, unknown>; message: string; details?: unknown; trigger?: string }[],
  ): SandboxReply => {
    const id = requestId();
    const body = [
      {
        error: {
          code: status,
          message,
          status: grpcStatus,
          ...(errors.length
            ? {
                details: [
                  {
                    '@type': 'type.googleapis.com/google.ads.googleads.v25.errors.GoogleAdsFailure',
                    errors: errors.map((e) => ({
                      errorCode: e.errorCode,
                      message: e.message,
                      ...(e.trigger ? { trigger: { stringValue: e.trigger } } : {}),
                      ...(e.details ? { details: e.details } : {}),
                    })),
                    requestId: id,
                  },
                ],
              }
            : {}),
        },
      },
    ];
    return { status, json: body, headers: { 'request-id': id } };
  };

  /** auth, injected faults and account access, shared by both endpoints; null means go ahead */
  const gate = (req: SandboxRequest, customerId?: string): SandboxReply | null => {
    const auth = o.tokens.check(req.headers.authorization, GOOGLE_SCOPES.ads);
    if (auth === 'expired')
      return failure(
        401,
        'UNAUTHENTICATED',
        'Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential.',
        [{ errorCode: { authenticationError: 'OAUTH_TOKEN_EXPIRED' }, message: 'The OAuth access token is expired.' }],
      );
    if (auth === 'invalid' || auth === 'missing')
      return failure(
        401,
        'UNAUTHENTICATED',
        'Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential.',
        [
          {
            errorCode: { authenticationError: auth === 'missing' ? 'NOT_ADS_USER' : 'OAUTH_TOKEN_REVOKED' },
            message: auth === 'missing' ? 'Missing access token.' : 'The OAuth access token is revoked.',
          },
        ],
      );
    if (auth === 'insufficient_scope')
      return failure(403, 'PERMISSION_DENIED', 'Request had insufficient authentication scopes.', [
        {
          errorCode: { authorizationError: 'ACTION_NOT_PERMITTED' },
          message: 'The OAuth scope does not include Google Ads.',
        },
      ]);
    if (!req.headers['developer-token'])
      return failure(400, 'INVALID_ARGUMENT', 'Request contains an invalid argument.', [
        {
          errorCode: { authenticationError: 'DEVELOPER_TOKEN_PARAMETER_MISSING' },
          message: 'Developer token parameter is missing.',
        },
      ]);
    const rate = o.faults.take('rate_limit', (f) => f.target === 'any' || f.target === 'google_ads');
    if (rate) {
      return failure(429, 'RESOURCE_EXHAUSTED', 'Resource has been exhausted (e.g. check quota).', [
        {
          errorCode: { quotaError: 'RESOURCE_TEMPORARILY_EXHAUSTED' },
          message: `Too many requests. Retry in ${rate.retryDelaySeconds} seconds.`,
          details: {
            quotaErrorDetails: {
              rateScope: 'DEVELOPER',
              rateName: 'Number of operations for basic access',
              retryDelay: `${rate.retryDelaySeconds}s`,
            },
          },
        },
      ]);
    }
    const server = o.faults.take('server_error', (f) => f.target === 'any' || f.target === 'google_ads');
    if (server)
      return failure(
        server.status,
        server.status === 503 ? 'UNAVAILABLE' : 'INTERNAL',
        server.status === 503 ? 'The service is currently unavailable.' : 'Internal error encountered.',
        server.status === 503
          ? []
          : [{ errorCode: { internalError: 'INTERNAL_ERROR' }, message: 'An internal error has occurred.' }],
      );
    if (customerId !== undefined) {
      const denied = o.faults.peek('permission_denied', (f) => f.target === 'any' || f.target === 'google_ads');
      if (denied || !o.world.account(customerId)) {
        return failure(403, 'PERMISSION_DENIED', 'The caller does not have permission', [
          {
            errorCode: { authorizationError: 'USER_PERMISSION_DENIED' },
            message:
              "User doesn't have permission to access customer. Note: If you're accessing a client customer, the manager's customer id must be set in the 'login-customer-id' header.",
          },
        ]);
      }
    }
    return null;
  };

  const searchStream = async (req: SandboxRequest): Promise<SandboxReply> => {
    const customerId = req.params[1]!;
    const blocked = gate(req, customerId);
    if (blocked) return blocked;
    const timeout = o.faults.take('timeout', (f) => f.target === 'any' || f.target === 'google_ads');
    if (timeout) return { hangMs: timeout.hangMs };
    const query = (req.body as { query?: unknown } | undefined)?.query;
    if (typeof query !== 'string')
      return failure(400, 'INVALID_ARGUMENT', 'Request contains an invalid argument.', [
        { errorCode: { queryError: 'UNEXPECTED_END_OF_QUERY' }, message: 'Query is missing.' },
      ]);
    let q: GaqlQuery;
    try {
      q = parseGaql(query);
      for (const f of q.fields) {
        const renamed = o.faults.peek('renamed_metric', (r) => r.from === restPath(f).join('.') || r.from === f);
        if (renamed)
          throw new GaqlError(
            { queryError: 'UNRECOGNIZED_FIELD' },
            `Error in SELECT clause: unrecognized field '${f}'.`,
            f,
          );
      }
    } catch (err) {
      if (err instanceof GaqlError)
        return failure(400, 'INVALID_ARGUMENT', 'Request contains an invalid argument.', [
          { errorCode: err.errorCode, message: err.message, ...(err.trigger ? { trigger: err.trigger } : {}) },
        ]);
      throw err;
    }
    const account = o.world.account(customerId)!;
    const rows = aggregateRows(o.world, account, q);
    const removed = new Set(
      o.faults
        .list()
        .filter((f) => f.kind === 'removed_metric')
        .map((f) => (f as { field: string }).field),
    );
    const newMetrics = o.faults.list().filter((f) => f.kind === 'new_metric') as { name: string; value: string }[];
    const fieldMask = q.fields.map((f) => restPath(f).join('.')).join(',');
    // each column's REST path (a regex per field) resolved once per query, not once per row
    const columns = q.fields
      .filter((f) => !removed.has(restPath(f).join('.')) && !removed.has(f))
      .map((f) => ({ path: restPath(f), value: (row: AdsRow) => fieldValue(row, f) }));
    const toResult = (row: AdsRow) => {
      const out: Record<string, unknown> = {};
      for (const c of columns) setPath(out, c.path, c.value(row));
      for (const m of newMetrics) setPath(out, ['metrics', m.name], m.value);
      return out;
    };
    const batchCount = Math.max(1, Math.ceil(rows.length / o.batchSize));
    const malformed = o.faults.take(
      'malformed_page',
      (f) => (f.target === 'any' || f.target === 'google_ads') && f.page < batchCount,
    );
    const id = requestId();
    return {
      // batch by batch, as Google streams them: each is built and sent in its own turn of the event loop,
      // so a client reads the first batch while later ones are produced (and other requests get served)
      write: async (res) => {
        res.writeHead(200, { 'content-type': 'application/json; charset=UTF-8', 'request-id': id });
        res.write('[');
        for (let n = 0; n < batchCount; n++) {
          if (malformed && n > malformed.page) break;
          if (n > 0) await new Promise<void>((resolve) => setImmediate(resolve));
          if (res.destroyed) return; // the client went away
          const batch = rows.slice(n * o.batchSize, (n + 1) * o.batchSize).map(toResult);
          const last = n === batchCount - 1;
          const body = JSON.stringify({
            ...(batch.length ? { results: batch } : {}),
            fieldMask,
            requestId: id,
            ...(last ? { queryResourceConsumption: String(50 + batch.length) } : {}),
          });
          // a page cut off mid-JSON, as a dropped proxy leaves it
          if (
            !res.write(
              (n ? ',' : '') + (malformed && n === malformed.page ? body.slice(0, Math.floor(body.length / 2)) : body),
            )
          ) {
            await new Promise<void>((resolve) => {
              const done = () => {
                res.off('drain', done);
                res.off('close', done);
                resolve();
              };
              res.on('drain', done);
              res.on('close', done);
            });
          }
        }
        res.end(malformed ? '' : ']');
      },
    };
  };

  const listAccessible = (req: SandboxRequest): SandboxReply => {
    const blocked = gate(req);
    if (blocked) return blocked;
    return { status: 200, json: { resourceNames: o.world.accounts.map((a) => `customers/${a.id}`) } };
  };

  return [
    {
      name: 'google_ads.searchStream',
      method: 'POST',
      path: /^\/(v\d+)\/customers\/(\d+)\/googleAds:searchStream$/,
      handle: searchStream,
    },
    {
      name: 'google_ads.listAccessibleCustomers',
      method: 'GET',
      path: /^\/(v\d+)\/customers:listAccessibleCustomers$/,
      handle: listAccessible,
    },
  ];
}
