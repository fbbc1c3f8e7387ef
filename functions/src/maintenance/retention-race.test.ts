// Retention racing a load: a restatement being loaded while retention moves its month to the archive must
// not be lost (retention takes the loader's data-source locks and waits for the load).
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FactRow } from '@tributary/shared/domain/fact-row';
import { loadFacts } from '@tributary/shared/facts/fact-loader';
import { syntheticFacts } from '@tributary/shared/facts/synthetic-facts';
import { seedDataSource } from '@tributary/shared/testing/seed';
import { createTestDatabase, type TestDatabase } from '@tributary/shared/testing/test-database';
import { moveToWarmArchive } from './retention';

let t: TestDatabase;
beforeAll(async () => {
  t = await createTestDatabase();
});
afterAll(async () => {
  await t?.drop();
});

async function admin<T extends pg.QueryResultRow>(text: string, values: unknown[] = []): Promise<T[]> {
  const c = new pg.Client({ connectionString: t.adminUrl });
  await c.connect();
  try {
    return (await c.query<T>(text, values)).rows;
  } finally {
    await c.end();
  }
}

describe('retention against a running load', () => {
  it('when a month moves to the archive while its restatement is loading, the archive holds the restated numbers', async () => {
    const src = await seedDataSource(t.adminUrl, { platform: 'google_ads' });
    const target = {
      organizationId: src.organizationId,
      projectId: src.projectId,
      dataSourceId: src.dataSourceId,
      platform: 'google_ads',
    };
    const opts = { days: 5, rowsPerDay: 100, startDate: '2025-01-01', batchSize: 100, changedFraction: 1 };
    await loadFacts(t.db, target, [...syntheticFacts({ ...opts, version: 0 })]);
    const restated = [...syntheticFacts({ ...opts, version: 3 })];
    let moving: Promise<unknown> | undefined;
    async function* slow(): AsyncGenerator<FactRow[]> {
      for (const [i, b] of restated.entries()) {
        if (i === 1)
          moving = moveToWarmArchive(
            t.db,
            { organizationId: src.organizationId, projectId: src.projectId },
            '2025-06-01',
          );
        await new Promise((r) => setTimeout(r, 40));
        yield b;
      }
    }
    await loadFacts(t.db, target, slow());
    await moving;
    const expected = restated.flat().reduce((n, r) => n + Number(r.conversions), 0);
    const [row] = await admin<{ hot: string; warm: string; conv: string }>(
      `SELECT (SELECT count(*) FROM extracted_data WHERE data_source_id = $1)::text AS hot, (SELECT count(*) FROM archived_data WHERE data_source_id = $1)::text AS warm,
              (SELECT sum(conversions) FROM archived_data WHERE data_source_id = $1)::text AS conv`,
      [src.dataSourceId],
    );
    expect(row).toEqual({ hot: '0', warm: '500', conv: String(expected) });
  });
});
