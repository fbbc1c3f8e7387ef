// Reliability figure (issue 20): generated requests (fast-check, seeded) over every route of the management API
// (enumerated from the OpenAPI document: its path, query and body parameters, valid-ish and hostile values),
// the webhook endpoints and the OData feed, through real HTTP against the local API server and the webhook
// server on a real embedded PostgreSQL, with two tenants, data, a webhook and a signed URL.
//  - responses with a 5xx status (501 NOT_IMPLEMENTED, the declared answer for an unbuilt connector, aside): goal 0
//  - error responses outside the standard envelope (OData's in OData's format): goal 0
// Scale: BENCH_FUZZ_RUNS (10,000), BENCH_FUZZ_SEED; `--quick` runs 500.
import fc from 'fast-check';
import pg from 'pg';
import { loadFacts } from '@tributary/shared/facts/fact-loader';
import { syntheticFacts } from '@tributary/shared/facts/synthetic-facts';
import { buildOpenApiDocument } from '../../functions/src/openapi';
import { startApiRig } from '../api-rig';
import type { BenchSuite } from '../harness';

const QUICK = process.argv.includes('--quick');
const RUNS = Number(process.env.BENCH_FUZZ_RUNS ?? (QUICK ? 500 : 10_000));
const SEED = Number(process.env.BENCH_FUZZ_SEED ?? 20_2026);
const CONCURRENCY = 4;
const START = '2026-09-01';
const DAYS = 60;

// ---- values --------------------------------------------------------------------------------------------
const HOSTILE = [
  '',
  ' ',
  "'",
  '"',
  '\\',
  "' OR '1'='1",
  '1; DROP TABLE users;--',
  '%',
  '%25',
  '%00',
  '\u0000',
  'a\u0000b',
  '\u202e',
  '\ud800',
  '../../../etc/passwd',
  'x'.repeat(5000),
  '𝕳𝖊𝖑𝖑𝖔 🦄',
  '=HYPERLINK("http://x")',
  '<script>alert(1)</script>',
  'null',
  'undefined',
  'NaN',
  'Infinity',
  '-1',
  '0',
  '1e309',
  '9'.repeat(40),
  '-9'.repeat(20),
  '2024-02-31',
  '0000-00-00',
  '{}',
  '[]',
  ',,,',
  '::',
  'a:b:c:d',
  '*',
  '$',
  '\n\r',
  'true',
  '00000000-0000-0000-0000-000000000000',
  'ffffffff-ffff-ffff-ffff-ffffffffffff',
  '12345678-1234-1234-1234-1234567890ab',
];
const hostileString = fc.constantFrom(...HOSTILE);
const anyString = fc.oneof(hostileString, fc.string({ maxLength: 40 }), fc.string({ unit: 'grapheme', maxLength: 20 }));
const DATES = [
  '2026-09-01',
  '2026-09-15',
  '2026-10-31',
  '2026-11-01',
  '2026-11-22',
  '2026-01-01',
  '2025-12-31',
  '2024-02-29',
  '2024-02-31',
  '2026-13-01',
  '1900-01-01',
  '9999-12-31',
  '0001-01-01',
  '2026-9-1',
  '20260901',
  'today',
  'yesterday',
  '2026-09-01T00:00:00Z',
];
const dateValue = fc.oneof(
  { arbitrary: fc.constantFrom(...DATES), weight: 5 },
  {
    arbitrary: fc
      .date({ min: new Date('1970-01-01'), max: new Date('2100-01-01'), noInvalidDate: true })
      .map((d) => d.toISOString().slice(0, 10)),
    weight: 2,
  },
  { arbitrary: anyString, weight: 1 },
);
const PLATFORMS = [
  'google_ads',
  'meta_ads',
  'ga4',
  'instagram',
  'shopify',
  'amazon_ads',
  'metricool',
  'klaviyo',
  'tiktok',
  'GOOGLE_ADS',
];
const METRICS = [
  'cost',
  'clicks',
  'impressions',
  'conversions',
  'revenue',
  'ctr',
  'cpc',
  'cpm',
  'roas',
  'cpa',
  'conversion_rate',
  'extra.video_views',
  'extra.',
  'bogus',
];
const DIMENSIONS = [
  'date',
  'week',
  'month',
  'platform',
  'account',
  'campaign',
  'ad_group',
  'ad',
  'data_source',
  'extra.network',
  'extra.',
  'extra.a b',
  'bogus',
];
const FIELDS = [...METRICS, ...DIMENSIONS, 'campaign_name', 'account_id'];
const OPS = ['eq', 'neq', 'in', 'gte', 'lte', 'between', 'contains', 'like', ''];
const list = (values: string[]) =>
  fc.oneof(
    { arbitrary: fc.subarray(values, { minLength: 1 }).map((v) => v.join(',')), weight: 4 },
    { arbitrary: anyString, weight: 1 },
  );
