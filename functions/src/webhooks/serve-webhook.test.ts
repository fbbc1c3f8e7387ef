// Seam: the public webhook endpoint through real HTTP (the local runner's webhook server) against a real
// migrated PostgreSQL: keys, signed URLs, scope, rate limits, access logs, caching and fuzzed query strings.
import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorEnvelopeSchema } from '@tributary/shared/http/error-envelope';
import { loadFacts } from '@tributary/shared/facts/fact-loader';
import { addDays, syntheticFacts } from '@tributary/shared/facts/synthetic-facts';
import { seedDataSource, type SeededSource } from '@tributary/shared/testing/seed';
import { createTestDatabase, type TestDatabase } from '@tributary/shared/testing/test-database';
import { mintSignedUrl } from './webhook-keys';
import { createWebhook, revokeWebhook, rotateWebhookKey, getWebhookRow, type WebhookInput } from './webhook.repository';
import { startWebhookServer, type WebhookServer } from './webhook-server';

const START = '2026-06-01';
const DAYS = 5;
const secret = randomBytes(32);
let tdb: TestDatabase;
let src: SeededSource;
let otherSourceId: string;
let server: WebhookServer;

async function admin<T extends pg.QueryResultRow>(text: string, values: unknown[] = []): Promise<T[]> {
  const c = new pg.Client({ connectionString: tdb.adminUrl });
  await c.connect();
  try {
    return (await c.query<T>(text, values)).rows;
  } finally {
    await c.end();
  }
}

const defaults: WebhookInput = {
  name: 'hook',
  allowedDataSources: [],
  scope: { filters: [] },
  outputFormat: 'json',
  rateLimitPerHour: 1000,
  expiresAt: null,
};
async function newWebhook(input: Partial<WebhookInput>) {
  return tdb.db.transaction({ orgId: src.organizationId }, (trx) =>
    createWebhook(
      trx,
      { organizationId: src.organizationId, projectId: src.projectId, userId: null },
      { ...defaults, name: `hook-${randomBytes(4).toString('hex')}`, ...input },
    ),
  );
}
const get = (path: string, headers: Record<string, string> = {}) => fetch(`${server.url}${path}`, { headers });
const range = `start_date=${START}&end_date=${addDays(START, DAYS - 1)}`;

beforeAll(async () => {
  tdb = await createTestDatabase();
  src = await seedDataSource(tdb.adminUrl, { platform: 'google_ads' });
  const [cred] = await admin<{ id: string }>(
    `INSERT INTO credentials (organization_id, project_id, platform, credential_type, label, secret_ref, key_id) VALUES ($1, $2, 'meta_ads', 'oauth2', 'm', 'r', 'k') RETURNING id`,
    [src.organizationId, src.projectId],
  );
  [{ id: otherSourceId }] = (await admin<{ id: string }>(
    `INSERT INTO data_sources (organization_id, project_id, credential_id, platform, source_name, extraction_config, schedule_config) VALUES ($1, $2, $3, 'meta_ads', 'meta', '{}', '{}') RETURNING id`,
    [src.organizationId, src.projectId, cred!.id],
  )) as [{ id: string }];
  const facts = () => [...syntheticFacts({ days: DAYS, rowsPerDay: 20, startDate: START })].flat();
  await loadFacts(
    tdb.db,
    {
      organizationId: src.organizationId,
      projectId: src.projectId,
      dataSourceId: src.dataSourceId,
      platform: 'google_ads',
    },
    facts(),
  );
  await loadFacts(
    tdb.db,
    { organizationId: src.organizationId, projectId: src.projectId, dataSourceId: otherSourceId, platform: 'meta_ads' },
    facts(),
  );
  for (let d = 0; d < DAYS; d++)
    await admin(`INSERT INTO fx_rates (rate_date, base_currency, quote_currency, rate) VALUES ($1, 'EUR', 'USD', $2)`, [
      addDays(START, d),
      (1.1 + d / 100).toFixed(4),
    ]);
  server = await startWebhookServer({ db: tdb.db, signingSecret: secret });
});
afterAll(async () => {
  await server?.close();
  await tdb?.drop();
});

