// Retention racing a load: a restatement being loaded while retention moves its month to the archive must
// not be lost (retention takes the loader's data-source locks and waits for the load), and readers of the facts
// must not wait for either.
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { loadFacts } from '@tributary/shared/facts/fact-loader';
import { heldBatches, raceDatabase, slowBatches } from '@tributary/shared/facts/race.test-support';
import { syntheticFacts } from '@tributary/shared/facts/synthetic-facts';
import { createWebhook } from '../webhooks/webhook.repository';
import { startWebhookServer } from '../webhooks/webhook-server';
import { moveToWarmArchive } from './retention';

const race = raceDatabase();
const admin = race.admin;

describe('retention against a running load', () => {
  it('when a month moves to the archive while its restatement is loading, the archive holds the restated numbers', async () => {
    const { src, target } = await race.seedTarget();
    const opts = { days: 5, rowsPerDay: 100, startDate: '2025-01-01', batchSize: 100, changedFraction: 1 };
    await loadFacts(race.t.db, target, [...syntheticFacts({ ...opts, version: 0 })]);
    const restated = [...syntheticFacts({ ...opts, version: 3 })];
    let moving: Promise<unknown> | undefined;
    const slow = slowBatches(
      restated,
      () =>
        (moving = moveToWarmArchive(
          race.t.db,
          { organizationId: src.organizationId, projectId: src.projectId },
          '2025-06-01',
        )),
      40,
    );
    await loadFacts(race.t.db, target, slow);
    await moving;
    const expected = restated.flat().reduce((n, r) => n + Number(r.conversions), 0);
    const [row] = await admin<{ hot: string; warm: string; conv: string }>(
      `SELECT (SELECT count(*) FROM extracted_data WHERE data_source_id = $1)::text AS hot, (SELECT count(*) FROM archived_data WHERE data_source_id = $1)::text AS warm,
              (SELECT sum(conversions) FROM archived_data WHERE data_source_id = $1)::text AS conv`,
      [src.dataSourceId],
    );
    expect(row).toEqual({ hot: '0', warm: '500', conv: String(expected) });
  });

  it('when retention waits for a running load, downloads of the same facts stream without waiting for either', async () => {
    // retention created the month's archive partition inside the transaction that then waited for the load:
    // ATTACH PARTITION holds ACCESS EXCLUSIVE on the archive's default partition, which every read of a range
    // the archive has no partition for scans, so each webhook request waited for the load (reliability load figure)
    const { src, target } = await race.seedTarget();
    const opts = { days: 20, rowsPerDay: 50, startDate: '2025-03-01', batchSize: 50 };
    await loadFacts(race.t.db, target, [...syntheticFacts({ ...opts, version: 0 })]);
    const { key } = await race.t.db.transaction({ orgId: src.organizationId }, (trx) =>
      createWebhook(
        trx,
        { organizationId: src.organizationId, projectId: src.projectId, userId: null },
        {
          name: 'race',
          allowedDataSources: [],
          scope: { filters: [] },
          outputFormat: 'csv',
          rateLimitPerHour: 100_000,
          expiresAt: null,
        },
      ),
    );
    const server = await startWebhookServer({
      db: race.t.db,
      signingSecret: randomBytes(32),
      maxConcurrentPerWebhook: 100,
    });
    // a restatement whose load holds the source's lock until it is released
    const restated = [...syntheticFacts({ ...opts, version: 1 })];
    const load = heldBatches(restated);
    const loading = loadFacts(race.t.db, target, load.batches);
    let moving: Promise<unknown> | undefined;
    try {
      await load.held;
      moving = moveToWarmArchive(
        race.t.db,
        { organizationId: src.organizationId, projectId: src.projectId },
        '2025-06-01',
      );
      for (let i = 0; i < 200; i++) {
        const [w] = await admin<{ n: string }>(
          `SELECT count(*)::text AS n FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND wait_event = 'advisory'`,
        );
        if (w!.n !== '0') break;
        await new Promise((r) => setTimeout(r, 25));
      }
      const range = 'start_date=2025-03-01&end_date=2025-03-20&currency=native';
      const urls = Array.from(
        { length: 8 },
        (_, i) =>
          `${server.url}/webhook/v1/${key}/${i % 2 ? 'summary' : 'data'}?${range}&format=${i % 4 < 2 ? 'csv' : 'json'}`,
      );
      const downloads = Promise.all(urls.map((u) => fetch(u).then(async (r) => (await r.arrayBuffer(), r.status))));
      const outcome = await Promise.race([
        downloads,
        new Promise<'waited'>((r) => setTimeout(() => r('waited'), 10_000)),
      ]);
      // what the downloads wait for, if they do
      const waits =
        outcome === 'waited'
          ? await admin(
              `SELECT l.mode, c.relname, pg_blocking_pids(l.pid) AS blockers FROM pg_locks l JOIN pg_class c ON c.oid = l.relation WHERE NOT l.granted`,
            )
          : [];
      expect(outcome, JSON.stringify(waits)).toEqual(urls.map(() => 200));
    } finally {
      load.release();
      await loading;
      await moving;
      await server.close();
    }
    const [row] = await admin<{ hot: string; warm: string; conv: string }>(
      `SELECT (SELECT count(*) FROM extracted_data WHERE data_source_id = $1)::text AS hot, (SELECT count(*) FROM archived_data WHERE data_source_id = $1)::text AS warm,
              (SELECT sum(conversions) FROM archived_data WHERE data_source_id = $1)::text AS conv`,
      [src.dataSourceId],
    );
    const conv = restated.flat().reduce((n, r) => n + Number(r.conversions), 0);
    expect(row).toEqual({ hot: '0', warm: '1000', conv: String(conv) });
  }, 60_000);
});