const filterValue = fc
  .tuple(
    fc.constantFrom(...FIELDS),
    fc.constantFrom(...OPS),
    fc.oneof(
      fc.constantFrom('Campaign 1', '10', '1|5', '2026-09-01|2026-09-30', 'a|b|c', '%', '_', "o'hara"),
      anyString,
    ),
  )
  .map(([f, o, v]) => `${f}:${o}:${v}`);
const intValue = fc.oneof(
  fc.integer({ min: -5, max: 300 }).map(String),
  fc.constantFrom('0', '1', '1000000', '2147483648', '1.5', 'abc', '1e3', ''),
);

/** query parameters the data API and the webhook share, by name: valid-ish values, sometimes hostile */
const KNOWN: Record<string, fc.Arbitrary<string>> = {
  platform: list(PLATFORMS),
  start_date: dateValue,
  end_date: dateValue,
  window_start: dateValue,
  window_end: dateValue,
  date_range: fc.oneof(
    fc.constantFrom(
      'last_7_days',
      'last_30_days',
      'last_90_days',
      'this_month',
      'last_month',
      'yesterday',
      'today',
      'this_year',
      'all_time',
      'last_-1_days',
    ),
    anyString,
  ),
  metrics: list(METRICS),
  dimensions: list(DIMENSIONS),
  aggregate: fc.oneof(fc.constantFrom('none', 'daily', 'weekly', 'monthly', 'total', 'hourly'), anyString),
  aggregation: fc.oneof(fc.constantFrom('none', 'daily', 'weekly', 'monthly', 'total'), anyString),
  filter: filterValue,
  currency: fc.oneof(fc.constantFrom('EUR', 'USD', 'GBP', 'native', 'XXX', 'eur'), anyString),
  sort: fc.oneof(
    fc.constantFrom('-cost', 'cost', 'campaign', 'date', '-date', '-bogus', '--cost', 'cost,-clicks'),
    anyString,
  ),
  limit: intValue,
  offset: intValue,
  page: intValue,
  page_size: intValue,
  format: fc.oneof(fc.constantFrom('csv', 'tsv', 'json', 'ndjson', 'xml', 'xlsx', 'html', 'pdf', 'CSV'), anyString),
  bom: fc.constantFrom('1', '0', 'true', 'yes', ''),
};

// ---- JSON bodies from the document's schemas -----------------------------------------------------------
type Schema = Record<string, any>;

