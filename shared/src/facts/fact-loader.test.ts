// Covers the fact loader against the real (embedded) PostgreSQL: its counts, the natural key that replaces
// and never duplicates, unchanged rows left untouched, restatement deltas, new-month partitions,
// all-or-nothing failure, and concurrent loads (windows side by side, overlaps queued, a small pool).
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FactRow } from '../domain/fact-row';
import { createTestDatabase, type TestDatabase } from '../testing/test-database';
import { seedDataSource, type SeededSource } from '../testing/seed';
import { createDatabase } from '../db/database';
import { encodeFactsToTransfer, receiveFactBatch } from './fact-encoder';
import { FactLoadError, loadFactBatches, loadFacts, type FactLoadTarget } from './fact-loader';
import { syntheticFacts } from './synthetic-facts';

let t: TestDatabase;
let admin: pg.Client;

beforeAll(async () => {
  t = await createTestDatabase();
  admin = new pg.Client({ connectionString: t.adminUrl });
  await admin.connect();
});
afterAll(async () => {
  await admin.end();
  await t.drop();
});

const target = (s: SeededSource, job?: string) => ({
  organizationId: s.organizationId,
  projectId: s.projectId,
  dataSourceId: s.dataSourceId,
  platform: s.platform,
  extractionJobId: job ?? null,
});

async function totals(dataSourceId: string) {
  const r = await admin.query(
    `SELECT count(*)::int AS rows, sum(cost)::text AS cost, sum(conversions)::text AS conversions, sum(revenue)::text AS revenue,
            max(updated_at) AS last_update
     FROM extracted_data WHERE data_source_id = $1`,
    [dataSourceId],
  );
  return r.rows[0];
}

