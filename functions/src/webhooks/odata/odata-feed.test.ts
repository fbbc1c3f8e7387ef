// Seam: the OData feed through real HTTP (the local runner's webhook server) against a real migrated
// PostgreSQL, read with @odata/client (an OData client none of us wrote) and plain fetch for what that
// client leaves to the caller (following @odata.nextLink, ETags). Totals are compared with the CSV
// endpoint and with SQL over the fact table.
import { randomBytes } from 'node:crypto';
import { OData } from '@odata/client';
import ExcelJS from 'exceljs';
import { XMLParser } from 'fast-xml-parser';
import fc from 'fast-check';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadFacts } from '@tributary/shared/facts/fact-loader';
import { addDays, syntheticFacts } from '@tributary/shared/facts/synthetic-facts';
import { seedDataSource, type SeededSource } from '@tributary/shared/testing/seed';
import { createTestDatabase, type TestDatabase } from '@tributary/shared/testing/test-database';
import { createWebhook, getWebhookRow, revokeWebhook, type WebhookInput } from '../webhook.repository';
import { startWebhookServer, type WebhookServer } from '../webhook-server';
import { mintFeedUrl } from './serve-odata';

const START = '2026-06-01';
const DAYS = 6;
const ROWS_PER_DAY = 30;
const secret = randomBytes(32);
let tdb: TestDatabase;
let src: SeededSource;
let otherSourceId: string;
let server: WebhookServer;
let key: string;

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

interface Page<T> {
  '@odata.context': string;
  '@odata.count'?: number;
  '@odata.nextLink'?: string;
  value: T[];
}
async function getJson<T>(
  url: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: T; headers: Headers }> {
  const res = await fetch(url, { headers });
  return { status: res.status, body: (await res.json()) as T, headers: res.headers };
}
/** follows @odata.nextLink as Power Query does, counting the requests */
async function readAll<T>(
  url: string,
  headers: Record<string, string> = {},
): Promise<{ rows: T[]; pages: number; count?: number }> {
  const rows: T[] = [];
  let next: string | undefined = url;
  let pages = 0;
  let count: number | undefined;
  while (next) {
    const { status, body }: { status: number; body: Page<T> } = await getJson<Page<T>>(next, headers);
    expect(status, next).toBe(200);
    if (pages === 0) count = body['@odata.count'];
    rows.push(...body.value);
    next = body['@odata.nextLink'];
    pages++;
    expect(pages).toBeLessThan(1000);
  }
  return { rows, pages, count };
}

beforeAll(async () => {
  tdb = await createTestDatabase();
  src = await seedDataSource(tdb.adminUrl, { platform: 'google_ads' });
  const [cred] = await admin<{ id: string }>(
    `INSERT INTO credentials (organization_id, project_id, platform, credential_type, label, secret_ref, key_id) VALUES ($1, $2, 'meta_ads', 'oauth2', 'm', 'r', 'k') RETURNING id`,
    [src.organizationId, src.projectId],
  );
  [{ id: otherSourceId }] = (await admin<{ id: string }>(
    `INSERT INTO data_sources (organization_id, project_id, credential_id, platform, source_name, extraction_config, schedule_config, last_successful_date, extraction_status) VALUES ($1, $2, $3, 'meta_ads', 'meta', '{}', '{}', $4, 'succeeded') RETURNING id`,
    [src.organizationId, src.projectId, cred!.id, addDays(START, DAYS - 1)],
  )) as [{ id: string }];
  const facts = () => [...syntheticFacts({ days: DAYS, rowsPerDay: ROWS_PER_DAY, startDate: START })].flat();
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
  // a finished run whose load restated numbers already delivered
  await admin(
    `INSERT INTO extraction_jobs (organization_id, project_id, data_source_id, job_type, status, completed_at, restatements)
     VALUES ($1, $2, $3, 'scheduled', 'succeeded', now(), $4::jsonb)`,
    [
      src.organizationId,
      src.projectId,
      otherSourceId,
      JSON.stringify([
        {
          date: START,
          dataType: 'campaign',
          rowsChanged: 3,
          impressionsDelta: '0',
          clicksDelta: '-4',
          costDelta: '12.50',
          conversionsDelta: '0',
          revenueDelta: '0',
        },
      ]),
    ],
  );
  server = await startWebhookServer({ db: tdb.db, signingSecret: secret });
  ({ key } = await newWebhook({}));
});
afterAll(async () => {
  await server?.close();
  await tdb?.drop();
});

