// Seam: streamData (query builder + preflight + format writers) against a real migrated PostgreSQL, as the
// application role under RLS, with facts loaded through the real fact loader and rates in fx_rates.
import { Writable } from 'node:stream';
import ExcelJS from 'exceljs';
import { XMLParser } from 'fast-xml-parser';
import Papa from 'papaparse';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadFacts } from '@tributary/shared/facts/fact-loader';
import { syntheticFacts, addDays } from '@tributary/shared/facts/synthetic-facts';
import { seedDataSource, type SeededSource } from '@tributary/shared/testing/seed';
import { createTestDatabase, type TestDatabase } from '@tributary/shared/testing/test-database';
import { AppError } from '@tributary/shared/domain/errors';
import { DataQuerySchema, OUTPUT_FORMATS, type DataQueryInput, type OutputFormat } from './query.schemas';
import { streamData, type DataRequest } from './stream-data';
import { FORMULA_START, xmlSafeText } from './formats/spreadsheet-safety';

const EVIL = '=HYPERLINK("http://evil","x")';
// what a spreadsheet still runs as a formula (leading spaces, full-width signs, an ideographic space), and
// control characters XML 1.0 forbids
const HOSTILE = [
  ' =1+1',
  '\uff1dHYPERLINK("http://evil")',
  '\uff0b1',
  '\uff0d1',
  '\uff20SUM(A1)',
  '\u3000=2*3',
  '\t-1',
  'ok\u0001\u0008\u000bname\ufffe',
];
const FORMULA_HOSTILE = HOSTILE.slice(0, -1);
const START = '2026-06-01';
const DAYS = 10;

let tdb: TestDatabase;
let src: SeededSource;

class Collector extends Writable {
  chunks: Buffer[] = [];
  override _write(chunk: Buffer, _e: BufferEncoding, cb: () => void) {
    this.chunks.push(Buffer.from(chunk));
    cb();
  }
  get body() {
    return Buffer.concat(this.chunks);
  }
}

async function run(input: DataQueryInput, format: OutputFormat, extra: Partial<DataRequest> = {}) {
  const out = new Collector();
  let status = 0;
  let headers: Record<string, string> = {};
  const summary = await streamData(
    tdb.db,
    {
      organizationId: src.organizationId,
      projectId: src.projectId,
      query: DataQuerySchema.parse(input),
      format,
      ...extra,
    },
    { head: (s, h) => ((status = s), (headers = h), out) },
  );
  return { status, headers, body: out.body, summary };
}

async function adminQuery<T extends pg.QueryResultRow>(text: string, values: unknown[] = []): Promise<T[]> {
  const c = new pg.Client({ connectionString: tdb.adminUrl });
  await c.connect();
  try {
    return (await c.query<T>(text, values)).rows;
  } finally {
    await c.end();
  }
}

beforeAll(async () => {
  tdb = await createTestDatabase();
  src = await seedDataSource(tdb.adminUrl, { platform: 'google_ads' });
  const rows = [...syntheticFacts({ days: DAYS, rowsPerDay: 40, startDate: START })].flat();
  // an outside campaign name that is a formula, with a refund (a negative cost) that must stay a number
  rows.push({
    dataType: 'ad_daily',
    date: START,
    accountId: '1',
    accountName: 'A',
    campaignId: '666',
    campaignName: EVIL,
    adGroupId: '1',
    adGroupName: '-1+1',
    adId: '1',
    adName: '@SUM(A1)',
    impressions: 10,
    clicks: 0,
    cost: '-12.50',
    conversions: 0,
    revenue: 0,
    currency: 'USD',
  });
  HOSTILE.forEach((name, i) =>
    rows.push({
      dataType: 'ad_daily',
      date: START,
      accountId: '1',
      accountName: 'A',
      campaignId: `77${i}`,
      campaignName: name,
      adGroupId: '1',
      adGroupName: 'g',
      adId: `9${i}`,
      adName: 'a',
      impressions: 1,
      clicks: 0,
      cost: '1.00',
      conversions: 0,
      revenue: 0,
      currency: 'USD',
    }),
  );
  await loadFacts(
    tdb.db,
    {
      organizationId: src.organizationId,
      projectId: src.projectId,
      dataSourceId: src.dataSourceId,
      platform: src.platform,
    },
    rows,
  );
  // ECB-style rates: EUR base, quoted in USD
  for (let d = 0; d < DAYS; d++) {
    await adminQuery(
      `INSERT INTO fx_rates (rate_date, base_currency, quote_currency, rate) VALUES ($1, 'EUR', 'USD', $2)`,
      [addDays(START, d), (1.08 + d / 1000).toFixed(4)],
    );
  }
});
afterAll(async () => {
  await tdb?.drop();
});