function fromSchema(
  schema: Schema | undefined,
  components: Record<string, Schema>,
  name = '',
  depth = 0,
): fc.Arbitrary<unknown> {
  if (!schema || depth > 6) return fc.constant({});
  if (schema.$ref) return fromSchema(components[String(schema.$ref).split('/').pop()!], components, name, depth + 1);
  const hostile = fc.oneof(
    hostileString,
    fc.constantFrom(null, -1, 0, 1e308, 2 ** 53, true, [], {}, [[]], { a: { b: {} } }, 'x'.repeat(100_000)),
  );
  const alts = schema.anyOf ?? schema.oneOf;
  let valid: fc.Arbitrary<unknown>;
  if (alts) valid = fc.oneof(...(alts as Schema[]).map((s) => fromSchema(s, components, name, depth + 1)));
  else if (schema.enum) valid = fc.constantFrom(...(schema.enum as unknown[]));
  else {
    const type = Array.isArray(schema.type) ? schema.type[0] : schema.type;
    if (type === 'string') {
      if (KNOWN[name]) valid = KNOWN[name]!;
      else if (schema.format === 'uuid') valid = fc.oneof(fc.uuid(), fc.constant('__ref__'));
      else if (schema.format === 'email')
        valid = fc.oneof(
          fc.emailAddress(),
          fc.constantFrom('fuzz-b@example.com', 'FUZZ-A@example.com', 'a@b', '@', 'x@example.com\n'),
        );
      else if (schema.format === 'date-time')
        valid = fc.oneof(
          fc
            .date({ min: new Date('2000-01-01'), max: new Date('2200-01-01'), noInvalidDate: true })
            .map((d) => d.toISOString()),
          fc.constantFrom('2026-02-31T00:00:00Z', '2026-12-01T00:00:00+25:00'),
        );
      else if (schema.pattern === '^\\d{4}-\\d{2}-\\d{2}$') valid = dateValue;
      else if (schema.pattern === '^[A-Z]{3}$') valid = fc.constantFrom('EUR', 'USD', 'JPY', 'XXX', 'ZZZ');
      else valid = fc.string({ minLength: schema.minLength ?? 0, maxLength: Math.min(schema.maxLength ?? 40, 40) });
    } else if (type === 'integer' || type === 'number') {
      const min = schema.minimum ?? -1000;
      const max = schema.maximum ?? 1_000_000;
      valid =
        type === 'integer'
          ? fc.integer({ min: Math.max(min, -(2 ** 31)), max: Math.min(max, 2 ** 31) })
          : fc.double({ min, max, noNaN: true });
    } else if (type === 'boolean') valid = fc.boolean();
    else if (type === 'null') valid = fc.constant(null);
    else if (type === 'array')
      valid = fc.array(fromSchema(schema.items, components, name, depth + 1), { maxLength: 4 });
    else if (type === 'object' || schema.properties) {
      const props = Object.entries<Schema>(schema.properties ?? {});
      const required = new Set<string>(schema.required ?? []);
      const entries = props.map(([k, s]) =>
        fc.option(
          fromSchema(s, components, k, depth + 1).map((v) => [k, v] as const),
          { freq: required.has(k) ? 12 : 2, nil: undefined },
        ),
      );
      const extra =
        schema.additionalProperties && typeof schema.additionalProperties === 'object'
          ? fc.dictionary(
              fc.oneof(
                fc.constantFrom('refreshToken', 'accessToken', 'apiKey', 'format', 'date_range', 'a'),
                fc.string({ maxLength: 12 }),
              ),
              fromSchema(schema.additionalProperties, components, '', depth + 1),
              { maxKeys: 3 },
            )
          : fc.constant({});
      valid = fc
        .tuple(
          fc.tuple(...entries),
          extra,
          fc.option(fc.dictionary(fc.string({ maxLength: 8 }), hostile, { maxKeys: 2 }), { freq: 8 }),
        )
        .map(([es, more, junk]) => ({
          ...Object.fromEntries(es.filter((e): e is readonly [string, unknown] => e !== undefined)),
          ...more,
          ...(junk ?? {}),
        }));
    } else valid = fc.jsonValue({ maxDepth: 2 });
  }
  return depth === 0 ? valid : fc.oneof({ arbitrary: valid, weight: 9 }, { arbitrary: hostile, weight: 1 });
}

// ---- requests ------------------------------------------------------------------------------------------
/** a path parameter: an id of the right kind from the pools (resolved when sent), a random uuid, or hostile */
type Param = { ref: string; n: number } | { literal: string };
interface ApiRequest {
  kind: 'api';
  operation: string;
  method: string;
  path: string;
  params: Record<string, Param>;
  query: [string, string][];
  body?: { json: unknown } | { raw: string; contentType: string };
  auth: 'a' | 'b' | 'none' | 'garbage';
}
interface HookRequest {
  kind: 'webhook' | 'odata';
  method: string;
  key: Param;
  resource: string;
  query: [string, string][];
  headers: Record<string, string>;
}
type FuzzRequest = ApiRequest | HookRequest;

const paramValue = (name: string): fc.Arbitrary<Param> =>
  fc.oneof(
    { arbitrary: fc.nat().map((n) => ({ ref: name, n })), weight: 8 },
    { arbitrary: fc.uuid().map((u) => ({ literal: u })), weight: 2 },
    {
      arbitrary: fc
        .oneof(hostileString, fc.constantFrom('%E0%A4%A', '%2F', '..', '%2e%2e', 'twk_x', 'me', '1'))
        .map((s) => ({ literal: s })),
      weight: 1,
    },
  );

