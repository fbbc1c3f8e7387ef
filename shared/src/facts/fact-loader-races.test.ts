// Loads racing deletion: a data source deleted while one of its loads is running must leave no fact behind.
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FactRow } from '../domain/fact-row';
import { seedDataSource } from '../testing/seed';
import { createTestDatabase, type TestDatabase } from '../testing/test-database';
import { loadFacts } from './fact-loader';
import { syntheticFacts } from './synthetic-facts';

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

describe('fact loader against deletion', () => {
  it('when its data source is deleted mid-load, the deletion waits for the load and no orphan fact is left', async () => {
    const src = await seedDataSource(t.adminUrl, { platform: 'google_ads' });
    const batches = [...syntheticFacts({ days: 3, rowsPerDay: 200, startDate: '2026-06-01', batchSize: 100 })];
    let deleting: Promise<unknown> | undefined;
    async function* slow(): AsyncGenerator<FactRow[]> {
      for (const [i, b] of batches.entries()) {
        if (i === 1) deleting = admin('DELETE FROM data_sources WHERE id = $1', [src.dataSourceId]);
        await new Promise((r) => setTimeout(r, 30));
        yield b;
      }
    }
    const target = {
      organizationId: src.organizationId,
      projectId: src.projectId,
      dataSourceId: src.dataSourceId,
      platform: 'google_ads',
    };
    await loadFacts(t.db, target, slow()).catch(() => {});
    await deleting;
    const [{ n }] = (await admin<{ n: string }>(
      'SELECT count(*)::text AS n FROM extracted_data WHERE data_source_id = $1',
      [src.dataSourceId],
    )) as [{ n: string }];
    expect(n).toBe('0');
    // and a load for a source that is gone is refused rather than writing facts nobody owns
    await expect(loadFacts(t.db, target, [batches[0]!])).rejects.toThrow(/no longer exists/);
  });
});
