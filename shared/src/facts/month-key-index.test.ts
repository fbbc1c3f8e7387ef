// The month's key index against the real (embedded) PostgreSQL: what a data source already has is read a
// month at a time and classifies rows as new, changed or unchanged; a window reads only its own days; the
// next month is read ahead.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type pg from 'pg';
import { contextStatements } from '../db/database';
import type { FactRow } from '../domain/fact-row';
import { seedDataSource, type SeededSource } from '../testing/seed';
import { createTestDatabase, type TestDatabase } from '../testing/test-database';
import { encodeFacts } from './fact-encoder';
import { loadFacts, type FactLoadWindow } from './fact-loader';
import { LoadConnection } from './load-connection';
import { MonthKeyIndex, RowFate } from './month-key-index';
import { syntheticFacts } from './synthetic-facts';

let t: TestDatabase;
beforeAll(async () => {
  t = await createTestDatabase();
});
afterAll(async () => {
  await t?.drop();
});

const target = (s: SeededSource) => ({
  organizationId: s.organizationId,
  projectId: s.projectId,
  dataSourceId: s.dataSourceId,
  platform: s.platform,
});
const facts = (start: string, days: number): FactRow[] =>
  [...syntheticFacts({ days, rowsPerDay: 30, startDate: start })].flat();

/** an index on a connection in the loader's role, inside a transaction that is rolled back */
async function withIndex<T>(
  s: SeededSource,
  window: FactLoadWindow | null,
  use: (keys: MonthKeyIndex, conn: LoadConnection) => Promise<T>,
): Promise<T> {
  const client: pg.PoolClient = await t.db.pool.connect();
  try {
    await client.query('BEGIN');
    const ctx = contextStatements({ role: 'loader', orgId: s.organizationId });
    await client.query(ctx.text, ctx.values);
    const conn = new LoadConnection(client);
    const keys = new MonthKeyIndex(conn, {
      dataSourceId: s.dataSourceId,
      window,
      hasPartition: () => true,
      prepareMonth: async () => {},
    });
    const result = await use(keys, conn);
    await conn.idle();
    return result;
  } finally {
    await client.query('ROLLBACK');
    client.release();
  }
}

/** each row's fate, in order */
async function classifyAll(keys: MonthKeyIndex, rows: FactRow[]): Promise<RowFate[]> {
  const batch = encodeFacts(rows);
  const fates: RowFate[] = [];
  let i = 0;
  for (const run of batch.runs) {
    const scope = await keys.scope(run.dataType, run.date);
    for (; i < run.end; i++) fates.push(keys.classify(scope, batch.hashes, i));
  }
  return fates;
}
const tally = (fates: RowFate[]) => ({
  new: fates.filter((f) => f === RowFate.New).length,
  changed: fates.filter((f) => f === RowFate.Changed).length,
  unchanged: fates.filter((f) => f === RowFate.Unchanged).length,
});

describe('month key index', () => {
  it('when a source has rows, the same rows are unchanged, restated ones changed and the others new', async () => {
    const s = await seedDataSource(t.adminUrl);
    await loadFacts(t.db, target(s), facts('2026-04-28', 6));
    const rows = facts('2026-04-28', 8).map((r, i) => (i % 10 === 3 ? { ...r, clicks: 999_999 } : r));
    const fates = await withIndex(s, null, (keys) => classifyAll(keys, rows));
    // 6 days x 30 rows were there; one row in ten of them restated; the last 2 days new
    expect(tally(fates)).toEqual({ new: 60, changed: 18, unchanged: 162 });
    expect(fates[3]).toBe(RowFate.Changed);
    expect(fates[200]).toBe(RowFate.New);
  });

  it('when one load carries a key twice, the second version is changed against the first, and the same again unchanged', async () => {
    const s = await seedDataSource(t.adminUrl);
    const a: FactRow = { dataType: 'campaign_daily', date: '2026-03-02', campaignId: '7', clicks: 1 };
    const fates = await withIndex(s, null, (keys) =>
      classifyAll(keys, [a, { ...a, clicks: 2 }, { ...a, clicks: 2 }, a]),
    );
    expect(fates).toEqual([RowFate.New, RowFate.Changed, RowFate.Unchanged, RowFate.Changed]);
  });

  it("when the load has a window, only the window's days of its data type are read", async () => {
    const s = await seedDataSource(t.adminUrl);
    const may = facts('2026-05-01', 10);
    await loadFacts(t.db, target(s), may);
    const window = { dataType: 'ad_daily', start: '2026-05-03', end: '2026-05-05' };
    const fates = await withIndex(s, window, async (keys) => {
      await keys.readAhead('2026-05', '2026-05');
      // rows of days outside the window are not in the index: they would be new (the loader refuses them)
      return classifyAll(keys, may.slice(30, 150)); // 2026-05-02 to 05
    });
    expect(tally(fates.slice(0, 30))).toEqual({ new: 30, changed: 0, unchanged: 0 });
    expect(tally(fates.slice(30))).toEqual({ new: 0, changed: 0, unchanged: 90 });
  });

  it("when a month's rows start before its keys were read, the week from that day is read first, then the rest", async () => {
    const s = await seedDataSource(t.adminUrl);
    const may = facts('2026-05-01', 31);
    await loadFacts(t.db, target(s), may);
    await withIndex(s, null, async (keys, conn) => {
      await keys.scope('ad_daily', '2026-05-10');
      expect(keys.size).toBe(7 * 30); // May 10 to 16
      expect(conn.busy).toBe(true); // the rest of May is on its way
      expect(typeof keys.scope('ad_daily', '2026-05-16')).toBe('number');
      expect(typeof keys.scope('ad_daily', '2026-05-17')).not.toBe('number');
      // every day, before and after the first week, classifies against what is stored
      expect(tally(await classifyAll(keys, may))).toEqual({ new: 0, changed: 0, unchanged: 31 * 30 });
    });
  });

  it("when a month's rows start, the next month is read ahead and its rows then need no wait", async () => {
    const s = await seedDataSource(t.adminUrl);
    await loadFacts(t.db, target(s), facts('2026-08-30', 34)); // to October 2
    await withIndex(s, null, async (keys, conn) => {
      expect(typeof keys.scope('ad_daily', '2026-08-30')).not.toBe('number'); // August is read first
      await keys.scope('ad_daily', '2026-08-30');
      expect(conn.busy).toBe(true); // September's read is on its way
      await conn.idle();
      expect(keys.size).toBe(2 * 30 + 30 * 30);
      expect(typeof keys.scope('ad_daily', '2026-09-01')).toBe('number');
      expect(conn.busy).toBe(true); // and, September's rows started, October's
      await conn.idle();
      expect(typeof keys.scope('ad_daily', '2026-10-01')).toBe('number');
      expect(keys.size).toBe(34 * 30);
    });
  });
});
