// Seam: a new month's partition against a real PostgreSQL while a long read of the same fact table is open.
// The partition's ACCESS EXCLUSIVE request on the default partition must not queue the readers that come after.
import { describe, expect, it } from 'vitest';
import { contextStatements } from '../db/database';
import { ensureMonthPartitionsOf } from './month-partitions';
import { raceDatabase } from './race.test-support';

const race = raceDatabase();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('month partitions', () => {
  it('when a long read holds the default partition, creating a month lets the readers after it through', async () => {
    const { src } = await race.seedTarget();
    const read = `SELECT count(*)::int AS n FROM facts WHERE project_id = $1 AND data_date BETWEEN '2024-01-01' AND '2024-12-31'`;
    // a long export: its transaction has read the archive's default partition and is still streaming
    const long = await race.t.db.pool.connect();
    await long.query('BEGIN');
    const ctx = contextStatements({ role: 'app', orgId: src.organizationId });
    await long.query(ctx.text, ctx.values);
    await long.query(read, [src.projectId]);
    let created = false;
    const creating = ensureMonthPartitionsOf(
      race.t.db,
      { role: 'loader' },
      'archived_data',
      '2024-05-01',
      '2024-05-01',
    ).then(() => (created = true));
    try {
      await sleep(300);
      const reader = race.t.db.withClient({ role: 'app', orgId: src.organizationId }, (c) =>
        c.query(read, [src.projectId]),
      );
      const outcome = await Promise.race([reader.then(() => 'read'), sleep(5_000).then(() => 'waited')]);
      expect(outcome).toBe('read');
      // the partition waits for the long read, not the other way round
      expect(created).toBe(false);
    } finally {
      await long.query('COMMIT');
      long.release();
    }
    await creating;
    const [row] = await race.admin<{ part: string | null }>(
      `SELECT to_regclass('archived_data_p202405')::text AS part`,
    );
    expect(row!.part).toBe('archived_data_p202405');
  }, 60_000);
});