describe('OData feed', () => {
  it('when a client opens the root, it lists three entity sets and $metadata types them as CSDL 4.0', async () => {
    const root = await getJson<{ value: { name: string; url: string }[] }>(`${server.url}/odata/v1/${key}/`);
    expect(root.status).toBe(200);
    expect(root.headers.get('odata-version')).toBe('4.0');
    expect(root.body.value.map((v) => v.name)).toEqual(['Facts', 'Restatements', 'Freshness']);

    const res = await fetch(`${server.url}/odata/v1/${key}/$metadata`);
    expect(res.status).toBe(200);
    const doc = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '' }).parse(await res.text());
    expect(doc['edmx:Edmx'].Version).toBe('4.0');
    const types = doc['edmx:Edmx']['edmx:DataServices'].Schema.EntityType as {
      Name: string;
      Property: { Name: string; Type: string; Scale?: string }[];
    }[];
    const fact = Object.fromEntries(types.find((t) => t.Name === 'Fact')!.Property.map((p) => [p.Name, p]));
    expect(fact.Date!.Type).toBe('Edm.Date');
    expect(fact.Impressions!.Type).toBe('Edm.Int64');
    expect(fact.Clicks!.Type).toBe('Edm.Int64');
    expect(fact.Cost).toMatchObject({ Type: 'Edm.Decimal', Scale: '6' });
    expect(fact.CampaignName!.Type).toBe('Edm.String');
    expect(types.map((t) => t.Name).sort()).toEqual(['Fact', 'Restatement', 'SourceFreshness']);
    const fresh = Object.fromEntries(
      types.find((t) => t.Name === 'SourceFreshness')!.Property.map((p) => [p.Name, p.Type]),
    );
    expect(fresh.LastCompleteDay).toBe('Edm.Date');
  });

  it("when a page runs past its statement timeout, it answers 503 with Retry-After in OData's error format", async () => {
    const impatient = await startWebhookServer({ db: tdb.db, signingSecret: secret, statementTimeoutMs: 300 });
    const holder = new pg.Client({ connectionString: tdb.adminUrl });
    await holder.connect();
    try {
      await holder.query('BEGIN');
      await holder.query('LOCK TABLE facts IN ACCESS EXCLUSIVE MODE');
      const res = await getJson<{ error: { code: string; message: string } }>(`${impatient.url}/odata/v1/${key}/Facts`);
      expect(res.status).toBe(503);
      expect(res.headers.get('retry-after')).toBe('30');
      expect(res.body.error.message).toMatch(/fewer days/);
    } finally {
      await holder.query('ROLLBACK');
      await holder.end();
      await impatient.close();
    }
  });

  it('when @odata/client asks with $filter, $select, $orderby and $top, rows match SQL over the fact table', async () => {
    const client = OData.New4({ serviceEndpoint: `${server.url}/odata/v1/${key}/` });
    const end = addDays(START, 2);
    const params = client
      .newOptions()
      .filter(
        `Platform eq 'meta_ads' and Date ge ${START} and Date le ${end} and (Clicks gt 5 or not startswith(CampaignName,'Brand'))`,
      )
      .select(['Date', 'CampaignId', 'Clicks', 'Cost'])
      .orderby('Cost', 'desc')
      .top(7);
    const rows = await client
      .getEntitySet<{ Date: string; CampaignId: string; Clicks: number; Cost: number }>('Facts')
      .query(params);
    const expected = await admin<{ cost: string; clicks: string }>(
      `SELECT cost::text, clicks::text FROM extracted_data WHERE project_id = $1 AND platform = 'meta_ads' AND data_date BETWEEN $2 AND $3
         AND (clicks > 5 OR NOT campaign_name LIKE 'Brand%') ORDER BY extracted_data.cost DESC NULLS LAST LIMIT 7`,
      [src.projectId, START, end],
    );
    expect(rows.map((r) => Object.keys(r).sort())).toEqual(rows.map(() => ['CampaignId', 'Clicks', 'Cost', 'Date']));
    expect(rows.map((r) => Number(r.Cost).toFixed(6))).toEqual(expected.map((e) => Number(e.cost).toFixed(6)));
    expect(rows.every((r) => r.Date >= START && r.Date <= end)).toBe(true);
    expect(await client.getEntitySet('Facts').count(client.newFilter().property('Platform').eq('google_ads'))).toBe(
      DAYS * ROWS_PER_DAY,
    );
  });

  it('when a result is larger than the page, next links with a cursor page through it once, and totals equal the CSV endpoint', async () => {
    const { rows, pages, count } = await readAll<{
      DataSourceId: string;
      ReportType: string;
      Date: string;
      CampaignId: string;
      AdId: string;
      AccountId: string;
      AdGroupId: string;
      Cost: number;
      Clicks: number;
      Currency: string;
    }>(`${server.url}/odata/v1/${key}/Facts?$count=true`, { prefer: 'odata.maxpagesize=70' });
    const total = 2 * DAYS * ROWS_PER_DAY;
    expect(count).toBe(total);
    expect(rows).toHaveLength(total);
    expect(pages).toBe(Math.ceil(total / 70));
    expect(
      new Set(
        rows.map((r) =>
          [r.DataSourceId, r.ReportType, r.Date, r.AccountId, r.CampaignId, r.AdGroupId, r.AdId].join('|'),
        ),
      ).size,
    ).toBe(total);

    const csv = await (
      await fetch(
        `${server.url}/webhook/v1/${key}/summary?start_date=${START}&end_date=${addDays(START, DAYS - 1)}&dimensions=platform&metrics=cost,clicks&currency=native&format=csv`,
      )
    ).text();
    const [header, ...lines] = csv.trim().split(/\r\n/);
    const cols = header!.split(',');
    const groups = lines
      .map((l) => l.split(','))
      .map((c) => ({
        platform: c[cols.indexOf('Platform')]!,
        currency: c[cols.indexOf('Currency')]!,
        cost: c[cols.indexOf('Cost')]!,
        clicks: c[cols.indexOf('Clicks')]!,
      }));
    expect(groups.length).toBeGreaterThanOrEqual(2);
    for (const g of groups) {
      const mine = rows.filter(
        (r) =>
          r.DataSourceId === (g.platform === 'google_ads' ? src.dataSourceId : otherSourceId) &&
          r.Currency === g.currency,
      );
      const micros = mine.reduce((s, r) => s + BigInt(Math.round(Number(r.Cost) * 1e6)), 0n);
      expect((Number(micros) / 1e6).toFixed(2), `${g.platform} ${g.currency}`).toBe(Number(g.cost).toFixed(2));
      expect(String(mine.reduce((s, r) => s + r.Clicks, 0))).toBe(g.clicks);
    }
  });

  it('when a next link is altered (a quote or a word in a key), the page answers 400 in OData format', async () => {
    const first = await getJson<Page<unknown>>(`${server.url}/odata/v1/${key}/Facts`, {
      prefer: 'odata.maxpagesize=5',
    });
    const next = new URL(first.body['@odata.nextLink']!);
    const token = JSON.parse(Buffer.from(next.searchParams.get('$skiptoken')!, 'base64url').toString()) as {
      a: string[];
    };
    for (const [i, bad] of [
      [1, "ad_daily'); SELECT 1; --"],
      [3, '1 OR true'],
      [2, '2026-06-01 garbage'],
    ] as const) {
      const a = [...token.a];
      a[i] = bad;
      next.searchParams.set('$skiptoken', Buffer.from(JSON.stringify({ ...token, a })).toString('base64url'));
      const res = await fetch(next);
      expect(res.status, bad).toBe(400);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBeTypeOf('string');
    }
  });

  it('when names hold quotes, backslashes, tabs, newlines and control characters, the feed gives them back exactly', async () => {
    const name = 'Q"uote \\back\\slash\ttab\nline\r\u0001\u000b\u001f — ☃ 😀';
    const [row] = await admin<{ campaign_id: string; ad_id: string; data_date: string }>(
      `UPDATE extracted_data SET campaign_name = $2 WHERE ctid = (SELECT ctid FROM extracted_data WHERE project_id = $1 LIMIT 1)
       RETURNING campaign_id, ad_id, data_date::text AS data_date`,
      [src.projectId, name],
    );
    const filter = `Date eq ${row!.data_date} and CampaignId eq '${row!.campaign_id}' and AdId eq '${row!.ad_id}'`;
    const { rows } = await readAll<{ CampaignName: string }>(
      `${server.url}/odata/v1/${key}/Facts?$filter=${encodeURIComponent(filter)}&$select=CampaignName`,
    );
    expect(rows.map((r) => r.CampaignName)).toContain(name);
  });

  it('when $apply groups by platform and sums, the totals equal SQL and paging an $orderby result stays complete', async () => {
    const { body } = await getJson<
      Page<{ Platform: string; Currency: string; TotalCost: number; TotalClicks: number }>
    >(
      `${server.url}/odata/v1/${key}/Facts?$apply=${encodeURIComponent(`filter(Date ge ${START})/groupby((Platform),aggregate(Cost with sum as TotalCost,Clicks with sum as TotalClicks))`)}&$orderby=Platform`,
    );
    const expected = await admin<{ platform: string; currency: string; cost: string; clicks: string }>(
      `SELECT platform, currency::text, sum(cost)::text AS cost, sum(clicks)::text AS clicks FROM extracted_data WHERE project_id = $1 GROUP BY 1, 2 ORDER BY 1, 2`,
      [src.projectId],
    );
    // money never adds currencies: each platform comes once per currency
    const got = body.value
      .map((r) => [r.Platform, r.Currency, Number(r.TotalCost).toFixed(4), String(r.TotalClicks)])
      .sort();
    expect(got).toEqual(expected.map((e) => [e.platform, e.currency, Number(e.cost).toFixed(4), e.clicks]).sort());
    expect(body.value.every((r) => typeof r.Currency === 'string')).toBe(true);

    const byCost = await readAll<{ Cost: number | null }>(
      `${server.url}/odata/v1/${key}/Facts?$select=Cost&$orderby=Cost desc`,
      { prefer: 'odata.maxpagesize=50' },
    );
    expect(byCost.rows).toHaveLength(2 * DAYS * ROWS_PER_DAY);
    const costs = byCost.rows.map((r) => r.Cost);
    const nonNull = costs.filter((c): c is number => c !== null);
    expect(nonNull).toEqual([...nonNull].sort((a, b) => b - a));
    expect(costs.slice(nonNull.length).every((c) => c === null)).toBe(true);

    const daily = await readAll<{ Date: string; Clicks: number }>(
      `${server.url}/odata/v1/${key}/Facts?$apply=groupby((Date),aggregate(Clicks with sum as Clicks))&$filter=Clicks gt 0`,
      { prefer: 'odata.maxpagesize=4' },
    );
    expect(daily.rows.map((r) => r.Date)).toEqual(Array.from({ length: DAYS }, (_, i) => addDays(START, i)));
  });

  it('when a query names an unknown property or an unsupported function, it answers 400 in OData error format', async () => {
    for (const q of [
      '$filter=Nope eq 1',
      '$select=Date,Secret',
      "$filter=tolower(CampaignName) eq 'x'",
      '$orderby=Nope',
      '$expand=Anything',
      '$apply=groupby((Cost))',
      "$filter=Cost eq 'x'",
      '$top=-1',
      '$skiptoken=bogus',
    ]) {
      const res = await fetch(`${server.url}/odata/v1/${key}/Facts?${q.replace(/ /g, '%20')}`);
      expect(res.status, q).toBe(400);
      const body = (await res.json()) as {
        error: { code: string; message: string; details: unknown[]; request_id: string };
      };
      expect(typeof body.error.code, q).toBe('string');
      expect(body.error.message.length, q).toBeGreaterThan(0);
      expect(Array.isArray(body.error.details), q).toBe(true);
      expect(body.error.request_id, q).toMatch(/./);
    }
    expect((await fetch(`${server.url}/odata/v1/${key}/Nothing`)).status).toBe(404);
  });

  it('when the key comes as ?key= (Power Query Web API key), it works like the path key, and a wrong, revoked or expired key gets 401', async () => {
    const page = await getJson<Page<unknown>>(`${server.url}/odata/v1/Facts?key=${key}&$top=3`);
    expect(page.status).toBe(200);
    expect(page.body.value).toHaveLength(3);
    expect((await fetch(`${server.url}/odata/v1/$metadata?key=${key}`)).status).toBe(200);

    const revoked = await newWebhook({});
    const expired = await newWebhook({});
    await tdb.db.transaction({ orgId: src.organizationId }, (trx) =>
      revokeWebhook(trx, src.projectId, revoked.webhook.id),
    );
    await admin(`UPDATE webhook_configs SET expires_at = now() - interval '1 second' WHERE id = $1`, [
      expired.webhook.id,
    ]);
    const signedHook = await newWebhook({});
    const row = await tdb.db.transaction({ orgId: src.organizationId }, (trx) =>
      getWebhookRow(trx, src.projectId, signedHook.webhook.id),
    );
    const signed = mintFeedUrl(server.url, secret, row, new Date(Date.now() + 600_000));
    const signedFacts = signed.replace('/?', '/Facts?') + '&$top=2';
    expect((await fetch(signedFacts)).status).toBe(200);
    const pastSigned = mintFeedUrl(server.url, secret, row, new Date(Date.now() - 1000));
    for (const url of [
      `${server.url}/odata/v1/Facts`,
      `${server.url}/odata/v1/Facts?key=twk_${'A'.repeat(43)}`,
      `${server.url}/odata/v1/twk_${'B'.repeat(43)}/Facts`,
      `${server.url}/odata/v1/${revoked.key}/Facts`,
      `${server.url}/odata/v1/Facts?key=${expired.key}`,
      pastSigned.replace('/?', '/Facts?'),
      signedFacts.replace(/exp=\d+/, (m) => `exp=${Number(m.slice(4)) + 1000}`),
    ]) {
      const res = await fetch(url);
      expect(res.status, url).toBe(401);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe('AUTHENTICATION_REQUIRED');
    }
  });

  it('when the webhook is scoped to one source, no filter or grouping shows another source, and restatements follow the scope', async () => {
    const scoped = await newWebhook({ allowedDataSources: [src.dataSourceId] });
    for (const q of [
      '',
      `$filter=Platform eq 'meta_ads'`,
      `$filter=DataSourceId eq '${otherSourceId}' or Platform ne 'x'`,
    ]) {
      const { rows } = await readAll<{ DataSourceId: string }>(`${server.url}/odata/v1/${scoped.key}/Facts?${q}`, {
        prefer: 'odata.maxpagesize=500',
      });
      expect(
        rows.every((r) => r.DataSourceId === src.dataSourceId),
        q,
      ).toBe(true);
    }
    const grouped = await getJson<Page<{ Platform: string }>>(
      `${server.url}/odata/v1/${scoped.key}/Facts?$apply=groupby((Platform))`,
    );
    expect(grouped.body.value.map((r) => r.Platform)).toEqual(['google_ads']);
    expect((await getJson<Page<unknown>>(`${server.url}/odata/v1/${scoped.key}/Restatements`)).body.value).toEqual([]);
    const fresh = await getJson<Page<{ DataSourceId: string }>>(`${server.url}/odata/v1/${scoped.key}/Freshness`);
    expect(fresh.body.value.map((r) => r.DataSourceId)).toEqual([src.dataSourceId]);
  });

  it('when asked for Restatements and Freshness, they come from the run records and data sources', async () => {
    const restated = await getJson<
      Page<{ Metric: string; Delta: number; RowsChanged: number; Date: string; DataSourceId: string }>
    >(`${server.url}/odata/v1/${key}/Restatements?$filter=Date eq ${START}&$orderby=Metric&$count=true`);
    expect(restated.body['@odata.count']).toBe(2);
    expect(restated.body.value.map((r) => [r.Metric, r.Delta, r.RowsChanged, r.DataSourceId])).toEqual([
      ['clicks', -4, 3, otherSourceId],
      ['cost', 12.5, 3, otherSourceId],
    ]);
    const fresh = await getJson<Page<{ DataSourceId: string; LastCompleteDay: string | null; Status: string }>>(
      `${server.url}/odata/v1/${key}/Freshness?$filter=Platform eq 'meta_ads'`,
    );
    expect(fresh.body.value).toEqual([
      expect.objectContaining({
        DataSourceId: otherSourceId,
        LastCompleteDay: addDays(START, DAYS - 1),
        Status: 'succeeded',
      }),
    ]);
  });

  it('when nothing changed, a repeated page answers 304 from its ETag, and a new load changes it', async () => {
    const url = `${server.url}/odata/v1/${key}/Facts?$filter=Date eq ${START}`;
    const first = await fetch(url);
    const etag = first.headers.get('etag')!;
    expect(first.headers.get('x-tributary-date-range')).toBe(`${START}/${START}`);
    await first.arrayBuffer();
    expect((await fetch(url, { headers: { 'if-none-match': etag } })).status).toBe(304);
    await admin(
      `UPDATE extracted_data SET cost = cost + 1, updated_at = now() WHERE project_id = $1 AND data_date = $2 AND ctid = (SELECT ctid FROM extracted_data WHERE project_id = $1 AND data_date = $2 LIMIT 1)`,
      [src.projectId, START],
    );
    const after = await fetch(url, { headers: { 'if-none-match': etag } });
    expect(after.status).toBe(200);
    await after.arrayBuffer();
  });

  it('when any webhook format is fetched, headers give the as-of time and oldest complete day, and XLSX has an "About this data" sheet with restatements since the previous download', async () => {
    const { key: own } = await newWebhook({});
    const [{ day: yesterday }] = (await admin<{ day: string }>(
      `UPDATE data_sources SET last_successful_date = (now() AT TIME ZONE 'UTC')::date - 1 WHERE id = $1 RETURNING last_successful_date::text AS day`,
      [otherSourceId],
    )) as [{ day: string }];
    const xlsxUrl = `${server.url}/webhook/v1/${own}/data?start_date=${START}&end_date=${START}&currency=native&format=xlsx`;
    const readAbout = async () => {
      const res = await fetch(xlsxUrl);
      expect(res.status).toBe(200);
      const book = new ExcelJS.Workbook();
      await book.xlsx.load(Buffer.from(await res.arrayBuffer()) as never);
      expect(book.worksheets.map((w) => w.name)).toEqual(['Data', 'About this data']);
      const lines: string[] = [];
      book.getWorksheet('About this data')!.eachRow((row) =>
        lines.push(
          (row.values as unknown[])
            .slice(1)
            .map((v) => (v instanceof Date ? v.toISOString() : String(v ?? '')))
            .join('|'),
        ),
      );
      return lines;
    };
    const first = await readAbout();
    const csv = await fetch(
      `${server.url}/webhook/v1/${own}/data?start_date=${START}&end_date=${START}&currency=native&format=csv`,
    );
    expect(csv.status).toBe(200);
    await csv.arrayBuffer();
    // the google source has no successful run and no complete day: it is stale; meta's day is yesterday
    expect(csv.headers.get('x-tributary-oldest-complete-day')).toBe(yesterday);
    expect(csv.headers.get('x-tributary-as-of')).toMatch(/^\d{4}-\d{2}-\d{2}T/);
    expect(csv.headers.get('x-tributary-stale-sources')).toBe('1');
    const feed = await fetch(`${server.url}/odata/v1/${own}/Freshness`);
    expect(feed.headers.get('x-tributary-oldest-complete-day')).toBe(yesterday);
    await feed.arrayBuffer();

    expect(first.some((l) => l.startsWith('Warning: 1 source(s) are stale'))).toBe(true);
    expect(first.some((l) => l.startsWith(`${START}|campaign|cost|12.5|3|meta`))).toBe(true);
    expect(first.some((l) => l.startsWith('Restatements (no previous download'))).toBe(true);
    // a second download by the same key: only restatements from runs finished since the first
    const second = await readAbout();
    expect(second.some((l) => l.startsWith('Restatements since your previous download'))).toBe(true);
    expect(second.some((l) => l.startsWith(`${START}|campaign|cost`))).toBe(false);
    expect(second).toContain('none');
  });

  it('when any format or feed resource is fetched, or answers 304, it carries the as-of time and the oldest complete day', async () => {
    const { key: own } = await newWebhook({});
    const range = `start_date=${START}&end_date=${START}&currency=native`;
    const urls = [
      ...['json', 'ndjson', 'csv', 'tsv', 'xml', 'xlsx', 'html'].map(
        (f) => `${server.url}/webhook/v1/${own}/data?${range}&format=${f}`,
      ),
      `${server.url}/webhook/v1/${own}/summary?${range}&format=csv`,
      `${server.url}/webhook/v1/${own}/metrics`,
      ...['', '$metadata', 'Facts?$top=3', 'Restatements', 'Freshness'].map(
        (r) => `${server.url}/odata/v1/${own}/${r}`,
      ),
    ];
    const [{ day }] = (await admin<{ day: string | null }>(
      `SELECT min(last_successful_date)::text AS day FROM data_sources WHERE project_id = $1 AND is_active`,
      [src.projectId],
    )) as [{ day: string | null }];
    for (const url of urls) {
      const res = await fetch(url);
      const body = await res.text();
      expect(res.status, url).toBe(200);
      expect(res.headers.get('x-tributary-as-of'), url).toMatch(/^(\d{4}-\d{2}-\d{2}T|never$)/);
      expect(res.headers.get('x-tributary-oldest-complete-day'), url).toBe(day);
      expect(res.headers.get('x-tributary-stale-sources'), url).toMatch(/^\d+$/);
      if (url.includes('format=json'))
        expect((JSON.parse(body) as { meta: { about: { sources: unknown[] } } }).meta.about.sources).toHaveLength(2);
      const etag = res.headers.get('etag');
      if (!etag) continue;
      const again = await fetch(url, { headers: { 'if-none-match': etag } });
      await again.arrayBuffer();
      expect(again.status, url).toBe(304);
      expect(again.headers.get('x-tributary-oldest-complete-day'), `${url} (304)`).toBe(day);
    }
  });

  it('when OData query strings are fuzzed, the feed never answers 5xx and every refusal is in OData error format', async () => {
    const names = [
      '$filter',
      '$select',
      '$orderby',
      '$top',
      '$skip',
      '$count',
      '$apply',
      '$skiptoken',
      '$expand',
      'key',
      'x',
    ];
    const values = fc.oneof(
      fc.string({ maxLength: 40 }),
      fc.constantFrom(
        "Platform eq 'a' or",
        'Date ge 2026-13-45',
        'Cost in (1,2',
        "CampaignName in ('a','b')",
        'not not Clicks gt 1',
        'Clicks add 1 eq 2',
        "contains(Cost,'1')",
        'Date eq 2026-06-01T10:00:00Z',
        'groupby((Platform),aggregate(Cost with max as M))',
        'groupby((Date))/filter(Cost gt 1)',
        'Cost desc,Nope',
        'Date,Cost',
        '-1',
        '99999999999',
        'true',
        'e30',
        "Platform eq 'x''y'",
        'Clicks gt 1e99',
      ),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(fc.constantFrom(...names), values), { maxLength: 4 }),
        fc.constantFrom('Facts', 'Restatements', 'Freshness'),
        async (pairs, set) => {
          const qs = new URLSearchParams(pairs.filter(([k]) => k !== 'key')).toString();
          const res = await fetch(`${server.url}/odata/v1/${key}/${set}?${qs}`);
          const text = await res.text();
          expect(res.status, `${set}?${qs}`).toBeLessThan(500);
          if (res.status >= 400) {
            const body = JSON.parse(text) as { error: { code: unknown; message: unknown; details: unknown } };
            expect(typeof body.error.code, qs).toBe('string');
            expect(typeof body.error.message, qs).toBe('string');
            expect(Array.isArray(body.error.details), qs).toBe(true);
          } else {
            expect(Array.isArray((JSON.parse(text) as { value: unknown }).value), qs).toBe(true);
          }
        },
      ),
      { numRuns: 60 },
    );
  }, 120_000);
});
