// Seam: issue 7 end to end through real HTTP, as the local runner wires it: the management API server
// (infra/local/api-server.ts, same handlers as the Lambdas, Cognito tokens from cognito-local) for the data
// API and webhook management, and the webhook server for the public URLs, over one migrated PostgreSQL.
// Totals from the three readers (webhook summary, POST /data/query, plain SQL) must agree to the cent.
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Logger } from '@aws-lambda-powertools/logger';
import ExcelJS from 'exceljs';
import fc from 'fast-check';
import Papa from 'papaparse';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApiServer, type ApiServer } from '../../../infra/local/api-server';
import { startCognitoLocal, type CognitoLocalHandle } from '../../../infra/local/cognito.service';
import { DEMO_PROJECT_NAME, ensureDemoWebhook } from '../../../infra/local/webhook.service';
import { createAdapters, webhookSigningSecret, type Adapters } from '@tributary/shared/config/adapters';
import { loadConfig } from '@tributary/shared/config/config';
import { loadFacts } from '@tributary/shared/facts/fact-loader';
import { addDays, syntheticFacts } from '@tributary/shared/facts/synthetic-facts';
import { ErrorEnvelopeSchema } from '@tributary/shared/http/error-envelope';
import { freePort } from '@tributary/shared/local/embedded-postgres';
import { startDynalite, type DynaliteHandle } from '@tributary/shared/local/dynalite';
import { createTestDatabase, type TestDatabase } from '@tributary/shared/testing/test-database';
import { createApiDeps } from '../api-deps';
import { managementApiRoutes } from '../api-routes';
import { startWebhookServer, type WebhookServer } from '../webhooks/webhook-server';

const START = '2026-03-01';
const DAYS = 6;
const END = addDays(START, DAYS - 1);
const EVIL = '=HYPERLINK("http://evil","x")';
const PASSWORD = 'Correct-Horse-9-battery';

let home: string;
let tdb: TestDatabase;
let dynalite: DynaliteHandle;
let cognito: CognitoLocalHandle;
let adapters: Adapters;
let api: ApiServer;
let hooks: WebhookServer;
let token = '';
let email = '';
let projectId = '';
let googleSourceId = '';
let metaSourceId = '';

async function admin<T extends pg.QueryResultRow>(text: string, values: unknown[] = []): Promise<T[]> {
  const c = new pg.Client({ connectionString: tdb.adminUrl });
  await c.connect();
  try {
    return (await c.query<T>(text, values)).rows;
  } finally {
    await c.end();
  }
}

