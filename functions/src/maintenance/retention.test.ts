// Covers retention against the real PostgreSQL and the S3 stand-in: hot facts past the hot window go warm
// and stay queryable through the `facts` view, warm months past the archive window go to S3 with a
// manifest, and a restore brings back exactly the rows that left; a tampered object is refused.
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { S3BlobStore } from '@tributary/shared/adapters/s3-blob-store';
import { s3Client } from '@tributary/shared/config/adapters';
import { loadFacts } from '@tributary/shared/facts/fact-loader';
import { syntheticFacts } from '@tributary/shared/facts/synthetic-facts';
import { freePort } from '@tributary/shared/local/embedded-postgres';
import { startS3rver, type S3rverHandle } from '@tributary/shared/local/s3rver';
import { seedDataSource, type SeededSource } from '@tributary/shared/testing/seed';
import { createTestDatabase, type TestDatabase } from '@tributary/shared/testing/test-database';
import { RetentionCheckError, restoreFromObjectStore, runRetention } from './retention';

const BUCKET = 'archive-test';
let t: TestDatabase;
let admin: pg.Client;
let s3: S3rverHandle;
let dir: string;
let blobs: S3BlobStore;
let source: SeededSource;

// 2023-11-01 .. 2026-03-31, 4 rows a day; "today" is 2026-04-01 with the default windows (90 days, 730 days)
const TODAY = '2026-04-01';
const facts = () => syntheticFacts({ days: 882, rowsPerDay: 4, startDate: '2023-11-01' });
const snapshot = async (where: string) =>
  (
    await admin.query(`SELECT md5(string_agg(row_to_json(x)::text, '|' ORDER BY data_type, data_date, row_key)) AS digest, count(*)::int AS n
                      FROM (SELECT data_source_id, data_type, data_date, account_id, account_name, campaign_id, campaign_name, ad_group_id, ad_group_name, ad_id, ad_name,
                                   extra_dimensions, impressions, clicks, cost, conversions, revenue, currency, extra_metrics, row_key, content_hash, updated_at
                            FROM facts WHERE ${where}) x`)
  ).rows[0] as { digest: string; n: number };

