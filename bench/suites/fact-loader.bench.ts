// The fact loader's figures (issue 3): 1,000,000 synthetic fact rows over 90 days on embedded PostgreSQL.
//  - first load through loadFacts vs a plain COPY of the same rows into an empty copy of the table
//  - re-load of the same rows (all unchanged) vs the first load
//  - re-load with 5% restated: exact counts and no duplicates
//  - peak memory of this (the loader's) process during the first load
import { execFile } from 'node:child_process';
import { once } from 'node:events';
import { promisify } from 'node:util';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { loadFacts } from '@tributary/shared/facts/fact-loader';
import { FACT_COPY_COLUMNS, hashFactRow } from '@tributary/shared/facts/row-hash';
import { isRestated, syntheticFacts } from '@tributary/shared/facts/synthetic-facts';
import { seedDataSource } from '@tributary/shared/testing/seed';
import type { BenchSuite } from '../harness';
import { bundleBenchProcess } from '../node-bundle';
import { createScratchDb, type ScratchDb } from '../scratch-db';
import type { LoaderProcessInput, LoaderProcessOutput } from '../fact-loader-process';

const DAYS = 90;
const ROWS_PER_DAY = Number(process.env.BENCH_ROWS_PER_DAY ?? 11_112); // 90 x 11,112 = 1,000,080 rows
const CHANGED = 0.05;
const MB = 1024 * 1024;

const suite: BenchSuite = {
  name: 'fact-loader',
  async run({ adminUrl, log }) {
    const scratch = await createScratchDb(adminUrl, 'bench_fact_loader');
    const admin = new pg.Client({ connectionString: scratch.adminUrl });
    await admin.connect();
    try {
      const source = await seedDataSource(scratch.adminUrl, { platform: 'google_ads' });
      const target = {
        organizationId: source.organizationId,
        projectId: source.projectId,
        dataSourceId: source.dataSourceId,
        platform: source.platform,
      };
      const rows = (version = 0) =>
        syntheticFacts({ days: DAYS, rowsPerDay: ROWS_PER_DAY, changedFraction: CHANGED, version });
      const total = DAYS * ROWS_PER_DAY;

      // The baseline's table: an empty copy of extracted_data with the same indexes and partitions.
      await admin.query(
        `CREATE TABLE bench_copy (LIKE extracted_data INCLUDING DEFAULTS INCLUDING CONSTRAINTS INCLUDING INDEXES) PARTITION BY RANGE (data_date)`,
      );
      const parts = await admin.query<{ m: string }>(
        `SELECT to_char(m, 'YYYY-MM-DD') AS m FROM tributary_partition_months('extracted_data') m`,
      );
      for (const { m } of parts.rows) {
        await admin.query(
          `CREATE TABLE bench_copy_p${m.slice(0, 7).replace('-', '')} PARTITION OF bench_copy FOR VALUES FROM ('${m}') TO (('${m}'::date + interval '1 month')::date)`,
        );
      }
      await admin.query(`CREATE TABLE bench_copy_default PARTITION OF bench_copy DEFAULT`);

      // The first load runs in a loader process of its own (bundled, plain node, as in a Lambda), so that its
      // peak memory is the loader's. It warms itself up first; the COPY baseline is warmed up here.
      const warm = await seedDataSource(scratch.adminUrl, { platform: 'google_ads' });
      const warmTarget = {
        organizationId: warm.organizationId,
        projectId: warm.projectId,
        dataSourceId: warm.dataSourceId,
        platform: warm.platform,
      };
      await plainCopy(
        admin,
        target,
        syntheticFacts({ days: 3, rowsPerDay: Math.min(ROWS_PER_DAY, 5_000), startDate: '2025-01-01' }),
      );
      await admin.query('TRUNCATE bench_copy');

      await admin.query('CHECKPOINT');
      log(`loading ${total} rows through loadFacts in a loader process`);
      const first = await runLoaderProcess({
        url: appUrl(scratch),
        target,
        warmTarget,
        days: DAYS,
        rowsPerDay: ROWS_PER_DAY,
      });
      const firstMs = first.ms;
      if (first.inserted !== total) throw new Error(`first load inserted ${first.inserted}, expected ${total}`);

      await admin.query('CHECKPOINT');
      log('plain COPY of the same rows');
      let t = performance.now();
      await plainCopy(admin, target, rows());
      const copyMs = performance.now() - t;

      await admin.query('CHECKPOINT');
      log('re-load, all unchanged');
      const before = await admin.query(
        `SELECT max(updated_at) AS u, count(*)::int AS n FROM extracted_data WHERE data_source_id = $1`,
        [target.dataSourceId],
      );
      // in a loader process like the first load's: same runtime, same warm-up, same rows
      const unchanged = await runLoaderProcess({
        url: appUrl(scratch),
        target,
        warmTarget,
        days: DAYS,
        rowsPerDay: ROWS_PER_DAY,
      });
      const unchangedMs = unchanged.ms;
      const after = await admin.query(
        `SELECT max(updated_at) AS u, count(*)::int AS n FROM extracted_data WHERE data_source_id = $1`,
        [target.dataSourceId],
      );
      const rewritten =
        unchanged.inserted + unchanged.updated + (String(after.rows[0].u) === String(before.rows[0].u) ? 0 : 1);

      await admin.query('CHECKPOINT');
      log('re-load, 5% restated');
      let expectedChanged = 0;
      for (let d = 0; d < DAYS; d++)
        for (let i = 0; i < ROWS_PER_DAY; i++) if (isRestated(d, i, CHANGED)) expectedChanged++;
      t = performance.now();
      const restated = await loadFacts(scratch.db, target, rows(1));
      const restatedMs = performance.now() - t;
      const count = (
        await admin.query(
          `SELECT count(*)::int AS n, count(DISTINCT (data_type, data_date, row_key))::int AS d FROM extracted_data WHERE data_source_id = $1`,
          [target.dataSourceId],
        )
      ).rows[0];
      const exact =
        restated.updated === expectedChanged &&
        restated.inserted === 0 &&
        restated.unchanged === total - expectedChanged &&
        count.n === total &&
        count.d === total;
      if (!exact)
        log(
          `restated load counts: ${JSON.stringify({ ...restated, restatements: restated.restatements.length })}, expected ${expectedChanged} changed; table ${JSON.stringify(count)}`,
        );

      return [
        {
          figure: `loader first load (${total.toLocaleString('en-US')} rows, ${DAYS} days)`,
          ours: total / (firstMs / 1000),
          baseline: total / (copyMs / 1000),
          unit: 'rows/s',
          ratio: copyMs / firstMs,
          goal: 'ratio >= 0.8 of plain COPY',
        },
        {
          figure: 'loader re-load, all unchanged',
          ours: unchangedMs / 1000,
          baseline: firstMs / 1000,
          unit: 's',
          ratio: firstMs / unchangedMs,
          goal: `>= 3x faster than first load; rows rewritten: ${rewritten} (goal 0)`,
        },
        {
          figure: 'loader re-load, 5% restated',
          ours: restated.updated,
          baseline: expectedChanged,
          unit: 'rows updated',
          ratio: exact ? 1 : 0,
          goal: `exact counts, no duplicates (${exact ? 'exact' : 'MISMATCH'}; ${(restatedMs / 1000).toFixed(2)} s; ${count.n} rows, ${count.d} distinct keys)`,
        },
        {
          figure: 'loader peak memory during first load',
          ours: first.peakRss / MB,
          baseline: first.restingRss / MB,
          unit: 'MB',
          ratio: first.peakRss / first.restingRss,
          goal: 'peak RSS < 256 MB (baseline: the loader process at rest, after its warm-up)',
        },
      ];
    } finally {
      await admin.end();
      await scratch.close();
    }
  },
};
export default suite;