const range = { start_date: START, end_date: addDays(START, DAYS - 1) };

describe('streamData', () => {
  it('when the total is converted to USD, it matches a direct SQL sum with the day rates to the cent', async () => {
    const { body, headers } = await run(
      { date_range: range, aggregation: 'total', dimensions: [], metrics: ['cost', 'revenue', 'clicks'] },
      'json',
    );
    const json = JSON.parse(body.toString());
    const [expected] = await adminQuery<{ cost: string; revenue: string; clicks: string }>(
      `SELECT round(sum(f.cost * CASE WHEN f.currency = 'USD' THEN 1 ELSE r.rate END), 2)::text AS cost,
              round(sum(f.revenue * CASE WHEN f.currency = 'USD' THEN 1 ELSE r.rate END), 2)::text AS revenue, sum(f.clicks)::text AS clicks
       FROM extracted_data f LEFT JOIN fx_rates r ON r.rate_date = f.data_date AND r.base_currency = f.currency AND r.quote_currency = 'USD'
       WHERE f.project_id = $1`,
      [src.projectId],
    );
    expect(json.rows).toHaveLength(1);
    expect(json.rows[0].cost.toFixed(2)).toBe(expected!.cost);
    expect(json.rows[0].revenue.toFixed(2)).toBe(expected!.revenue);
    expect(String(json.rows[0].clicks)).toBe(expected!.clicks);
    expect(json.meta.currency).toBe('USD');
    expect(json.meta.fx_rates_used[0]).toMatchObject({ currency: 'EUR', method: 'direct', days: DAYS });
    expect(headers['x-tributary-fx-rates']).toContain('EUR->USD');
  });

  it('when converting to EUR, it uses the inverse of the EUR→USD quote and still agrees with SQL', async () => {
    const { body } = await run(
      {
        date_range: range,
        aggregation: 'total',
        dimensions: ['platform'],
        metrics: ['cost'],
        currency: 'EUR',
        filters: [{ field: 'campaign_name', op: 'contains', value: 'brand' }],
      },
      'json',
    );
    const json = JSON.parse(body.toString());
    const [expected] = await adminQuery<{ cost: string }>(
      `SELECT round(sum(f.cost * CASE WHEN f.currency = 'EUR' THEN 1 ELSE 1 / r.rate END), 2)::text AS cost
       FROM extracted_data f LEFT JOIN fx_rates r ON r.rate_date = f.data_date AND r.base_currency = 'EUR' AND r.quote_currency = f.currency
       WHERE f.project_id = $1 AND f.campaign_name ILIKE '%brand%'`,
      [src.projectId],
    );
    expect(json.rows[0].cost.toFixed(2)).toBe(expected!.cost);
    expect(json.meta.fx_rates_used[0].method).toBe('inverse');
  });

  it('when a day has no rate, it refuses with FX_RATE_MISSING naming the day and the currency, before any byte', async () => {
    let headed = false;
    const err = await streamData(
      tdb.db,
      {
        organizationId: src.organizationId,
        projectId: src.projectId,
        query: DataQuerySchema.parse({ date_range: range, currency: 'GBP' }),
        format: 'csv',
      },
      { head: () => ((headed = true), new Collector()) },
    ).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AppError);
    expect((err as AppError).code).toBe('FX_RATE_MISSING');
    expect((err as AppError).details).toMatchObject({ date: START, target_currency: 'GBP' });
    expect(headed).toBe(false);
  });

  it('when money stays native, it groups by currency instead of adding euros to dollars', async () => {
    const { body } = await run(
      { date_range: range, aggregation: 'total', dimensions: ['platform'], metrics: ['cost'], currency: 'native' },
      'json',
    );
    const json = JSON.parse(body.toString());
    expect(json.rows.map((r: { currency: string }) => r.currency).sort()).toEqual(['EUR', 'USD']);
  });

  it('when derived metrics are asked for, they are ratios of sums and a zero denominator is empty', async () => {
    const { body } = await run(
      {
        date_range: range,
        aggregation: 'total',
        dimensions: ['campaign'],
        metrics: ['clicks', 'impressions', 'ctr', 'cpc'],
        currency: 'native',
        filters: [{ field: 'campaign_id', op: 'in', value: ['666', '2000'] }],
      },
      'json',
    );
    const rows = JSON.parse(body.toString()).rows as Record<string, number | null>[];
    const evil = rows.find((r) => r.campaign_id === ('666' as never))!;
    expect(evil.cpc).toBeNull();
    for (const r of rows.filter((x) => x.campaign_id !== ('666' as never))) {
      expect(r.ctr).toBeCloseTo(r.clicks! / r.impressions!, 6);
    }
  });

  it('when every format is parsed strictly, each holds the same rows and the formula campaign is inert', async () => {
    const q: DataQueryInput = {
      date_range: { start_date: START, end_date: START },
      aggregation: 'none',
      metrics: ['impressions', 'cost'],
      currency: 'native',
      sort: [{ field: 'ad_id', direction: 'asc' }],
    };
    const reference = JSON.parse((await run(q, 'json')).body.toString());
    const expected: string[][] = reference.rows.map((r: Record<string, unknown>) =>
      reference.columns.map((c: { key: string; type: string }) => (r[c.key] === null ? '' : String(r[c.key]))),
    );
    const evilIndex = reference.columns.findIndex((c: { key: string }) => c.key === 'campaign_name');
    const costIndex = reference.columns.findIndex((c: { key: string }) => c.key === 'cost');
    const evilRow = expected.findIndex((r) => r[evilIndex] === EVIL);
    expect(evilRow).toBeGreaterThanOrEqual(0);
    const inert = (s: string) => expect(s.startsWith("'=")).toBe(true);
    const hostileRows = HOSTILE.map((name) => expected.findIndex((r) => r[evilIndex] === name));
    expect(hostileRows.every((i) => i >= 0)).toBe(true);
    const allInert = (rows: string[][]) =>
      FORMULA_HOSTILE.forEach((name, k) =>
        expect(rows[hostileRows[k]!]![evilIndex], JSON.stringify(name)).toBe(`'${name}`),
      );

    for (const format of OUTPUT_FORMATS) {
      const { body, headers } = await run(q, format, { bom: format === 'csv' });
      expect(headers['content-type']).toBeTruthy();
      let cells: string[][];
      if (format === 'csv' || format === 'tsv') {
        const text = body.toString('utf8');
        if (format === 'csv') expect(text.charCodeAt(0)).toBe(0xfeff);
        const parsed = Papa.parse<string[]>(text.replace(/^\uFEFF/, ''), {
          delimiter: format === 'csv' ? ',' : '\t',
          newline: '\r\n',
          skipEmptyLines: true,
        });
        expect(parsed.errors).toEqual([]);
        cells = parsed.data.slice(1);
        inert(cells[evilRow]![evilIndex]!);
        allInert(cells);
      } else if (format === 'json') {
        cells = expected;
      } else if (format === 'ndjson') {
        const lines = body
          .toString()
          .trim()
          .split('\n')
          .map((l) => JSON.parse(l) as Record<string, unknown>);
        cells = lines.map((r) =>
          reference.columns.map((c: { key: string }) => (r[c.key] === null ? '' : String(r[c.key]))),
        );
      } else if (format === 'xml') {
        const parser = new XMLParser({
          parseTagValue: false,
          trimValues: false,
          ignoreAttributes: false,
          isArray: (name) => name === 'row',
        });
        const doc = parser.parse(body.toString(), true);
        cells = (doc.data.row as Record<string, string>[]).map((r) =>
          reference.columns.map((c: { key: string }) => String(r[c.key] ?? '')),
        );
      } else if (format === 'html') {
        const html = body.toString();
        const rows = [...html.matchAll(/<tr>(.*?)<\/tr>/g)].slice(1);
        cells = rows.map((m) =>
          [...m[1]!.matchAll(/<td>(.*?)<\/td>/gs)].map((c) =>
            c[1]!
              .replace(/&quot;/g, '"')
              .replace(/&#39;/g, "'")
              .replace(/&lt;/g, '<')
              .replace(/&gt;/g, '>')
              .replace(/&amp;/g, '&'),
          ),
        );
        inert(cells[evilRow]![evilIndex]!);
        allInert(cells);
      } else {
        const wb = new ExcelJS.Workbook();
        await wb.xlsx.load(body as never);
        const sheet = wb.getWorksheet('Data')!;
        cells = [];
        sheet.eachRow((row, n) => {
          if (n === 1) return;
          const values = (row.values as ExcelJS.CellValue[]).slice(1);
          cells.push(
            reference.columns.map((c: { type: string }, i: number) => {
              const v = values[i];
              if (v === null || v === undefined) return '';
              if (c.type === 'date') {
                expect(v).toBeInstanceOf(Date);
                return (v as Date).toISOString().slice(0, 10);
              }
              if (c.type === 'text') {
                expect(typeof v).toBe('string');
                return String(v);
              }
              expect(typeof v).toBe('number');
              return String(v);
            }),
          );
        });
        // XLSX keeps the name as it is (no visible apostrophe): a text cell in the Text format is never a formula
        for (const [k, name] of HOSTILE.entries()) {
          const cell = sheet.getRow(hostileRows[k]! + 2).getCell(evilIndex + 1);
          expect(cell.value, JSON.stringify(name)).toBe(xmlSafeText(name));
          expect(cell.type).toBe(ExcelJS.ValueType.String);
          expect(cell.numFmt).toBe('@');
        }
        expect(cells[evilRow]![evilIndex]).toBe(EVIL);
        expect(sheet.getRow(evilRow + 2).getCell(costIndex + 1).type).toBe(ExcelJS.ValueType.Number);
      }
      // the same rows in every format; text that looked like a formula differs only by its leading quote
      const normalize = (rows: string[][]) =>
        rows.map((r) =>
          r.map((v, i) =>
            reference.columns[i].type === 'text'
              ? v.startsWith("'") && FORMULA_START.test(v.slice(1))
                ? v.slice(1)
                : v
              : reference.columns[i].type === 'date'
                ? v
                : v === ''
                  ? ''
                  : String(Number(v)),
          ),
        );
      // XML drops the characters XML 1.0 forbids; everything else is the same
      const fromXml = (rows: string[][]) =>
        format === 'xml' || format === 'xlsx' ? rows.map((r) => r.map(xmlSafeText)) : rows;
      expect(normalize(cells), format).toEqual(normalize(fromXml(expected)));
      if (format === 'xml' || format === 'xlsx')
        expect(cells[hostileRows[HOSTILE.length - 1]!]![evilIndex]).toBe('okname');
      // the refund stays a negative number, not neutralized text
      expect(Number(cells[evilRow]![costIndex]), format).toBe(-12.5);
    }
  }, 240_000);

  it('when a result would pass the sheet limit, it refuses with RESULT_TOO_LARGE and suggests aggregation', async () => {
    const err = await run({ date_range: range, aggregation: 'none' }, 'csv', { maxRows: 100 }).catch((e: unknown) => e);
    expect((err as AppError).code).toBe('RESULT_TOO_LARGE');
    expect((err as AppError).message).toMatch(/aggregate/);
    // aggregated, the same range fits
    const ok = await run({ date_range: range, aggregation: 'daily', dimensions: ['date'] }, 'csv', { maxRows: 100 });
    expect(ok.status).toBe(200);
  });

  it('when If-None-Match carries the current ETag, it answers 304; after new data, 200 with a new ETag', async () => {
    const q = { date_range: range, aggregation: 'daily' as const, dimensions: ['date' as const] };
    const first = await run(q, 'csv');
    expect(first.headers['cache-control']).toContain('no-cache');
    const again = await run(q, 'csv', { ifNoneMatch: first.summary.etag });
    expect(again.status).toBe(304);
    expect(again.body.length).toBe(0);
    await adminQuery(
      `UPDATE extracted_data SET clicks = clicks + 1, updated_at = now() WHERE project_id = $1 AND data_date = $2 AND campaign_id = '666'`,
      [src.projectId, START],
    );
    const after = await run(q, 'csv', { ifNoneMatch: first.summary.etag });
    expect(after.status).toBe(200);
    expect(after.summary.etag).not.toBe(first.summary.etag);
  });

  it('when paging with limit and cursor, pages join up to the whole result', async () => {
    const q = {
      date_range: range,
      aggregation: 'daily' as const,
      dimensions: ['date' as const, 'campaign' as const],
      limit: 7,
    };
    const all = JSON.parse((await run({ ...q, limit: 10_000 }, 'json')).body.toString()).rows;
    const seen: unknown[] = [];
    let cursor: string | undefined;
    for (let i = 0; i < 100; i++) {
      const page = JSON.parse((await run({ ...q, cursor }, 'json')).body.toString());
      seen.push(...page.rows);
      if (!page.next_cursor) break;
      cursor = page.next_cursor;
    }
    expect(seen).toEqual(all);
  });
});
