// Loads racing deletion: a data source deleted while one of its loads is running must leave no fact behind.
import { describe, expect, it } from 'vitest';
import { loadFacts } from './fact-loader';
import { raceDatabase, slowBatches } from './race.test-support';
import { syntheticFacts } from './synthetic-facts';

const race = raceDatabase();

describe('fact loader against deletion', () => {
  it('when its data source is deleted mid-load, the deletion waits for the load and no orphan fact is left', async () => {
    const { src, target } = await race.seedTarget();
    const batches = [...syntheticFacts({ days: 3, rowsPerDay: 200, startDate: '2026-06-01', batchSize: 100 })];
    let deleting: Promise<unknown> | undefined;
    const slow = slowBatches(
      batches,
      () => (deleting = race.admin('DELETE FROM data_sources WHERE id = $1', [src.dataSourceId])),
      30,
    );
    await loadFacts(race.t.db, target, slow).catch(() => {});
    await deleting;
    const [{ n }] = (await race.admin<{ n: string }>(
      'SELECT count(*)::text AS n FROM extracted_data WHERE data_source_id = $1',
      [src.dataSourceId],
    )) as [{ n: string }];
    expect(n).toBe('0');
    // and a load for a source that is gone is refused rather than writing facts nobody owns
    await expect(loadFacts(race.t.db, target, [batches[0]!])).rejects.toThrow(/no longer exists/);
  });
});