/** The baseline: the same rows, formatted the same way, COPYed straight into the copy table. */
async function plainCopy(
  client: pg.Client,
  target: { organizationId: string; projectId: string; dataSourceId: string; platform: string },
  rows: Iterable<readonly import('@tributary/shared/domain/fact-row').FactRow[]>,
) {
  const suffix = `\t${target.organizationId}\t${target.projectId}\t${target.dataSourceId}\t${target.platform}\t\\N\n`;
  const stream = client.query(copyFrom(`COPY bench_copy (${FACT_COPY_COLUMNS.join(', ')}) FROM STDIN`));
  const done = new Promise<void>((resolve, reject) => {
    stream.once('finish', resolve);
    stream.once('error', reject);
  });
  let pending = '';
  for (const batch of rows) {
    for (const row of batch) {
      pending += hashFactRow(row).line + suffix;
      if (pending.length >= 256 * 1024) {
        const ok = stream.write(pending);
        pending = '';
        if (!ok) await once(stream, 'drain');
      }
    }
  }
  stream.end(pending);
  await done;
}

function appUrl(scratch: ScratchDb): string {
  const options = scratch.db.pool.options as { connectionString?: string };
  if (!options.connectionString) throw new Error('scratch database has no connection string');
  return options.connectionString;
}

/** Runs bench/fact-loader-process.ts as a bundle with plain node; returns what it measured. */
async function runLoaderProcess(input: LoaderProcessInput): Promise<LoaderProcessOutput> {
  const bundle = await bundleBenchProcess('fact-loader-process.ts');
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [bundle.file, JSON.stringify(input)], {
      maxBuffer: 1 << 20,
    });
    if (stderr) process.stderr.write(stderr);
    return JSON.parse(stdout.trim().split('\n').pop()!) as LoaderProcessOutput;
  } finally {
    await bundle.dispose();
  }
}