async function call(
  method: string,
  pathName: string,
  body?: unknown,
): Promise<{ status: number; json: any; text: string; headers: Headers; bytes: Buffer }> {
  const res = await fetch(`${api.url}${pathName}`, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const bytes = Buffer.from(await res.arrayBuffer());
  const text = bytes.toString('utf8');
  let json: unknown;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  return { status: res.status, json, text, headers: res.headers, bytes };
}
const project = (rest: string) => `/api/v1/projects/${projectId}${rest}`;

beforeAll(async () => {
  home = await mkdtemp(path.join(os.tmpdir(), 'tributary-data-api-'));
  tdb = await createTestDatabase();
  dynalite = await startDynalite({ port: await freePort(), tables: ['tributary-kv'] });
  cognito = await startCognitoLocal({ port: await freePort(), dataDir: path.join(home, 'cognito') });
  const webhookPort = await freePort();
  const config = loadConfig({
    TRIBUTARY_ENV: 'local',
    TRIBUTARY_HOME: home,
    DATABASE_URL: (tdb.config as { url: string }).url,
    TRIBUTARY_DYNAMODB_ENDPOINT: dynalite.endpoint,
    TRIBUTARY_KV_TABLE: 'tributary-kv',
    TRIBUTARY_COGNITO_ENDPOINT: cognito.endpoint,
    TRIBUTARY_USER_POOL_ID: cognito.userPoolId,
    TRIBUTARY_USER_POOL_CLIENT_ID: cognito.clientId,
    TRIBUTARY_WEBHOOK_URL: `http://127.0.0.1:${webhookPort}`,
  });
  adapters = createAdapters(config);
  // both servers read the one signing secret the config names (a 0600 file under the test's home)
  hooks = await startWebhookServer(
    { db: adapters.db, signingSecret: await webhookSigningSecret(config.webhooks) },
    webhookPort,
  );
  const deps = createApiDeps(adapters, {
    logger: new Logger({ serviceName: 'data-api-test', logLevel: 'ERROR' }),
    rateLimits: { auth: { limit: 100_000, windowSeconds: 60 }, standard: { limit: 100_000, windowSeconds: 60 } },
  });
  api = await startApiServer({
    routes: managementApiRoutes(deps),
    port: 0,
    allowedOrigin: config.api!.dashboardOrigin,
  });

  email = `analyst-${Date.now()}@example.com`;
  expect((await call('POST', '/api/v1/auth/register', { email, password: PASSWORD, first_name: 'Ana' })).status).toBe(
    202,
  ); // the same answer whether or not the address has an account
  token = (await call('POST', '/api/v1/auth/login', { email, password: PASSWORD })).json.access_token;
  const created = await call('POST', '/api/v1/projects', { name: 'Shop', reporting_currency: 'USD' });
  expect(created.status, created.text).toBe(201);
  projectId = created.json.id;

  // two data sources with facts, written the way the pipeline writes them (credentials and sources by SQL:
  // their own API is covered by management-api.test.ts)
  const [{ organization_id: orgId }] = (await admin<{ organization_id: string }>(
    'SELECT organization_id FROM projects WHERE id = $1',
    [projectId],
  )) as [{ organization_id: string }];
  const source = async (platform: string) => {
    const [cred] = await admin<{ id: string }>(
      `INSERT INTO credentials (organization_id, project_id, platform, credential_type, label, secret_ref, key_id) VALUES ($1, $2, $3, 'oauth2', $3, 'ref', 'key') RETURNING id`,
      [orgId, projectId, platform],
    );
    const [ds] = await admin<{ id: string }>(
      `INSERT INTO data_sources (organization_id, project_id, credential_id, platform, source_name, extraction_config, schedule_config) VALUES ($1, $2, $3, $4, $4, '{}', '{}') RETURNING id`,
      [orgId, projectId, cred!.id, platform],
    );
    return ds!.id;
  };
  googleSourceId = await source('google_ads');
  metaSourceId = await source('meta_ads');
  const facts = () => [...syntheticFacts({ days: DAYS, rowsPerDay: 15, startDate: START })].flat();
  const google = facts();
  google.push({
    dataType: 'ad_daily',
    date: START,
    accountId: '9',
    accountName: 'Z',
    campaignId: '666',
    campaignName: EVIL,
    adGroupId: '1',
    adGroupName: '+1',
    adId: '1',
    adName: '@SUM(A1)',
    impressions: 10,
    clicks: 1,
    cost: '-12.50',
    conversions: 0,
    revenue: 0,
    currency: 'USD',
  });
  await loadFacts(
    adapters.db,
    { organizationId: orgId, projectId, dataSourceId: googleSourceId, platform: 'google_ads' },
    google,
  );
  await loadFacts(
    adapters.db,
    { organizationId: orgId, projectId, dataSourceId: metaSourceId, platform: 'meta_ads' },
    facts(),
  );
  for (let d = 0; d < DAYS; d++)
    await admin(`INSERT INTO fx_rates (rate_date, base_currency, quote_currency, rate) VALUES ($1, 'EUR', 'USD', $2)`, [
      addDays(START, d),
      (1.07 + d / 997).toFixed(6),
    ]);
}, 600_000);

afterAll(async () => {
  await hooks?.close();
  await api?.stop();
  await adapters?.close();
  await cognito?.stop();
  await dynalite?.stop();
  await tdb?.drop();
  if (home) await rm(home, { recursive: true, force: true });
});

describe('data API and webhooks over HTTP', () => {
  it('when totals are asked three ways (webhook summary, POST /data/query, SQL), they agree to the cent for every filter and currency', async () => {
    const hook = await call('POST', project('/webhooks'), { name: 'totals', output_format: 'json' });
    expect(hook.status, hook.text).toBe(201);
    const key: string = hook.json.key;
    const combos: {
      label: string;
      url: string;
      filters: unknown[];
      platforms?: string[];
      currency: string;
      sql: string;
      sqlValues: unknown[];
    }[] = [
      { label: 'all, USD', url: '', filters: [], currency: 'USD', sql: '', sqlValues: [] },
      { label: 'all, EUR (inverse rate)', url: '', filters: [], currency: 'EUR', sql: '', sqlValues: [] },
      {
        label: 'meta only, USD',
        url: '&platform=meta_ads',
        filters: [],
        platforms: ['meta_ads'],
        currency: 'USD',
        sql: `AND f.platform = 'meta_ads'`,
        sqlValues: [],
      },
      {
        label: 'name contains, EUR',
        url: '&filter=campaign_name:contains:brand',
        filters: [{ field: 'campaign_name', op: 'contains', value: 'brand' }],
        currency: 'EUR',
        sql: `AND f.campaign_name ILIKE '%brand%'`,
        sqlValues: [],
      },
      {
        label: 'account list, USD',
        url: '&filter=account_id:in:100001|100002',
        filters: [{ field: 'account_id', op: 'in', value: ['100001', '100002'] }],
        currency: 'USD',
        sql: `AND f.account_id IN ('100001', '100002')`,
        sqlValues: [],
      },
    ];
    for (const c of combos) {
      // SQL: each row converted with its own day's rate (direct EUR→USD quote, or its inverse for EUR)
      const factor =
        c.currency === 'USD'
          ? `CASE WHEN f.currency = 'USD' THEN 1 ELSE r.rate END`
          : `CASE WHEN f.currency = 'EUR' THEN 1 ELSE 1 / r.rate END`;
      const [expected] = await admin<{ cost: string; revenue: string; clicks: string }>(
        `SELECT round(sum(f.cost * ${factor}), 2)::text AS cost, round(sum(f.revenue * ${factor}), 2)::text AS revenue, sum(f.clicks)::text AS clicks
           FROM extracted_data f JOIN fx_rates r ON r.rate_date = f.data_date AND r.base_currency = 'EUR' AND r.quote_currency = 'USD'
          WHERE f.project_id = $1 AND f.data_date BETWEEN $2 AND $3 ${c.sql}`,
        [projectId, START, END],
      );
      const viaHook = await fetch(
        `${hooks.url}/webhook/v1/${key}/summary?start_date=${START}&end_date=${END}&dimensions=&metrics=cost,revenue,clicks&currency=${c.currency}${c.url}`,
      );
      expect(viaHook.status, c.label).toBe(200);
      const hookRow = ((await viaHook.json()) as { rows: Record<string, number>[] }).rows[0]!;
      const viaQuery = await call('POST', project('/data/query'), {
        date_range: { start_date: START, end_date: END },
        aggregation: 'total',
        dimensions: [],
        metrics: ['cost', 'revenue', 'clicks'],
        currency: c.currency,
        filters: c.filters,
        ...(c.platforms ? { platforms: c.platforms } : {}),
      });
      expect(viaQuery.status, viaQuery.text).toBe(200);
      const queryRow = viaQuery.json.rows[0];
      for (const [name, got] of [
        ['webhook', hookRow],
        ['query', queryRow],
      ] as const) {
        expect(Number(got.cost).toFixed(2), `${c.label} ${name}`).toBe(expected!.cost);
        expect(Number(got.revenue).toFixed(2), `${c.label} ${name}`).toBe(expected!.revenue);
        expect(String(got.clicks), `${c.label} ${name}`).toBe(expected!.clicks);
      }
      // by platform and month, the groups add up to the same totals
      const byMonth = await call(
        'GET',
        project(
          `/data?start_date=${START}&end_date=${END}&aggregate=monthly&dimensions=platform&metrics=cost&currency=${c.currency}${c.url}`,
        ),
      );
      expect(byMonth.status, byMonth.text).toBe(200);
      const sum = (byMonth.json.rows as { cost: number }[]).reduce((s, r) => s + Math.round(r.cost * 100), 0);
      // each group is rounded to the cent on its own, so groups may differ from the total by under a cent each
      expect(Math.abs(sum - Math.round(Number(expected!.cost) * 100))).toBeLessThanOrEqual(byMonth.json.rows.length);
    }
  }, 240_000);

  it('when the data API is called, /data, /data/summary, /data/metrics and /data/export answer, and the export parses strictly with the formula inert', async () => {
    const data = await call('GET', project(`/data?start_date=${START}&end_date=${START}&limit=5`));
    expect(data.status, data.text).toBe(200);
    expect(data.json.rows).toHaveLength(5);
    expect(data.json.next_cursor).toEqual(expect.any(String));
    const summary = await call('GET', project(`/data/summary?start_date=${START}&end_date=${END}`));
    expect(summary.status, summary.text).toBe(200);
    expect(summary.json.rows.map((r: { platform: string }) => r.platform).sort()).toEqual(['google_ads', 'meta_ads']);
    const metrics = await call('GET', project('/data/metrics'));
    expect(metrics.status, metrics.text).toBe(200);
    expect(metrics.json.fields.length).toBeGreaterThan(5);

    const csv = await call(
      'GET',
      project(
        `/data/export?start_date=${START}&end_date=${START}&aggregate=none&platform=google_ads&currency=native&format=csv`,
      ),
    );
    expect(csv.status, csv.text).toBe(200);
    expect(csv.headers.get('content-disposition')).toMatch(/^attachment; filename=".+\.csv"$/);
    const parsed = Papa.parse<string[]>(csv.text, { delimiter: ',', newline: '\r\n', skipEmptyLines: true });
    expect(parsed.errors).toEqual([]);
    const header = parsed.data[0]!;
    expect(parsed.data.every((r) => r.length === header.length)).toBe(true);
    const campaign = header.indexOf('Campaign');
    const evil = parsed.data.find((r) => r[campaign]!.includes('HYPERLINK'))!;
    expect(evil[campaign]).toBe(`'${EVIL}`);
    expect(evil[header.indexOf('Cost')]).toBe('-12.50');

    const xlsx = await call(
      'GET',
      project(
        `/data/export?start_date=${START}&end_date=${START}&aggregate=none&platform=google_ads&currency=native&format=xlsx`,
      ),
    );
    expect(xlsx.status).toBe(200);
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load(xlsx.bytes as never);
    const sheet = wb.worksheets[0]!;
    expect(sheet.rowCount - 1).toBe(parsed.data.length - 1);
    const heads = (sheet.getRow(1).values as string[]).slice(1);
    sheet.eachRow((row, n) => {
      if (n === 1) return;
      expect(row.getCell(heads.indexOf('Date') + 1).type).toBe(ExcelJS.ValueType.Date);
      expect(row.getCell(heads.indexOf('Cost') + 1).type).toBe(ExcelJS.ValueType.Number);
      // a name that starts like a formula stays as it is, in a text cell formatted as Text: never a formula
      const campaign = row.getCell(heads.indexOf('Campaign') + 1);
      expect(campaign.type).toBe(ExcelJS.ValueType.String);
      expect(campaign.numFmt).toBe('@');
    });
  }, 240_000);

  it('when webhooks are managed over HTTP, scope narrows, signed URLs work until altered, rotated or expired, and revoked keys get 401', async () => {
    const scoped = await call('POST', project('/webhooks'), {
      name: 'google only',
      allowed_data_sources: [googleSourceId],
      output_format: 'csv',
    });
    expect(scoped.status, scoped.text).toBe(201);
    expect(scoped.text).toContain('twk_');
    const { key, webhook } = scoped.json as { key: string; webhook: { id: string; key_prefix: string } };
    expect(
      (await call('GET', project('/webhooks'))).json.webhooks.map((w: { key_prefix: string }) => w.key_prefix),
    ).toContain(webhook.key_prefix);
    expect((await call('GET', project('/webhooks'))).text).not.toContain(key);
    for (const ask of [
      '',
      `&data_source=${metaSourceId}`,
      `&data_source=${metaSourceId},${googleSourceId}`,
      '&platform=meta_ads',
    ]) {
      const res = await fetch(
        `${hooks.url}/webhook/v1/${key}/data?start_date=${START}&end_date=${END}&aggregate=total&dimensions=data_source,platform&format=json${ask}`,
      );
      expect(res.status).toBe(200);
      for (const r of ((await res.json()) as { rows: { data_source_id: string }[] }).rows)
        expect(r.data_source_id).toBe(googleSourceId);
    }
    const updated = await call('PUT', project(`/webhooks/${webhook.id}`), { rate_limit_per_hour: 500 });
    expect(updated.json.rate_limit_per_hour).toBe(500);

    const minted = await call('POST', project(`/webhooks/${webhook.id}/signed-urls`), {
      endpoint: 'summary',
      query: { start_date: START, end_date: END, format: 'csv' },
      expires_in_seconds: 600,
    });
    expect(minted.status, minted.text).toBe(201);
    const signed: string = minted.json.url;
    expect(signed.startsWith(`${hooks.url}/webhook/v1/tws_${webhook.id}/summary?`)).toBe(true);
    expect(signed).not.toContain(key);
    expect((await fetch(signed)).status).toBe(200);
    const refusedWith401 = async (url: string) => {
      const res = await fetch(url);
      expect(res.status, url).toBe(401);
      expect(ErrorEnvelopeSchema.parse(await res.json()).error.code).toBe('AUTHENTICATION_REQUIRED');
    };
    await refusedWith401(signed.replace(`end_date=${END}`, `end_date=${START}`));
    await refusedWith401(signed.replace(/exp=(\d+)/, (_m, e: string) => `exp=${Number(e) + 3600}`));
    await refusedWith401(`${signed}&platform=meta_ads`);
    // an invalid request is refused before anything is signed
    expect(
      (await call('POST', project(`/webhooks/${webhook.id}/signed-urls`), { query: { metrics: 'nope' } })).status,
    ).toBe(400);

    const rotated = await call('POST', project(`/webhooks/${webhook.id}/rotate`));
    expect(rotated.status, rotated.text).toBe(200);
    await refusedWith401(`${hooks.url}/webhook/v1/${key}/summary`);
    await refusedWith401(signed);
    expect((await fetch(`${hooks.url}/webhook/v1/${rotated.json.key}/summary`)).status).toBe(200);

    expect((await call('POST', project(`/webhooks/${webhook.id}/revoke`))).status).toBe(200);
    await refusedWith401(`${hooks.url}/webhook/v1/${rotated.json.key}/summary`);
    expect((await call('POST', project(`/webhooks/${webhook.id}/signed-urls`), {})).status).toBe(409);
    expect((await call('DELETE', project(`/webhooks/${webhook.id}`))).status).toBe(204);
    expect((await call('GET', project(`/webhooks/${webhook.id}`))).status).toBe(404);
  }, 240_000);

  it('when the local runner sets up the demo webhook, its URLs answer, a restart reuses it, and a revoked one is replaced', async () => {
    const file = path.join(home, 'demo-webhook.json');
    const first = await ensureDemoWebhook(api.url, hooks.url, { email, password: PASSWORD }, file);
    expect((await call('GET', '/api/v1/projects')).json.projects.map((p: { name: string }) => p.name)).toContain(
      DEMO_PROJECT_NAME,
    );
    for (const url of [
      first.csv_url,
      first.summary_url,
      first.xlsx_url,
      first.signed_csv_url,
      first.odata_url,
      `${first.odata_url}Facts?$top=1`,
    ])
      expect((await fetch(url)).status, url).toBe(200);
    const csv = await (await fetch(first.csv_url)).text();
    expect(Papa.parse(csv, { newline: '\r\n', skipEmptyLines: true }).errors).toEqual([]);
    const again = await ensureDemoWebhook(api.url, hooks.url, { email, password: PASSWORD }, file);
    expect(again.webhook_id).toBe(first.webhook_id);
    expect(again.csv_url).toBe(first.csv_url);
    expect(
      (await call('POST', `/api/v1/projects/${first.project_id}/webhooks/${first.webhook_id}/revoke`)).status,
    ).toBe(200);
    const replaced = await ensureDemoWebhook(api.url, hooks.url, { email, password: PASSWORD }, file);
    expect(replaced.webhook_id).not.toBe(first.webhook_id);
    expect(replaced.project_id).toBe(first.project_id);
    expect((await fetch(replaced.csv_url)).status).toBe(200);
    expect((await fetch(first.csv_url)).status).toBe(401);
  }, 240_000);

  it('when the data API query strings are fuzzed, it never answers 5xx and every error is in the standard format', async () => {
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
      'x',
    ];
    const values = fc.oneof(
      fc.string({ maxLength: 30 }),
      fc.constantFrom(
        'last_7_days',
        START,
        '2026-02-30',
        'cost,clicks',
        'roas,extra_metric.x',
        'week,ad,extra.y',
        'total',
        'none',
        'EUR',
        'XXX',
        'native',
        '-cost',
        'cost:between:1|x',
        'ad_name:contains:%',
        'xlsx',
        'tsv',
        '0',
        '20000',
        '-1',
      ),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(fc.constantFrom(...names), values), { maxLength: 5 }),
        fc.constantFrom('', '/summary', '/export'),
        async (pairs, endpoint) => {
          const qs = new URLSearchParams(pairs).toString();
          const res = await call('GET', project(`/data${endpoint}?${qs}`));
          expect(res.status, `${endpoint}?${qs}`).toBeLessThan(500);
          if (res.status >= 400) expect(ErrorEnvelopeSchema.safeParse(res.json).success, qs).toBe(true);
        },
      ),
      { numRuns: 40 },
    );
  }, 240_000);
});