function apiRequests(doc: Schema): fc.Arbitrary<FuzzRequest> {
  const components = (doc.components?.schemas ?? {}) as Record<string, Schema>;
  const operations: fc.Arbitrary<FuzzRequest>[] = [];
  for (const [path, ops] of Object.entries<Schema>(doc.paths)) {
    for (const [method, op] of Object.entries<Schema>(ops)) {
      const params = (op.parameters ?? []) as Schema[];
      const pathParams = params
        .filter((p) => p.in === 'path')
        .map((p) => paramValue(p.name).map((v) => [p.name as string, v] as const));
      const queryParams = params
        .filter((p) => p.in === 'query')
        .map((p) =>
          fc.option(
            (KNOWN[p.name] ?? fc.oneof(fromSchema(p.schema, components, p.name).map(String), anyString)).map(
              (v) => [p.name as string, v] as [string, string],
            ),
            { freq: 2, nil: undefined },
          ),
        );
      const bodySchema = op.requestBody?.content?.['application/json']?.schema as Schema | undefined;
      const body: fc.Arbitrary<ApiRequest['body']> = bodySchema
        ? fc.oneof(
            { arbitrary: fromSchema(bodySchema, components).map((json) => ({ json })), weight: 12 },
            {
              arbitrary: fc
                .constantFrom('', '{', 'null', '[]', '"x"', '{"a":', '\u0000', '{"name":"x"}')
                .map((raw) => ({ raw, contentType: 'application/json' })),
              weight: 1,
            },
            {
              arbitrary: fc
                .tuple(
                  fc.constantFrom('name=x', '<x/>', 'null'),
                  fc.constantFrom('text/plain', 'application/x-www-form-urlencoded', 'application/xml'),
                )
                .map(([raw, contentType]) => ({ raw, contentType })),
              weight: 1,
            },
            { arbitrary: fc.constant(undefined), weight: 1 },
          )
        : fc.option(
            fc.jsonValue({ maxDepth: 1 }).map((json) => ({ json })),
            { freq: 8, nil: undefined },
          );
      operations.push(
        fc
          .record({
            params: fc.tuple(...pathParams).map((ps) => Object.fromEntries(ps)),
            query: fc
              .tuple(
                fc.tuple(...queryParams),
                fc.array(
                  fc.tuple(
                    fc.oneof(
                      fc.constantFrom('filter', 'metrics', 'x', '__proto__', 'constructor'),
                      fc.string({ maxLength: 6 }),
                    ),
                    anyString,
                  ),
                  { maxLength: 2 },
                ),
              )
              .map(([qs, extra]) => [...qs.filter((q): q is [string, string] => q !== undefined), ...extra]),
            body,
            auth: fc.constantFrom<ApiRequest['auth'][]>('a', 'a', 'a', 'a', 'a', 'a', 'a', 'b', 'none', 'garbage'),
          })
          .map((r) => ({ kind: 'api', operation: String(op.operationId), method: method.toUpperCase(), path, ...r })),
      );
    }
  }
  return fc.oneof(...operations);
}

