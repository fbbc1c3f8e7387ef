// The webhook's figures (issue 7), on 1,000,000 synthetic fact rows over 90 days:
//  - CSV export of every row through the webhook (real HTTP, a separate server process) against
//    COPY (the same query) TO STDOUT WITH CSV on the same database, as the same role;
//  - the webhook process's peak resident memory during that export (goal: under 256 MB);
//  - a 90-day summary by platform and campaign through the webhook against the same SQL run directly.
// Each timing is the best of two runs, taken after one warm-up run, so neither side pays for a cold cache.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import pg from 'pg';
import { to as copyTo } from 'pg-copy-streams';
import { loadFacts } from '@tributary/shared/facts/fact-loader';
import { addDays, syntheticFacts } from '@tributary/shared/facts/synthetic-facts';
import { seedDataSource } from '@tributary/shared/testing/seed';
import { asCopyStatement, buildFactQuery, compile, type QueryScope } from '@tributary/functions/data/query-builder';
import { DataQuerySchema } from '@tributary/functions/data/query.schemas';
import { createWebhook } from '@tributary/functions/webhooks/webhook.repository';
import type { BenchFigure, BenchSuite } from '../harness';
import { bundleBenchProcess } from '../node-bundle';
import { createScratchDb } from '../scratch-db';

const DAYS = 90;
// BENCH_ROWS sets the total (spread over the 90 days), BENCH_ROWS_PER_DAY the daily count; a smaller scale
// is for a quick run on a loaded machine, the figures the issue asks for are at the default 1M
const ROWS_PER_DAY = process.env.BENCH_ROWS
  ? Math.max(1, Math.round(Number(process.env.BENCH_ROWS) / DAYS))
  : Number(process.env.BENCH_ROWS_PER_DAY ?? 11_112); // 90 x 11,112 = 1,000,080 rows
const START = '2026-06-01';
const END = addDays(START, DAYS - 1);
const MB = 1024 * 1024;
const MEMORY_LIMIT_MB = 256;

