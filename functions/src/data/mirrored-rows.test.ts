// Seam: the query builder's rule for rows that mirror another platform's numbers (Metricool's Facebook Ads and
// Google Ads campaigns, extra_dimensions.native_platform), through streamData on a real PostgreSQL under RLS.
// Such a row counts only while the project has no data source of its native platform, or when asked for alone.
import { Writable } from 'node:stream';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FactRow } from '@tributary/shared/domain/fact-row';
import { loadFacts } from '@tributary/shared/facts/fact-loader';
import { seedDataSource, type SeededSource } from '@tributary/shared/testing/seed';
import { createTestDatabase, type TestDatabase } from '@tributary/shared/testing/test-database';
import { DataQuerySchema, type DataQueryInput } from './query.schemas';
import { streamData } from './stream-data';

const DAY = '2026-06-01';
let tdb: TestDatabase;
let src: SeededSource;

class Collector extends Writable {
  chunks: Buffer[] = [];
  override _write(chunk: Buffer, _e: BufferEncoding, cb: () => void) {
    this.chunks.push(Buffer.from(chunk));
    cb();
  }
}

/** cost (or another metric) by platform, as the overview asks for it */
async function costByPlatform(
  input: Partial<DataQueryInput> = {},
  metric: 'cost' | 'impressions' = 'cost',
): Promise<Record<string, string>> {
  const out = new Collector();
  await streamData(
    tdb.db,
    {
      organizationId: src.organizationId,
      projectId: src.projectId,
      query: DataQuerySchema.parse({
        date_range: { start_date: DAY, end_date: DAY },
        aggregation: 'total',
        dimensions: ['platform'],
        metrics: [metric],
        currency: 'native',
        ...input,
      }),
      format: 'json',
    },
    { head: () => out },
  );
  const rows = (JSON.parse(Buffer.concat(out.chunks).toString()) as { rows: Record<string, string | number>[] }).rows;
  return Object.fromEntries(rows.map((r) => [r.platform, String(r[metric])]));
}

async function addSource(platform: string): Promise<string> {
  const c = new pg.Client({ connectionString: tdb.adminUrl });
  await c.connect();
  try {
    return (
      await c.query(
        `INSERT INTO data_sources (organization_id, project_id, credential_id, platform, source_name, extraction_config, schedule_config)
       VALUES ($1, $2, $3, $4, $5, '{}', '{}') RETURNING id`,
        [src.organizationId, src.projectId, src.credentialId, platform, `${platform} source`],
      )
    ).rows[0].id as string;
  } finally {
    await c.end();
  }
}

const campaign = (network: string, nativePlatform: string | null, cost: string): FactRow => ({
  dataType: 'ad_campaigns_daily',
  date: DAY,
  accountId: '4210001',
  accountName: 'Tienda Norte',
  campaignId: `${network}-1`,
  campaignName: network,
  extraDimensions: { network, native_platform: nativePlatform },
  impressions: 1000,
  clicks: 10,
  cost,
  conversions: 1,
  revenue: '50',
  currency: 'EUR',
});

beforeAll(async () => {
  tdb = await createTestDatabase();
  src = await seedDataSource(tdb.adminUrl, { platform: 'metricool' });
  await loadFacts(
    tdb.db,
    {
      organizationId: src.organizationId,
      projectId: src.projectId,
      dataSourceId: src.dataSourceId,
      platform: 'metricool',
    },
    [
      campaign('facebookads', 'meta_ads', '100.25'),
      campaign('googleads', 'google_ads', '40.50'),
      campaign('tiktokads', null, '7.05'),
    ],
  );
});
afterAll(async () => {
  await tdb?.drop();
});

describe('rows that mirror a native platform', () => {
  it('when the project has no native source, Metricool counts its Facebook, Google and TikTok Ads spend', async () => {
    expect(await costByPlatform()).toEqual({ metricool: '147.8' });
  });

  it("when the project also has a Meta Ads source, Metricool's Facebook Ads rows leave the totals; asked for alone, they come back", async () => {
    const metaSource = await addSource('meta_ads');
    await loadFacts(
      tdb.db,
      { organizationId: src.organizationId, projectId: src.projectId, dataSourceId: metaSource, platform: 'meta_ads' },
      [
        {
          dataType: 'campaign_daily',
          date: DAY,
          accountId: 'act_1',
          campaignId: '2385',
          impressions: 900,
          clicks: 9,
          cost: '100.25',
          conversions: 1,
          revenue: '50',
          currency: 'EUR',
        },
      ],
    );
    expect(await costByPlatform()).toEqual({ meta_ads: '100.25', metricool: '47.55' });
    expect(await costByPlatform({ platforms: ['metricool'] })).toEqual({ metricool: '147.8' });
    // a Meta Ads source in the query's platforms is what hides them
    expect(await costByPlatform({ platforms: ['metricool', 'google_ads'] })).toEqual({ metricool: '147.8' });
    await addSource('google_ads');
    expect(await costByPlatform()).toEqual({ meta_ads: '100.25', metricool: '7.05' });
  });

  it("when the project has an Instagram source, Metricool's Instagram timeline leaves the impressions total; Facebook's organic one stays", async () => {
    const social = (network: string, nativePlatform: string | null, impressions: number): FactRow => ({
      dataType: 'account_timeline_daily',
      date: DAY,
      accountId: '4210001',
      accountName: 'Tienda Norte',
      extraDimensions: { network, native_platform: nativePlatform },
      impressions,
      extraMetrics: { followers: '1200' },
    });
    await loadFacts(
      tdb.db,
      {
        organizationId: src.organizationId,
        projectId: src.projectId,
        dataSourceId: src.dataSourceId,
        platform: 'metricool',
      },
      [social('instagram', 'instagram', 500), social('facebook', null, 300)],
    );
    // tiktokads 1000 + instagram 500 + facebook 300 (facebookads and googleads are out since their sources exist)
    expect((await costByPlatform({}, 'impressions')).metricool).toBe('1800');
    await addSource('instagram');
    expect((await costByPlatform({}, 'impressions')).metricool).toBe('1300');
    expect((await costByPlatform({ platforms: ['metricool'] }, 'impressions')).metricool).toBe('3800');
  });
});