const hookQuery = fc.array(
  fc.oneof(
    ...Object.entries(KNOWN).map(([k, v]) => v.map((value) => [k, value] as [string, string])),
    fc.tuple(fc.constantFrom('data_source', 'exp', 'sig', 'key', 'x'), anyString),
  ),
  { maxLength: 6 },
);
const ODATA_FILTERS = [
  'Date ge 2026-09-01 and Date lt 2026-10-01',
  "Platform eq 'google_ads'",
  "contains(CampaignName,'1')",
  'Cost gt 10 or Clicks le 3',
  "not (Platform eq 'x')",
  "Platform in ('google_ads','meta_ads')",
  "startswith(CampaignName,'C')",
  'Date eq 2024-02-31',
  'Cost gt',
  '((((',
  'Cost add 1 gt 2',
  "CampaignName eq 'o''hara'",
  "endswith(CampaignName,'x') and Date ge 2026-09-01",
  'Bogus eq 1',
  'Date ge 9999-12-31',
  'Cost gt 1e309',
  "'a' eq 'a'",
];
const odataQuery = fc.array(
  fc.oneof(
    fc.tuple(fc.constant('$filter'), fc.oneof(fc.constantFrom(...ODATA_FILTERS), anyString)),
    fc.tuple(
      fc.constant('$select'),
      fc.oneof(
        fc.subarray(['Date', 'Platform', 'CampaignName', 'Cost', 'Clicks', 'Bogus', '*']).map((v) => v.join(',')),
        anyString,
      ),
    ),
    fc.tuple(
      fc.constant('$orderby'),
      fc.oneof(fc.constantFrom('Date desc', 'Cost', 'Cost asc,Date desc', 'Bogus', 'Date sideways'), anyString),
    ),
    fc.tuple(fc.constantFrom('$top', '$skip', '$skiptoken'), intValue),
    fc.tuple(fc.constant('$count'), fc.constantFrom('true', 'false', 'maybe')),
    fc.tuple(
      fc.constant('$apply'),
      fc.oneof(
        fc.constantFrom(
          'groupby((Platform,Date),aggregate(Cost with sum as Cost))',
          'filter(Cost gt 1)/groupby((Platform))',
          'aggregate(Cost with sum as Total)',
          'groupby((Bogus))',
          'groupby((',
        ),
        anyString,
      ),
    ),
    fc.tuple(fc.constantFrom('$format', '$expand', '$search', 'key', '$foo'), anyString),
  ),
  { maxLength: 4 },
);

const hookRequests: fc.Arbitrary<FuzzRequest> = fc.oneof(
  fc.record({
    kind: fc.constant('webhook' as const),
    method: fc.constantFrom('GET', 'GET', 'GET', 'GET', 'HEAD', 'POST', 'DELETE'),
    key: fc.oneof(
      { arbitrary: fc.nat().map((n) => ({ ref: 'webhook_key', n })), weight: 6 },
      {
        arbitrary: fc
          .oneof(
            hostileString,
            fc.constantFrom('twk_' + 'a'.repeat(43), 'tws_00000000-0000-0000-0000-000000000000', 'tws_x'),
          )
          .map((s) => ({ literal: s })),
        weight: 1,
      },
    ),
    resource: fc.constantFrom('data', 'data', 'summary', 'summary', 'metrics', 'data/', 'bogus', 'data/x'),
    query: hookQuery,
    headers: fc.record(
      {
        accept: fc.constantFrom(
          'text/csv',
          'application/json',
          '*/*',
          'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
          'x/y',
        ),
        'if-none-match': fc.constantFrom('*', '"abc"', 'W/"x"', ''),
      },
      { requiredKeys: [] },
    ),
  }),
  fc.record({
    kind: fc.constant('odata' as const),
    method: fc.constantFrom('GET', 'GET', 'GET', 'HEAD', 'POST'),
    key: fc.oneof(
      { arbitrary: fc.nat().map((n) => ({ ref: 'webhook_key', n })), weight: 6 },
      { arbitrary: hostileString.map((s) => ({ literal: s })), weight: 1 },
    ),
    resource: fc.constantFrom(
      '',
      '$metadata',
      'Facts',
      'Facts',
      'Facts',
      'Restatements',
      'Freshness',
      'Facts(1)',
      'Facts/$count',
      'Bogus',
      '$batch',
      'Facts/',
    ),
    query: odataQuery,
    headers: fc.record(
      {
        accept: fc.constantFrom('application/json', 'application/xml', 'application/json;odata.metadata=full', '*/*'),
        'if-none-match': fc.constantFrom('*', '"abc"'),
      },
      { requiredKeys: [] },
    ),
  }),
);