describe('loadFacts', () => {
  it('when rows are new, it inserts them all and counts them', async () => {
    const s = await seedDataSource(t.adminUrl);
    const result = await loadFacts(t.db, target(s), syntheticFacts({ days: 10, rowsPerDay: 200 }));
    expect(result).toMatchObject({ read: 2000, inserted: 2000, updated: 0, unchanged: 0, restatements: [] });
    expect((await totals(s.dataSourceId)).rows).toBe(2000);
  });

  it('when names hold characters beyond Latin-1 and one row is larger than a COPY chunk, every row arrives byte for byte', async () => {
    const s = await seedDataSource(t.adminUrl);
    const names = ['Rebajas – Navidad 🎄', '夏季促销', 'Ünïcödé\tand a tab', 'back\\slash\nnew line', 'plain'];
    const huge = 'x'.repeat(300_000) + '€';
    const rows: FactRow[] = Array.from({ length: 3_000 }, (_, i) => ({
      dataType: 'campaign_daily',
      date: `2026-10-${String(1 + (i % 28)).padStart(2, '0')}`,
      accountId: 'acc',
      accountName: names[i % names.length]!,
      campaignId: `c${i}`,
      campaignName: `${names[(i + 1) % names.length]} ${i}`,
      impressions: i,
      clicks: 1,
      cost: '1.50',
      conversions: '0',
      revenue: '0',
      currency: 'EUR',
      extraMetrics: i === 1_234 ? { note: huge } : { n: i },
    }));
    const result = await loadFacts(t.db, target(s), [rows]);
    expect(result).toMatchObject({ read: 3_000, inserted: 3_000 });
    const back = (
      await admin.query(
        `SELECT campaign_id, account_name, campaign_name, extra_metrics FROM extracted_data WHERE data_source_id = $1`,
        [s.dataSourceId],
      )
    ).rows;
    const byId = new Map(back.map((r) => [r.campaign_id, r]));
    for (const row of rows) {
      const got = byId.get(row.campaignId)!;
      expect([got.account_name, got.campaign_name, got.extra_metrics]).toEqual([
        row.accountName,
        row.campaignName,
        row.extraMetrics,
      ]);
    }
  });

  it('when the same rows are loaded again, it rewrites none of them', async () => {
    const s = await seedDataSource(t.adminUrl);
    await loadFacts(t.db, target(s), syntheticFacts({ days: 5, rowsPerDay: 100 }));
    const before = await totals(s.dataSourceId);
    const again = await loadFacts(t.db, target(s), syntheticFacts({ days: 5, rowsPerDay: 100 }));
    expect(again).toMatchObject({ read: 500, inserted: 0, updated: 0, unchanged: 500 });
    const after = await totals(s.dataSourceId);
    expect(after).toEqual(before); // same updated_at: no row was touched
  });

  it('when a day is re-extracted with restated numbers, it replaces them, never counts twice, and reports the deltas', async () => {
    // Prepare
    const s = await seedDataSource(t.adminUrl);
    await loadFacts(t.db, target(s), syntheticFacts({ days: 4, rowsPerDay: 250 }));
    const expectedAfter = { rows: 0, conversions: 0 };
    for (const batch of syntheticFacts({ days: 4, rowsPerDay: 250, changedFraction: 0.05, version: 3 })) {
      for (const r of batch) {
        expectedAfter.rows++;
        expectedAfter.conversions += Number(r.conversions);
      }
    }
    const before = await totals(s.dataSourceId);
    // Act
    const result = await loadFacts(
      t.db,
      target(s),
      syntheticFacts({ days: 4, rowsPerDay: 250, changedFraction: 0.05, version: 3 }),
    );
    // Assess
    const after = await totals(s.dataSourceId);
    expect(result.inserted).toBe(0);
    expect(result.updated).toBeGreaterThan(20);
    expect(result.updated + result.unchanged).toBe(1000);
    expect(after.rows).toBe(1000);
    expect(Number(after.conversions)).toBe(expectedAfter.conversions);
    const movedConversions = result.restatements.reduce((n, d) => n + Number(d.conversionsDelta), 0);
    expect(movedConversions).toBe(Number(after.conversions) - Number(before.conversions));
    expect(movedConversions).toBe(result.updated * 3);
  });

  it('when a campaign is renamed, it updates the same row instead of adding one', async () => {
    const s = await seedDataSource(t.adminUrl);
    const row: FactRow = {
      dataType: 'campaign_daily',
      date: '2026-03-01',
      accountId: '1',
      campaignId: '9',
      campaignName: 'Old',
      cost: '1.50',
      currency: 'EUR',
    };
    await loadFacts(t.db, target(s), [row]);
    const result = await loadFacts(t.db, target(s), [{ ...row, campaignName: 'New' }]);
    expect(result).toMatchObject({ inserted: 0, updated: 1 });
    const r = await admin.query(`SELECT campaign_name, cost::text FROM extracted_data WHERE data_source_id = $1`, [
      s.dataSourceId,
    ]);
    expect(r.rows).toEqual([{ campaign_name: 'New', cost: '1.50' }]);
  });

  it('when one load carries the same key twice, the last version wins and only one row exists', async () => {
    const s = await seedDataSource(t.adminUrl);
    const a: FactRow = { dataType: 'campaign_daily', date: '2026-03-02', campaignId: '7', clicks: 1 };
    const result = await loadFacts(t.db, target(s), [a, { ...a, clicks: 2 }, { ...a, clicks: 3 }, a]);
    expect(result.read).toBe(4);
    const r = await admin.query(`SELECT clicks::int FROM extracted_data WHERE data_source_id = $1`, [s.dataSourceId]);
    expect(r.rows).toEqual([{ clicks: 1 }]);
  });

  it('when rows fall in a month without a partition, it creates the partition and loads them there', async () => {
    const s = await seedDataSource(t.adminUrl);
    const rows: FactRow[] = [
      { dataType: 'campaign_daily', date: '1999-07-04', campaignId: '1', cost: 2 },
      { dataType: 'campaign_daily', date: '2026-03-04', campaignId: '1', cost: 3 },
      { dataType: 'campaign_daily', date: '1999-08-04', campaignId: '1', cost: 4 },
    ];
    const result = await loadFacts(t.db, target(s), rows);
    expect(result.inserted).toBe(3);
    const parts = await admin.query(
      `SELECT tableoid::regclass::text AS part FROM extracted_data WHERE data_source_id = $1 ORDER BY data_date`,
      [s.dataSourceId],
    );
    expect(parts.rows.map((r) => r.part)).toEqual([
      'extracted_data_p199907',
      'extracted_data_p199908',
      'extracted_data_p202603',
    ]);
  });

  it('when a row is malformed halfway, it writes nothing at all and names the row', async () => {
    const s = await seedDataSource(t.adminUrl);
    const good = [...syntheticFacts({ days: 2, rowsPerDay: 50 })].flat();
    const bad = [...good.slice(0, 60), { ...good[60]!, cost: 'twelve' }, ...good.slice(61)];
    const err = await loadFacts(t.db, target(s), bad).catch((e) => e);
    expect(err).toBeInstanceOf(FactLoadError);
    expect(err.message).toMatch(/row 61: cost must be a decimal/);
    expect((await totals(s.dataSourceId)).rows).toBe(0);
    const staging = await admin.query(`SELECT count(*)::int AS n FROM fact_load_staging`);
    expect(staging.rows[0].n).toBe(0);
  });

  it('when restated rows were already staged and a later row is malformed, nothing changes and no staged row is left', async () => {
    const s = await seedDataSource(t.adminUrl);
    await loadFacts(t.db, target(s), syntheticFacts({ days: 2, rowsPerDay: 3_000 }));
    const before = await totals(s.dataSourceId);
    const restated = [...syntheticFacts({ days: 2, rowsPerDay: 3_000, changedFraction: 1, version: 2 })].flat();
    restated[5_500] = { ...restated[5_500]!, clicks: 'many' }; // after the first staging batch of 5,000 went out
    const err = await loadFacts(t.db, target(s), [restated]).catch((e) => e);
    expect(err).toBeInstanceOf(FactLoadError);
    expect(await totals(s.dataSourceId)).toEqual(before);
    expect((await admin.query(`SELECT count(*)::int AS n FROM fact_load_staging`)).rows[0].n).toBe(0);
  });

  it('when facts of two organizations are loaded, the application role sees only its own', async () => {
    const a = await seedDataSource(t.adminUrl);
    const b = await seedDataSource(t.adminUrl);
    await loadFacts(t.db, target(a), [{ dataType: 'd', date: '2026-01-01', campaignId: 'a', cost: 1 }]);
    await loadFacts(t.db, target(b), [{ dataType: 'd', date: '2026-01-01', campaignId: 'b', cost: 1 }]);
    const seen = await t.db.transaction({ orgId: a.organizationId }, (trx) =>
      trx.selectFrom('extractedData').select(['campaignId', 'organizationId']).execute(),
    );
    expect(seen).toEqual([{ campaignId: 'a', organizationId: a.organizationId }]);
  });

  describe('with a declared window', () => {
    const days = (start: string, n: number, dataType = 'campaign_daily'): FactRow[] =>
      [...syntheticFacts({ days: n, rowsPerDay: 40, startDate: start })].flat().map((r) => ({ ...r, dataType }));
    const windowed = (s: SeededSource, start: string, end: string, dataType = 'campaign_daily'): FactLoadTarget => ({
      ...target(s),
      window: { dataType, start, end },
    });
    /**
     * A load held open mid-stream: its rows stop after the first batch until `release()`; `holding` resolves
     * once the loader has taken that batch (so it holds its locks).
     */
    function held(rows: FactRow[]) {
      let release!: () => void;
      let reached!: () => void;
      const released = new Promise<void>((resolve) => (release = resolve));
      const holding = new Promise<void>((resolve) => (reached = resolve));
      async function* source() {
        yield rows.slice(0, 10);
        reached();
        await released;
        yield rows.slice(10);
      }
      return { rows: source(), holding, release };
    }
    /** until another load waits on an advisory lock (a load that never waits fails the test by its timeout) */
    const someoneWaits = async () => {
      while (
        (
          await admin.query(
            `SELECT count(*)::int AS n FROM pg_locks WHERE locktype = 'advisory' AND NOT granted AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`,
          )
        ).rows[0].n === 0
      ) {
        await new Promise((r) => setTimeout(r, 20));
      }
    };

    it('when two windows of one source do not overlap, the second loads while the first is still open', async () => {
      const s = await seedDataSource(t.adminUrl);
      const h = held(days('2026-06-01', 7));
      const first = loadFacts(t.db, windowed(s, '2026-06-01', '2026-06-07'), h.rows);
      await h.holding;
      // the first load holds its days; the second must not wait for it (if it did, it would never finish)
      const second = await loadFacts(t.db, windowed(s, '2026-06-08', '2026-06-14'), days('2026-06-08', 7));
      expect(second.inserted).toBe(280);
      h.release();
      expect((await first).inserted).toBe(280);
      expect((await totals(s.dataSourceId)).rows).toBe(560);
    });

    it('when two windows overlap, the second waits for the first and then finds its rows unchanged', async () => {
      const s = await seedDataSource(t.adminUrl);
      const rows = days('2026-07-01', 5);
      const h = held(rows);
      const first = loadFacts(t.db, windowed(s, '2026-07-01', '2026-07-05'), h.rows);
      await h.holding;
      let secondDone = false;
      const second = loadFacts(
        t.db,
        windowed(s, '2026-07-03', '2026-07-09'),
        rows.filter((r) => r.date >= '2026-07-03'),
      ).finally(() => (secondDone = true));
      await someoneWaits();
      expect(secondDone).toBe(false);
      h.release();
      expect((await first).inserted).toBe(200);
      expect(await second).toMatchObject({ inserted: 0, updated: 0, unchanged: 120 });
      expect((await totals(s.dataSourceId)).rows).toBe(200);
    });

    it('when a load without a window is open, a windowed load of the same source waits for it', async () => {
      const s = await seedDataSource(t.adminUrl);
      const h = held(days('2026-08-01', 3));
      const first = loadFacts(t.db, target(s), h.rows);
      await h.holding;
      const second = loadFacts(t.db, windowed(s, '2026-08-10', '2026-08-12'), days('2026-08-10', 3));
      await someoneWaits();
      h.release();
      expect((await first).inserted).toBe(120);
      expect((await second).inserted).toBe(120);
    });

    it('when a row falls outside the declared window, the load fails naming it and writes nothing', async () => {
      const s = await seedDataSource(t.adminUrl);
      const rows = days('2026-09-01', 3);
      const err = await loadFacts(t.db, windowed(s, '2026-09-01', '2026-09-02'), rows).catch((e) => e);
      expect(err).toBeInstanceOf(FactLoadError);
      expect(err.message).toMatch(/2026-09-03 is outside this load's window/);
      const otherType = await loadFacts(t.db, windowed(s, '2026-09-01', '2026-09-03', 'ad_daily'), rows).catch(
        (e) => e,
      );
      expect(otherType.message).toMatch(/campaign_daily on 2026-09-01 is outside/);
      expect((await totals(s.dataSourceId)).rows).toBe(0);
    });

    it('when more loads run at once than the pool has connection pairs, every one completes', async () => {
      // two connections, three loads held open at once: a loader that needed a second connection while
      // holding its first would leave them all waiting for each other
      const small = createDatabase({ ...t.config, maxConnections: 2 });
      try {
        const s = await seedDataSource(t.adminUrl);
        const holds = [0, 1, 2].map((n) => held(days(`2026-10-${String(1 + n * 5).padStart(2, '0')}`, 5)));
        const loads = holds.map((h, n) =>
          loadFacts(
            small,
            windowed(
              s,
              `2026-10-${String(1 + n * 5).padStart(2, '0')}`,
              `2026-10-${String(5 + n * 5).padStart(2, '0')}`,
            ),
            h.rows,
          ),
        );
        await Promise.race(holds.map((h) => h.holding)); // one load is mid-stream, the others want connections
        for (const h of holds) h.release();
        expect((await Promise.all(loads)).map((r) => r.inserted)).toEqual([200, 200, 200]);
      } finally {
        await small.close();
      }
    });
  });
});

// Rows encoded on another thread (the extract worker's page encoder: every row hashed and written, then
// transferred) give the same table, counts, restatements and errors as rows encoded on the loading thread.
describe('loadFactBatches with batches encoded on another thread (encodeFactsToTransfer)', () => {
  const onThread = (rows: FactRow[]) => receiveFactBatch(encodeFactsToTransfer(rows));
  const encoded = (batches: Iterable<FactRow[]>) => [...batches].map(onThread);
  const contents = async (dataSourceId: string) =>
    (
      await admin.query(
        `SELECT data_type, data_date::text, row_key::text, content_hash::text, account_id, campaign_id, ad_id, account_name, campaign_name, ad_name,
              impressions::text, clicks::text, cost::text, conversions::text, revenue::text, currency, extra_metrics, extra_dimensions
       FROM extracted_data WHERE data_source_id = $1 ORDER BY data_type, data_date, row_key`,
        [dataSourceId],
      )
    ).rows;

  it('when a first load and a restated re-load arrive encoded, the table, counts and restatements equal those of the rows themselves', async () => {
    const plain = await seedDataSource(t.adminUrl);
    const enc = await seedDataSource(t.adminUrl);
    const first = { days: 40, rowsPerDay: 120, startDate: '2026-05-20', batchSize: 700 };
    const restated = { ...first, changedFraction: 0.1, version: 2 };
    // names beyond Latin-1 and characters COPY escapes, so lines are measured in bytes, not characters; and
    // one row longer than a COPY chunk
    const huge = { note: `${'x'.repeat(300_000)}€` };
    const named = (batches: Iterable<FactRow[]>) =>
      [...batches].map((b, n) =>
        b.map((r, i) =>
          n === 2 && i === 5
            ? { ...r, extraMetrics: huge }
            : i % 9 === 0
              ? { ...r, campaignName: `Rebajas – 夏季 🎄\t${i}\\n` }
              : r,
        ),
      );

    const plainFirst = await loadFacts(t.db, target(plain), named(syntheticFacts(first)));
    const encFirst = await loadFactBatches(t.db, target(enc), encoded(named(syntheticFacts(first))));
    expect(encFirst).toEqual(plainFirst);
    expect(encFirst).toMatchObject({ read: 4_800, inserted: 4_800 });
    const plainAgain = await loadFacts(t.db, target(plain), named(syntheticFacts(restated)));
    const encAgain = await loadFactBatches(t.db, target(enc), encoded(named(syntheticFacts(restated))));
    expect(encAgain).toEqual(plainAgain);
    expect(encAgain.updated).toBeGreaterThan(300);
    expect(encAgain.updated + encAgain.unchanged).toBe(4_800);
    expect(await contents(enc.dataSourceId)).toEqual(await contents(plain.dataSourceId));
  });

  it('when an encoded batch stops at a malformed row, the load fails naming that row and writes nothing', async () => {
    const s = await seedDataSource(t.adminUrl);
    const good = [...syntheticFacts({ days: 2, rowsPerDay: 50 })].flat();
    const batch = onThread([...good.slice(0, 60), { ...good[60]!, cost: 'twelve' }, ...good.slice(61)]);
    expect(batch.count).toBe(60);
    const err = await loadFactBatches(t.db, target(s), [onThread(good.slice(0, 10)), batch]).catch((e) => e);
    expect(err).toBeInstanceOf(FactLoadError);
    expect(err.message).toMatch(/row 71: cost must be a decimal/);
    expect((await totals(s.dataSourceId)).rows).toBe(0);
  });

  it('when encoded rows fall outside the declared window, the load fails naming the row and writes nothing', async () => {
    const s = await seedDataSource(t.adminUrl);
    const rows = [...syntheticFacts({ days: 3, rowsPerDay: 20, startDate: '2026-07-01' })].flat();
    const windowed = { ...target(s), window: { dataType: 'ad_daily', start: '2026-07-01', end: '2026-07-02' } };
    const outside = await loadFactBatches(t.db, windowed, [onThread(rows)]).catch((e) => e);
    expect(outside).toBeInstanceOf(FactLoadError);
    expect(outside.message).toMatch(/row 41: ad_daily on 2026-07-03 is outside this load's window/);
    expect((await totals(s.dataSourceId)).rows).toBe(0);
  });
});