/** The webhook server in its own process, so its memory is measured alone. */
export async function startServerProcess(
  databaseUrl: string,
  secret: Buffer,
  maxConnections = 4,
): Promise<{ url: string; peakRssMb(): Promise<number>; stop(): Promise<void> }> {
  const bundle = await bundleBenchProcess('webhook-server-process.ts');
  const child = spawn(process.execPath, [bundle.file], {
    env: {
      ...process.env,
      BENCH_DB_URL: databaseUrl,
      BENCH_SECRET: secret.toString('base64'),
      BENCH_DB_MAX_CONNECTIONS: String(maxConnections),
    },
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  child.once('exit', () => void bundle.dispose());
  const lines: string[] = [];
  const waiters: ((line: string) => void)[] = [];
  let buffered = '';
  child.stdout.on('data', (d: Buffer) => {
    buffered += d.toString();
    let i;
    while ((i = buffered.indexOf('\n')) >= 0) {
      const line = buffered.slice(0, i);
      buffered = buffered.slice(i + 1);
      const w = waiters.shift();
      if (w) w(line);
      else lines.push(line);
    }
  });
  const nextLine = () =>
    new Promise<string>((resolve) => (lines.length ? resolve(lines.shift()!) : waiters.push(resolve)));
  const { url } = JSON.parse(await nextLine()) as { url: string };
  return {
    url,
    peakRssMb: async () => {
      child.stdin.write('rss\n');
      return (JSON.parse(await nextLine()) as { maxRssKb: number }).maxRssKb / 1024;
    },
    stop: async () => {
      child.stdin.write('stop\n');
      await once(child, 'exit');
    },
  };
}

async function drainHttp(url: string): Promise<{ ms: number; bytes: number }> {
  const t = performance.now();
  const res = await fetch(url);
  if (res.status !== 200) throw new Error(`webhook answered ${res.status}: ${await res.text()}`);
  let bytes = 0;
  for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) bytes += chunk.length;
  return { ms: performance.now() - t, bytes };
}

async function best<T extends { ms: number }>(runs: number, fn: () => Promise<T>): Promise<T> {
  let winner: T | undefined;
  for (let i = 0; i < runs; i++) {
    const r = await fn();
    if (!winner || r.ms < winner.ms) winner = r;
  }
  return winner!;
}

const suite: BenchSuite = {
  name: 'webhooks',
  async run({ adminUrl, log }) {
    const scratch = await createScratchDb(adminUrl, 'bench_webhooks');
    const admin = new pg.Client({ connectionString: scratch.adminUrl });
    await admin.connect();
    let server: Awaited<ReturnType<typeof startServerProcess>> | undefined;
    try {
      const source = await seedDataSource(scratch.adminUrl, { platform: 'google_ads' });
      const total = DAYS * ROWS_PER_DAY;
      log(`loading ${total} fact rows`);
      await loadFacts(
        scratch.db,
        {
          organizationId: source.organizationId,
          projectId: source.projectId,
          dataSourceId: source.dataSourceId,
          platform: source.platform,
        },
        syntheticFacts({ days: DAYS, rowsPerDay: ROWS_PER_DAY, startDate: START }),
      );
      for (let d = 0; d < DAYS; d++) {
        await admin.query(
          `INSERT INTO fx_rates (rate_date, base_currency, quote_currency, rate) VALUES ($1, 'EUR', 'USD', $2)`,
          [addDays(START, d), (1.05 + d / 1000).toFixed(4)],
        );
      }
      await admin.query('VACUUM ANALYZE extracted_data');
      const { key } = await scratch.db.transaction({ orgId: source.organizationId }, (trx) =>
        createWebhook(
          trx,
          { organizationId: source.organizationId, projectId: source.projectId, userId: null },
          {
            name: 'bench',
            allowedDataSources: [],
            scope: { filters: [] },
            outputFormat: 'csv',
            rateLimitPerHour: 100_000,
            expiresAt: null,
          },
        ),
      );
      const appUrl = new URL(scratch.adminUrl);
      appUrl.username = 'tributary_bench';
      appUrl.password = 'bench';
      server = await startServerProcess(appUrl.toString(), randomBytes(32));
      const restingRssMb = await server.peakRssMb();

      // the query both sides run: every row, money converted to the project's USD with each day's rate
      const scope: QueryScope = {
        organizationId: source.organizationId,
        projectId: source.projectId,
        from: START,
        to: END,
        filters: [],
        currency: 'USD',
      };
      // aggregate=none without dimensions: every dimension of a fact row, as the direct query below (same builder, same
      // columns)
      const exportUrl = `${server.url}/webhook/v1/${key}/data?start_date=${START}&end_date=${END}&aggregate=none&format=csv`;
      const exportQuery = buildFactQuery(
        DataQuerySchema.parse({ date_range: { start_date: START, end_date: END }, aggregation: 'none' }),
        scope,
        { spreadsheetSafeText: true },
      );
      const copyOnce = () =>
        scratch.db.withClient({ orgId: source.organizationId, role: 'app' }, async (client) => {
          const { copy, settings } = asCopyStatement(compile(exportQuery.rows, scratch.db.kysely));
          const t = performance.now();
          if (settings) await client.query(settings.text, settings.values);
          let bytes = 0;
          for await (const chunk of client.query(
            copyTo(`COPY (${copy}) TO STDOUT WITH (FORMAT csv)`),
          ) as AsyncIterable<Buffer>)
            bytes += chunk.length;
          return { ms: performance.now() - t, bytes };
        });

      if (process.env.BENCH_EXPLAIN) {
        // diagnosis: the plan of the export query as COPY runs it, and the first lines of both outputs
        await scratch.db.withClient({ orgId: source.organizationId, role: 'app' }, async (client) => {
          const { copy, settings } = asCopyStatement(compile(exportQuery.rows, scratch.db.kysely));
          if (settings) await client.query(settings.text, settings.values);
          const plan = await client.query<{ 'QUERY PLAN': string }>(`EXPLAIN (ANALYZE, BUFFERS) ${copy}`);
          log(plan.rows.map((r) => r['QUERY PLAN']).join('\n'));
        });
        const res = await fetch(exportUrl);
        log(`webhook head: ${JSON.stringify([...res.headers])}\n${(await res.text()).slice(0, 400)}`);
      }
      log('warm-up: webhook CSV export and COPY');
      await drainHttp(exportUrl);
      await copyOnce();
      log('CSV export: COPY TO STDOUT');
      const copy = await best(2, copyOnce);
      log('CSV export: through the webhook');
      const hook = await best(2, () => drainHttp(exportUrl));
      const peakRssMb = await server.peakRssMb();
      if (Math.abs(hook.bytes - copy.bytes) > 1024 + copy.bytes * 0.02)
        throw new Error(`the webhook sent ${hook.bytes} bytes and COPY ${copy.bytes}: they are not the same query`);
      log(
        `export: webhook ${hook.ms.toFixed(0)} ms (${(hook.bytes / MB).toFixed(1)} MB), COPY ${copy.ms.toFixed(0)} ms (${(copy.bytes / MB).toFixed(1)} MB); webhook process RSS ${restingRssMb.toFixed(0)} MB at rest, ${peakRssMb.toFixed(0)} MB peak`,
      );

      const summaryUrl = `${server.url}/webhook/v1/${key}/summary?start_date=${START}&end_date=${END}&dimensions=platform,campaign&format=csv`;
      const summaryQuery = buildFactQuery(
        DataQuerySchema.parse({
          date_range: { start_date: START, end_date: END },
          aggregation: 'total',
          dimensions: ['platform', 'campaign'],
        }),
        scope,
      );
      const directOnce = () =>
        scratch.db.withClient({ orgId: source.organizationId, role: 'app' }, async (client) => {
          const { text, values } = compile(summaryQuery.rows, scratch.db.kysely);
          const t = performance.now();
          const r = await client.query(text, values);
          return { ms: performance.now() - t, rows: r.rowCount ?? 0 };
        });
      log('warm-up: summary');
      await drainHttp(summaryUrl);
      await directOnce();
      const direct = await best(2, directOnce);
      const summary = await best(2, () => drainHttp(summaryUrl));
      log(`summary: webhook ${summary.ms.toFixed(0)} ms, direct SQL ${direct.ms.toFixed(0)} ms (${direct.rows} rows)`);

      const figures: BenchFigure[] = [
        {
          figure: `CSV export of ${total} rows through the webhook vs COPY TO STDOUT (same query)`,
          ours: round(hook.ms),
          baseline: round(copy.ms),
          unit: 'ms',
          ratio: round(copy.ms / hook.ms, 3),
          goal: 'ratio >= 0.5',
        },
        {
          figure: 'webhook process peak RSS during the export',
          ours: round(peakRssMb),
          baseline: MEMORY_LIMIT_MB,
          unit: 'MB',
          ratio: round(MEMORY_LIMIT_MB / peakRssMb, 3),
          goal: `peak < ${MEMORY_LIMIT_MB} MB (ratio > 1)`,
        },
        {
          figure: '90-day summary by platform and campaign through the webhook vs the same SQL',
          ours: round(summary.ms),
          baseline: round(direct.ms),
          unit: 'ms',
          ratio: round(direct.ms / summary.ms, 3),
          goal: 'ratio >= 0.7',
        },
      ];
      return figures;
    } finally {
      await server?.stop().catch(() => {});
      await admin.end();
      await scratch.close();
    }
  },
};

function round(n: number, digits = 0): number {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}

export default suite;