// ---- checks --------------------------------------------------------------------------------------------
/** encodeURIComponent, with a lone surrogate (which it refuses) sent as U+FFFD */
const encode = (s: string) => {
  try {
    return encodeURIComponent(s);
  } catch {
    return encodeURIComponent(s.replace(/[\ud800-\udfff]/g, '\ufffd'));
  }
};
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
function envelopeProblem(kind: FuzzRequest['kind'], text: string): string | null {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return `not JSON: ${text.slice(0, 120)}`;
  }
  const error = isObject(body) ? body.error : undefined;
  if (!isObject(error)) return 'no error object';
  if (typeof error.code !== 'string' || typeof error.message !== 'string') return 'error without code or message';
  // OData's format: code, message, optional target, details as an array; ours: details an object
  if (kind === 'odata')
    return error.details === undefined || Array.isArray(error.details) ? null : 'OData error details not an array';
  if (!isObject(error.details) || typeof error.request_id !== 'string' || typeof error.timestamp !== 'string')
    return 'missing details, request_id or timestamp';
  return null;
}

const suite: BenchSuite = {
  name: 'reliability-fuzz',
  async run({ adminUrl, log }) {
    const rig = await startApiRig(adminUrl, 'bench_fuzz');
    const admin = new pg.Client({ connectionString: rig.scratch.adminUrl });
    await admin.connect();
    try {
      // two tenants; A's project has facts, a webhook and a signed URL
      const a = await rig.signUp('fuzz-a@example.com');
      const b = await rig.signUp('fuzz-b@example.com');
      const tokens = { a: a.token, b: b.token };
      const project = (await rig.api('POST', '/api/v1/projects', a.token, { name: 'Fuzz A' })).body as { id: string };
      const projectB = (await rig.api('POST', '/api/v1/projects', b.token, { name: 'Fuzz B' })).body as { id: string };
      const credential = (
        await admin.query(
          `INSERT INTO credentials (organization_id, project_id, platform, credential_type, label, secret_ref, key_id) VALUES ($1, $2, 'google_ads', 'oauth2', 'fuzz', 'fuzz-ref', 'fuzz-key') RETURNING id`,
          [a.orgId, project.id],
        )
      ).rows[0].id as string;
      const source = (
        await admin.query(
          `INSERT INTO data_sources (organization_id, project_id, credential_id, platform, source_name, extraction_config, schedule_config) VALUES ($1, $2, $3, 'google_ads', 'fuzz source', '{"account_id":"1234567890","report_types":["campaign_daily"]}', '{}') RETURNING id`,
          [a.orgId, project.id, credential],
        )
      ).rows[0].id as string;
      await loadFacts(
        rig.scratch.db,
        { organizationId: a.orgId, projectId: project.id, dataSourceId: source, platform: 'google_ads' },
        syntheticFacts({ days: DAYS, rowsPerDay: 40, startDate: START }),
      );
      const hook = (
        await rig.api('POST', `/api/v1/projects/${project.id}/webhooks`, a.token, {
          name: 'fuzz',
          rate_limit_per_hour: 100_000,
        })
      ).body as { webhook: { id: string }; key: string };
      const signed = (
        await rig.api('POST', `/api/v1/projects/${project.id}/webhooks/${hook.webhook.id}/signed-urls`, a.token, {
          endpoint: 'data',
          query: { format: 'csv', date_range: 'last_30_days' },
        })
      ).body as { url: string };
      const invite = await rig.api('POST', `/api/v1/organizations/${a.orgId}/members`, a.token, {
        email: 'invitee@example.com',
        role: 'viewer',
      });
      const invitationId =
        (invite.body as { invitation?: { id: string }; id?: string })?.invitation?.id ??
        (invite.body as { id?: string })?.id;
      const signedToken = new URL(signed.url).pathname.split('/')[3]!;
      const signedQuery = [...new URL(signed.url).searchParams];

      // ids by path parameter: the first of each is kept (never deleted, rotated or revoked); what the fuzz creates is
      // added
      const keep: Record<string, string[]> = {
        project_id: [project.id, projectB.id],
        organization_id: [a.orgId, b.orgId],
        user_id: [b.userId, a.userId],
        source_id: [source],
        credential_id: [credential],
        webhook_id: [hook.webhook.id],
        invitation_id: invitationId ? [invitationId] : [],
        platform: PLATFORMS,
        webhook_key: [hook.key, signedToken],
      };
      const spare: Record<string, string[]> = {};
      const destructive = (r: ApiRequest) =>
        r.method === 'DELETE' || /\/(revoke|rotate)$/.test(r.path) || r.operation === 'updateMember';
      const resolve = (p: Param, destroy: boolean): string => {
        if ('literal' in p) return p.literal;
        const pool = destroy ? (spare[p.ref] ?? []) : [...(keep[p.ref] ?? []), ...(spare[p.ref] ?? [])];
        return pool.length ? pool[p.n % pool.length]! : '00000000-0000-4000-8000-000000000000';
      };
      const remember = (r: ApiRequest, body: unknown) => {
        const created = isObject(body) ? (isObject(body.webhook) ? body.webhook : body) : undefined;
        const id = created && typeof created.id === 'string' ? created.id : undefined;
        if (!id || r.method !== 'POST') return;
        const kind = r.path.endsWith('/projects')
          ? 'project_id'
          : r.path.endsWith('/credentials')
            ? 'credential_id'
            : r.path.endsWith('/data-sources')
              ? 'source_id'
              : r.path.endsWith('/webhooks')
                ? 'webhook_id'
                : r.path.endsWith('/members')
                  ? 'invitation_id'
                  : undefined;
        if (kind) (spare[kind] ??= []).push(id);
        if (isObject(body) && typeof body.key === 'string') (spare.webhook_key ??= []).push(body.key);
      };

      const doc = buildOpenApiDocument() as Schema;
      const operations = Object.values<Schema>(doc.paths).reduce((n, ops) => n + Object.keys(ops).length, 0);
      const arbitrary = fc.oneof({ arbitrary: apiRequests(doc), weight: 3 }, { arbitrary: hookRequests, weight: 1 });
      const requests = fc.sample(arbitrary, { numRuns: RUNS, seed: SEED });
      log(
        `fuzz: ${RUNS} requests (seed ${SEED}) over ${operations} API operations, the webhook endpoints and the OData feed`,
      );

      const byStatus = new Map<number, number>();
      const serverErrors = new Map<string, { count: number; sample: string }>();
      const badEnvelopes = new Map<string, { count: number; sample: string }>();
      let errors = 0;
      let declined501 = 0;
      const note = (into: Map<string, { count: number; sample: string }>, key: string, sample: string) => {
        const seen = into.get(key);
        if (seen) seen.count++;
        else into.set(key, { count: 1, sample });
      };
      const send = async (r: FuzzRequest, index: number) => {
        let url: string;
        let init: RequestInit;
        let label: string;
        if (r.kind === 'api') {
          const destroy = destructive(r);
          const params: Record<string, string> = {};
          for (const [k, v] of Object.entries(r.params)) params[k] = resolve(v, destroy);
          const target = new URL(
            r.path.replace(/\{(\w+)\}/g, (_, n: string) => encode(params[n] ?? 'x')),
            rig.apiUrl,
          );
          for (const [k, v] of r.query) target.searchParams.append(k, v);
          const headers: Record<string, string> = {};
          if (r.auth === 'a' || r.auth === 'b') headers.authorization = `Bearer ${tokens[r.auth]}`;
          if (r.auth === 'garbage')
            headers.authorization = fc.sample(
              fc.constantFrom(
                'Bearer x',
                'Bearer ',
                'Basic Zm9vOmJhcg==',
                `Bearer ${tokens.a}x`,
                'bearer ' + tokens.a.split('.').slice(0, 2).join('.') + '.',
              ),
              { numRuns: 1, seed: index },
            )[0]!;
          let body: string | undefined;
          if (r.body && r.method !== 'GET') {
            if ('json' in r.body) {
              headers['content-type'] = 'application/json';
              body = JSON.stringify(r.body.json) ?? 'null';
            } else {
              headers['content-type'] = r.body.contentType;
              body = r.body.raw;
            }
          }
          url = target.toString();
          init = { method: r.method, headers, body, redirect: 'manual' };
          label = `${r.method} ${r.path}`;
        } else {
          const key = resolve(r.key, false);
          const signedKey = key.startsWith('tws_');
          const base =
            r.kind === 'webhook'
              ? `/webhook/v1/${encode(key)}/${r.resource}`
              : `/odata/v1/${encode(key)}/${r.resource}`;
          const target = new URL(base, rig.webhookUrl);
          if (signedKey && index % 2 === 0) for (const [k, v] of signedQuery) target.searchParams.append(k, v);
          for (const [k, v] of r.query) target.searchParams.append(k, v);
          url = target.toString();
          init = { method: r.method, headers: r.headers };
          label =
            r.kind === 'webhook'
              ? `${r.method} /webhook/v1/{key}/${r.resource}`
              : `${r.method} /odata/v1/{key}/${r.resource}`;
        }
        let res: Response;
        let text: string;
        try {
          res = await fetch(url, init);
          text = await res.text();
        } catch (error) {
          note(serverErrors, `${label} connection failed`, `${init.method} ${url.slice(0, 300)}: ${String(error)}`);
          byStatus.set(0, (byStatus.get(0) ?? 0) + 1);
          return;
        }
        byStatus.set(res.status, (byStatus.get(res.status) ?? 0) + 1);
        let parsed: unknown;
        try {
          parsed = JSON.parse(text);
        } catch {
          parsed = undefined;
        }
        if (r.kind === 'api' && res.status < 300) remember(r, parsed);
        if (res.status >= 400) {
          errors++;
          const code = isObject(parsed) && isObject(parsed.error) ? String(parsed.error.code) : '';
          if (res.status === 501 && code === 'NOT_IMPLEMENTED') declined501++;
          else if (res.status >= 500)
            note(
              serverErrors,
              `${label} ${res.status} ${code}`,
              `#${index} ${init.method} ${url.slice(0, 400)} ${typeof init.body === 'string' ? init.body.slice(0, 300) : ''} -> ${text.slice(0, 300)}`,
            );
          if (init.method !== 'HEAD') {
            const problem = envelopeProblem(r.kind, text);
            if (problem)
              note(
                badEnvelopes,
                `${label} ${res.status}: ${problem}`,
                `#${index} ${init.method} ${url.slice(0, 300)} -> ${text.slice(0, 200)}`,
              );
          }
        }
      };

      let next = 0;
      const worker = async () => {
        while (next < requests.length) {
          const i = next++;
          await send(requests[i]!, i);
          if (i > 0 && i % 1000 === 0) {
            log(`fuzz: ${i} requests sent`);
            // a generated sign-out or password change may have ended A's or B's session: sign in again
            for (const [who, email] of [
              ['a', 'fuzz-a@example.com'],
              ['b', 'fuzz-b@example.com'],
            ] as const) {
              if ((await rig.api('GET', '/api/v1/auth/profile', tokens[who])).status === 401) {
                const login = await rig.api('POST', '/api/v1/auth/login', undefined, {
                  email,
                  password: 'Correct-Horse-9-battery',
                });
                if (login.status === 200) tokens[who] = (login.body as { access_token: string }).access_token;
              }
            }
          }
        }
      };
      await Promise.all(Array.from({ length: CONCURRENCY }, worker));
      log(
        `fuzz: statuses ${JSON.stringify(Object.fromEntries([...byStatus].sort((x, y) => x[0] - y[0])))}; 501 NOT_IMPLEMENTED (unbuilt connectors) ${declined501}`,
      );
      for (const [key, { count, sample }] of serverErrors) log(`fuzz 5xx x${count}: ${key}\n    e.g. ${sample}`);
      for (const [key, { count, sample }] of badEnvelopes) log(`fuzz envelope x${count}: ${key}\n    e.g. ${sample}`);
      for (const error of rig.webhookServerErrors.slice(0, 5))
        log(`webhook server error: ${error instanceof Error ? error.stack : String(error)}`);
      const fivexx = [...serverErrors.values()].reduce((n, e) => n + e.count, 0);
      const outside = [...badEnvelopes.values()].reduce((n, e) => n + e.count, 0);
      return [
        {
          figure: `fuzz: 5xx answers to ${RUNS} generated requests (${operations} API operations, webhook, OData; seed ${SEED})`,
          ours: fivexx,
          baseline: RUNS,
          unit: 'responses',
          ratio: fivexx / RUNS,
          goal: '0 (ratio 0)',
        },
        {
          figure: `fuzz: error answers outside the standard envelope (OData's format on the feed), of ${errors} errors`,
          ours: outside,
          baseline: errors,
          unit: 'responses',
          ratio: errors ? outside / errors : 0,
          goal: '0 (ratio 0)',
        },
      ];
    } finally {
      await admin.end();
      await rig.stop();
    }
  },
};
export default suite;