describe('webhook endpoint', () => {
  it('when asked for a converted summary, its totals agree with a direct SQL sum to the cent', async () => {
    const { key } = await newWebhook({});
    for (const filter of [
      '',
      '&filter=campaign_name:contains:brand',
      '&platform=meta_ads',
      '&filter=account_id:in:100001|100002',
    ]) {
      const res = await get(
        `/webhook/v1/${key}/summary?${range}&dimensions=&metrics=cost,revenue,clicks&currency=USD${filter}`,
      );
      expect(res.status).toBe(200);
      const body = (await res.json()) as { rows: { cost: number; revenue: number; clicks: number }[] };
      const extra = filter.includes('brand')
        ? `AND f.campaign_name ILIKE '%brand%'`
        : filter.includes('meta')
          ? `AND f.platform = 'meta_ads'`
          : filter.includes('account_id')
            ? `AND f.account_id IN ('100001', '100002')`
            : '';
      const [expected] = await admin<{ cost: string; revenue: string; clicks: string }>(
        `SELECT round(sum(f.cost * CASE WHEN f.currency = 'USD' THEN 1 ELSE r.rate END), 2)::text AS cost,
                round(sum(f.revenue * CASE WHEN f.currency = 'USD' THEN 1 ELSE r.rate END), 2)::text AS revenue, sum(f.clicks)::text AS clicks
         FROM extracted_data f LEFT JOIN fx_rates r ON r.rate_date = f.data_date AND r.base_currency = f.currency AND r.quote_currency = 'USD'
         WHERE f.project_id = $1 ${extra}`,
        [src.projectId],
      );
      expect(body.rows[0]!.cost.toFixed(2), filter).toBe(expected!.cost);
      expect(body.rows[0]!.revenue.toFixed(2), filter).toBe(expected!.revenue);
      expect(String(body.rows[0]!.clicks), filter).toBe(expected!.clicks);
    }
  });

  it("when a webhook is scoped to one data source, no URL gets another source's rows", async () => {
    const { key } = await newWebhook({
      allowedDataSources: [src.dataSourceId],
      scope: { filters: [{ field: 'cost', op: 'gte', value: 0 }] },
    });
    for (const q of [
      '',
      `&data_source=${otherSourceId}`,
      `&data_source=${otherSourceId},${src.dataSourceId}`,
      '&platform=meta_ads',
      '&platform=google_ads,meta_ads',
    ]) {
      const res = await get(
        `/webhook/v1/${key}/data?${range}&aggregate=total&dimensions=data_source,platform&format=json${q}`,
      );
      expect(res.status).toBe(200);
      const body = (await res.json()) as { rows: { data_source_id: string; platform: string }[] };
      for (const r of body.rows) {
        expect(r.data_source_id).toBe(src.dataSourceId);
        expect(r.platform).toBe('google_ads');
      }
    }
  });

  it('when the key is unknown, revoked, expired or rotated away, or a signed URL is altered or expired, it answers the same 401', async () => {
    const rotated = await newWebhook({});
    const revoked = await newWebhook({});
    const expired = await newWebhook({ expiresAt: new Date(Date.now() + 60_000) });
    const signedHook = await newWebhook({});
    const row = await tdb.db.transaction({ orgId: src.organizationId }, (trx) =>
      getWebhookRow(trx, src.projectId, signedHook.webhook.id),
    );
    const signed = mintSignedUrl(
      server.url,
      secret,
      row,
      'summary',
      { start_date: START, end_date: START, format: 'csv' },
      new Date(Date.now() + 600_000),
    );
    expect((await fetch(signed)).status).toBe(200);

    await tdb.db.transaction({ orgId: src.organizationId }, async (trx) => {
      await rotateWebhookKey(trx, src.projectId, rotated.webhook.id);
      await revokeWebhook(trx, src.projectId, revoked.webhook.id);
    });
    await admin(`UPDATE webhook_configs SET expires_at = now() - interval '1 second' WHERE id = $1`, [
      expired.webhook.id,
    ]);
    const pastSigned = mintSignedUrl(
      server.url,
      secret,
      row,
      'summary',
      { start_date: START },
      new Date(Date.now() - 1000),
    );

    const refusals = [
      await get(`/webhook/v1/twk_${'A'.repeat(43)}/data`),
      await get(`/webhook/v1/not-a-key/data`),
      await get(`/webhook/v1/${rotated.key}/data`),
      await get(`/webhook/v1/${revoked.key}/data`),
      await get(`/webhook/v1/${expired.key}/data`),
      await fetch(signed.replace(`end_date=${START}`, `end_date=${addDays(START, 3)}`)),
      await fetch(signed.replace(/exp=\d+/, (m) => `exp=${Number(m.slice(4)) + 1000}`)),
      await fetch(signed.replace(/&sig=[^&]+/, '')),
      await fetch(pastSigned),
    ];
    const bodies = [];
    for (const res of refusals) {
      expect(res.status).toBe(401);
      const env = ErrorEnvelopeSchema.parse(await res.json());
      expect(env.error.code).toBe('AUTHENTICATION_REQUIRED');
      bodies.push(env.error.message);
    }
    expect(new Set(bodies).size).toBe(1);

    // rotation voids URLs signed before it
    await tdb.db.transaction({ orgId: src.organizationId }, (trx) =>
      rotateWebhookKey(trx, src.projectId, signedHook.webhook.id),
    );
    expect((await fetch(signed)).status).toBe(401);
  });

  it('when the hourly limit is used up, it answers 429 with Retry-After and the rate-limit headers', async () => {
    const { key } = await newWebhook({ rateLimitPerHour: 2 });
    const first = await get(`/webhook/v1/${key}/summary?${range}`);
    expect(first.headers.get('x-ratelimit-limit')).toBe('2');
    expect(first.headers.get('x-ratelimit-remaining')).toBe('1');
    await first.arrayBuffer();
    await (await get(`/webhook/v1/${key}/summary?${range}`)).arrayBuffer();
    const third = await get(`/webhook/v1/${key}/summary?${range}`);
    expect(third.status).toBe(429);
    expect(Number(third.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(third.headers.get('x-ratelimit-remaining')).toBe('0');
    expect(ErrorEnvelopeSchema.parse(await third.json()).error.code).toBe('RATE_LIMIT_EXCEEDED');
  });

  it('when a query runs past its statement timeout, it answers 503 with Retry-After and says how to ask for less', async () => {
    const { key } = await newWebhook({});
    const impatient = await startWebhookServer({ db: tdb.db, signingSecret: secret, statementTimeoutMs: 300 });
    // a migration holding the fact table: the query waits on the lock until its timeout stops it
    const holder = new pg.Client({ connectionString: tdb.adminUrl });
    await holder.connect();
    try {
      await holder.query('BEGIN');
      await holder.query('LOCK TABLE facts IN ACCESS EXCLUSIVE MODE');
      const res = await fetch(`${impatient.url}/webhook/v1/${key}/data?${range}`);
      expect(res.status).toBe(503);
      expect(res.headers.get('retry-after')).toBe('30');
      const { error } = ErrorEnvelopeSchema.parse(await res.json());
      expect(error).toMatchObject({ code: 'SERVICE_UNAVAILABLE', details: { reason: 'statement_timeout' } });
      expect(error.message).toMatch(/fewer days/);
    } finally {
      await holder.query('ROLLBACK');
      await holder.end();
      await impatient.close();
    }
    // and the next request is served as usual
    expect((await get(`/webhook/v1/${key}/data?${range}`)).status).toBe(200);
  });

  it('when requests are served, each writes an access log without the key or the signature', async () => {
    const hook = await newWebhook({});
    const row = await tdb.db.transaction({ orgId: src.organizationId }, (trx) =>
      getWebhookRow(trx, src.projectId, hook.webhook.id),
    );
    await (
      await get(`/webhook/v1/${hook.key}/summary?${range}`, { 'user-agent': 'Microsoft.Data.Mashup' })
    ).arrayBuffer();
    const signed = mintSignedUrl(
      server.url,
      secret,
      row,
      'summary',
      { start_date: START },
      new Date(Date.now() + 60_000),
    );
    await (await fetch(signed)).arrayBuffer();
    const logs = await admin<{
      request_path: string;
      request_params: Record<string, unknown>;
      response_status: number;
      response_size: string;
      user_agent: string;
    }>(
      `SELECT request_path, request_params, response_status, response_size, user_agent FROM api_access_logs WHERE webhook_config_id = $1 ORDER BY id`,
      [hook.webhook.id],
    );
    expect(logs).toHaveLength(2);
    expect(logs[0]).toMatchObject({ response_status: 200, user_agent: 'Microsoft.Data.Mashup' });
    expect(Number(logs[0]!.response_size)).toBeGreaterThan(0);
    const sig = new URL(signed).searchParams.get('sig')!;
    const text = JSON.stringify(logs);
    expect(text).not.toContain(hook.key);
    expect(text).not.toContain(sig);
    expect(text).not.toContain('"sig"');
  });

  it('when parameters hold NUL or a broken character, the webhook and the feed answer 4xx or 200 and each request is logged', async () => {
    // PostgreSQL's jsonb refuses \u0000 and lone surrogates: found by the reliability fuzz (issue 20)
    const hook = await newWebhook({});
    const asked = [
      `/webhook/v1/${hook.key}/data?${range}&x=%00`,
      `/webhook/v1/${hook.key}/summary?${range}&filter=campaign:eq:a%00b`,
      `/webhook/v1/${hook.key}/data?${range}&${'%00'.repeat(3)}=${'\ud83d\ude00'.repeat(250)}`,
      `/odata/v1/${hook.key}/Facts?$filter=CampaignName%20eq%20'%00'`,
      `/odata/v1/${hook.key}/Facts?$top=1&x=%00`,
    ];
    for (const path of asked) {
      const res = await get(path);
      expect(res.status, path).toBeLessThan(500);
      await res.arrayBuffer();
    }
    const logs = await admin<{ request_params: Record<string, unknown>; response_status: number }>(
      `SELECT request_params, response_status FROM api_access_logs WHERE webhook_config_id = $1 ORDER BY id`,
      [hook.webhook.id],
    );
    expect(logs).toHaveLength(asked.length);
    expect(logs.every((l) => l.response_status !== null && l.response_status < 500)).toBe(true);
  });

  it('when the ETag still matches, it answers 304 without a body', async () => {
    const { key } = await newWebhook({});
    const first = await get(`/webhook/v1/${key}/data?${range}&format=csv`);
    await first.arrayBuffer();
    const etag = first.headers.get('etag')!;
    expect(first.headers.get('cache-control')).toContain('no-cache');
    const again = await get(`/webhook/v1/${key}/data?${range}&format=csv`, { 'if-none-match': etag });
    expect(again.status).toBe(304);
  });

  it('when the format comes from Accept, it follows it; metrics lists fields with units', async () => {
    const { key } = await newWebhook({});
    const csv = await get(`/webhook/v1/${key}/summary?${range}`, { accept: 'text/csv' });
    expect(csv.headers.get('content-type')).toContain('text/csv');
    expect((await csv.text()).split('\r\n')[0]).toBe('Platform,Currency,Impressions,Clicks,Cost,Conversions,Revenue');
    const metrics = (await (await get(`/webhook/v1/${key}/metrics`)).json()) as {
      fields: { id: string; unit: string }[];
    };
    expect(metrics.fields.find((f) => f.id === 'cpc')?.unit).toBe('currency');
    expect(metrics.fields.some((f) => f.id === 'extra_metric.video_views')).toBe(true);
  });

  it('when query strings are fuzzed, it never answers 5xx and every error is in the standard format', async () => {
    const { key } = await newWebhook({});
    const names = [
      'platform',
      'data_source',
      'start_date',
      'end_date',
      'date_range',
      'metrics',
      'dimensions',
      'aggregate',
      'currency',
      'sort',
      'limit',
      'cursor',
      'filter',
      'format',
      'bom',
      'exp',
      'sig',
      'x',
    ];
    const values = fc.oneof(
      fc.string({ maxLength: 40 }),
      fc.constantFrom(
        'last_30_days',
        '2026-06-01',
        '2026-13-45',
        'cost,clicks',
        'ctr,extra_metric.video_views',
        'date,campaign,extra.x',
        'total',
        'none',
        'EUR',
        'native',
        '-cost',
        'cost:gte:1',
        'campaign_name:contains:%_',
        'platform:in:google_ads|meta_ads',
        'xlsx',
        'html',
        'xml',
        '1',
        '0',
        '99999999999',
      ),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(fc.constantFrom(...names), values), { maxLength: 6 }),
        fc.constantFrom('data', 'summary', 'metrics'),
        async (pairs, endpoint) => {
          const qs = new URLSearchParams(pairs).toString();
          const res = await get(`/webhook/v1/${key}/${endpoint}?${qs}`);
          expect(res.status, qs).toBeLessThan(500);
          if (res.status >= 400) expect(ErrorEnvelopeSchema.safeParse(await res.json()).success, qs).toBe(true);
          else await res.arrayBuffer();
        },
      ),
      { numRuns: 60 },
    );
  });
});
