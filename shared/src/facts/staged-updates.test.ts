// The staged updates against the real (embedded) PostgreSQL: changed rows are staged in batches and applied
// by one UPDATE that returns how much the numbers moved per day; the last version of a key wins; a row staged
// with the content already stored changes nothing; staging is left empty.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { contextStatements } from '../db/database';
import type { FactRow } from '../domain/fact-row';
import { seedDataSource, type SeededSource } from '../testing/seed';
import { createTestDatabase, type TestDatabase } from '../testing/test-database';
import { encodeFacts } from './fact-encoder';
import { loadFacts } from './fact-loader';
import { LoadConnection } from './load-connection';
import { STAGE_BATCH_ROWS, StagedUpdates, type RestatementDelta } from './staged-updates';
import { syntheticFacts } from './synthetic-facts';

let t: TestDatabase;
let admin: pg.Client;
beforeAll(async () => {
  t = await createTestDatabase();
  admin = new pg.Client({ connectionString: t.adminUrl });
  await admin.connect();
});
afterAll(async () => {
  await admin?.end();
  await t?.drop();
});

const target = (s: SeededSource) => ({
  organizationId: s.organizationId,
  projectId: s.projectId,
  dataSourceId: s.dataSourceId,
  platform: s.platform,
});
const columns = (s: SeededSource) =>
  Buffer.from(`\t${s.organizationId}\t${s.projectId}\t${s.dataSourceId}\t${s.platform}\t\\N\n`);

/** stages every row of `rows` and applies them, committed */
async function stageAndApply(
  s: SeededSource,
  rows: FactRow[],
  onFlush?: () => Promise<void>,
): Promise<RestatementDelta[]> {
  const client = await t.db.pool.connect();
  try {
    await client.query('BEGIN');
    const ctx = contextStatements({ role: 'loader', orgId: s.organizationId });
    await client.query(ctx.text, ctx.values);
    const staged = new StagedUpdates(new LoadConnection(client), crypto.randomUUID(), columns(s));
    const batch = encodeFacts(rows);
    for (let i = 0; i < batch.count; i++) {
      const wait = staged.stage(batch, i);
      if (wait) {
        await wait;
        await onFlush?.();
      }
    }
    expect(staged.rows).toBe(rows.length);
    const deltas = await staged.apply(s.dataSourceId);
    await client.query('COMMIT');
    return deltas;
  } catch (err) {
    await client.query('ROLLBACK');
    throw err;
  } finally {
    client.release();
  }
}
const staging = async () => Number((await admin.query('SELECT count(*) FROM fact_load_staging')).rows[0].count);

describe('staged updates', () => {
  it('when restated rows are staged over more than one batch, they replace the stored ones and the deltas add up per day', async () => {
    const s = await seedDataSource(t.adminUrl);
    const opts = { days: 3, rowsPerDay: 2_500, startDate: '2026-02-01' };
    await loadFacts(t.db, target(s), syntheticFacts(opts));
    const restated = [...syntheticFacts({ ...opts, changedFraction: 1, version: 2 })].flat();
    let flushed = 0;
    const deltas = await stageAndApply(s, restated, async () => {
      flushed++;
      expect(await staging()).toBe(0); // not visible outside the load's transaction
    });
    expect(flushed).toBe(Math.floor(restated.length / STAGE_BATCH_ROWS));
    expect(deltas.map((d) => [d.date, d.rowsChanged, d.conversionsDelta])).toEqual([
      ['2026-02-01', 2_500, '5000'],
      ['2026-02-02', 2_500, '5000'],
      ['2026-02-03', 2_500, '5000'],
    ]);
    const stored = (
      await admin.query(
        `SELECT count(*)::int AS n, sum(conversions)::text AS c FROM extracted_data WHERE data_source_id = $1`,
        [s.dataSourceId],
      )
    ).rows[0];
    expect(stored).toEqual({ n: 7_500, c: String(restated.reduce((n, r) => n + Number(r.conversions), 0)) });
    expect(await staging()).toBe(0);
  });

  it('when a key is staged twice, the last version wins; a row staged with its stored content changes nothing', async () => {
    const s = await seedDataSource(t.adminUrl);
    const a: FactRow = { dataType: 'campaign_daily', date: '2026-03-02', campaignId: '7', clicks: 1, cost: '2.00' };
    const b: FactRow = { ...a, campaignId: '8' };
    await loadFacts(t.db, target(s), [a, b]);
    const deltas = await stageAndApply(s, [{ ...a, clicks: 5 }, { ...a, clicks: 3, cost: '2.50' }, b]);
    expect(deltas).toEqual([
      {
        date: '2026-03-02',
        dataType: 'campaign_daily',
        rowsChanged: 1,
        impressionsDelta: '0',
        clicksDelta: '2',
        costDelta: '0.50',
        conversionsDelta: '0',
        revenueDelta: '0',
      },
    ]);
    const rows = (
      await admin.query(
        `SELECT campaign_id, clicks::int, cost::text FROM extracted_data WHERE data_source_id = $1 ORDER BY campaign_id`,
        [s.dataSourceId],
      )
    ).rows;
    expect(rows).toEqual([
      { campaign_id: '7', clicks: 3, cost: '2.50' },
      { campaign_id: '8', clicks: 1, cost: '2.00' },
    ]);
  });
});