beforeAll(async () => {
  t = await createTestDatabase();
  admin = new pg.Client({ connectionString: t.adminUrl });
  await admin.connect();
  dir = await mkdtemp(path.join(os.tmpdir(), 'tributary-retention-'));
  s3 = await startS3rver({ port: await freePort(), directory: dir, buckets: [BUCKET] });
  blobs = new S3BlobStore(
    s3Client({
      kind: 's3',
      region: 'us-east-1',
      endpoint: s3.endpoint,
      forcePathStyle: true,
      archiveBucket: BUCKET,
      rawBucket: BUCKET,
    }),
  );
  source = await seedDataSource(t.adminUrl);
  await loadFacts(
    t.db,
    {
      organizationId: source.organizationId,
      projectId: source.projectId,
      dataSourceId: source.dataSourceId,
      platform: source.platform,
    },
    facts(),
  );
});
afterAll(async () => {
  await s3?.stop();
  await admin?.end();
  await t?.drop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('retention', () => {
  let coldBefore: { digest: string; n: number };
  let warmBefore: { digest: string; n: number };
  let allBefore: { digest: string; n: number };

  it('when the daily job runs, old facts move warm and older months go to S3, each with a checked manifest', async () => {
    allBefore = await snapshot('true');
    coldBefore = await snapshot(`data_date < '2024-04-01'`);
    warmBefore = await snapshot(`data_date >= '2024-04-01' AND data_date < '2026-01-01'`);
    expect(allBefore.n).toBe(882 * 4);

    const run = await runRetention(t.db, blobs, { bucket: BUCKET, today: TODAY });

    // hot: from 2026-01-01 (90 days before 2026-04-01) on
    const hot = await admin.query(`SELECT min(data_date)::text AS first, count(*)::int AS n FROM extracted_data`);
    expect(hot.rows[0]).toEqual({ first: '2026-01-01', n: 90 * 4 });
    // cold: whole months before April 2024 (730 days before today is 2024-04-01)
    expect(run.cold.map((c) => c.month)).toEqual(['2023-11', '2023-12', '2024-01', '2024-02', '2024-03']);
    expect(run.cold.reduce((n, c) => n + c.rows, 0)).toBe(coldBefore.n);
    const manifests = await admin.query(
      `SELECT object_key, row_count::int, checksum_sha256 FROM archive_manifests WHERE project_id = $1 ORDER BY range_start`,
      [source.projectId],
    );
    expect(manifests.rows).toHaveLength(5);
    for (const m of manifests.rows) expect(await blobs.head(BUCKET, m.object_key)).not.toBeNull();
    // warm: still there, still read through the view, unchanged
    expect(await snapshot(`data_date >= '2024-04-01' AND data_date < '2026-01-01'`)).toEqual(warmBefore);
    expect((await snapshot(`data_date < '2024-04-01'`)).n).toBe(0);
  }, 300_000); // ~30 monthly moves and 5 uploads: minutes on a loaded CI machine

  it('when run again the same day, it moves nothing', async () => {
    const again = await runRetention(t.db, blobs, { bucket: BUCKET, today: TODAY });
    expect(again.warm).toEqual([]);
    expect(again.cold).toEqual([]);
  });

  it('when a range is restored, exactly the rows that left come back, and the daily job leaves them warm', async () => {
    const restored = await restoreFromObjectStore(
      t.db,
      blobs,
      { organizationId: source.organizationId, projectId: source.projectId },
      { start: '2023-11-01', end: '2024-03-31' },
    );
    expect(restored.map((r) => r.month)).toEqual(['2023-11', '2023-12', '2024-01', '2024-02', '2024-03']);
    expect(await snapshot(`data_date < '2024-04-01'`)).toEqual(coldBefore);
    expect(await snapshot('true')).toEqual(allBefore);
    const again = await runRetention(t.db, blobs, { bucket: BUCKET, today: TODAY });
    expect(again.cold).toEqual([]);
  });

  it('when a hot row is re-extracted for a day that is also warm, the view counts the newer one once', async () => {
    const row = (
      await admin.query(
        `SELECT data_type, data_date::text AS d, account_id, campaign_id, ad_group_id, ad_id FROM archived_data WHERE data_date = '2025-06-01' LIMIT 1`,
      )
    ).rows[0];
    const before = await snapshot(`data_date = '2025-06-01'`);
    await loadFacts(
      t.db,
      {
        organizationId: source.organizationId,
        projectId: source.projectId,
        dataSourceId: source.dataSourceId,
        platform: source.platform,
      },
      [
        {
          dataType: row.data_type,
          date: row.d,
          accountId: row.account_id,
          campaignId: row.campaign_id,
          adGroupId: row.ad_group_id,
          adId: row.ad_id,
          cost: '1.23',
          currency: 'USD',
        },
      ],
    );
    const after = await snapshot(`data_date = '2025-06-01'`);
    expect(after.n).toBe(before.n);
    const cost = await admin.query(`SELECT cost::text FROM facts WHERE data_date = '2025-06-01' AND ad_id = $1`, [
      row.ad_id,
    ]);
    expect(cost.rows).toEqual([{ cost: '1.23' }]);
  });

  it('when an archived object was altered, the restore refuses it and writes nothing', async () => {
    const other = await seedDataSource(t.adminUrl);
    await loadFacts(
      t.db,
      {
        organizationId: other.organizationId,
        projectId: other.projectId,
        dataSourceId: other.dataSourceId,
        platform: other.platform,
      },
      syntheticFacts({ days: 10, rowsPerDay: 5, startDate: '2023-01-01' }),
    );
    const run = await runRetention(t.db, blobs, { bucket: BUCKET, today: TODAY });
    const archived = run.cold.find((c) => c.projectId === other.projectId)!;
    expect(archived.rows).toBe(50);
    await blobs.put(BUCKET, archived.objectKey, Buffer.from('not what was written'));
    const err = await restoreFromObjectStore(
      t.db,
      blobs,
      { organizationId: other.organizationId, projectId: other.projectId },
      { start: '2023-01-01', end: '2023-01-31' },
    ).catch((e) => e);
    expect(err).toBeInstanceOf(RetentionCheckError);
    expect(
      (await admin.query(`SELECT count(*)::int AS n FROM archived_data WHERE project_id = $1`, [other.projectId]))
        .rows[0].n,
    ).toBe(0);
  });
});
