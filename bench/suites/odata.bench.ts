// The OData feed's figures (issue 22), on 1,000,000 synthetic fact rows over 100 days:
//  - every Facts row read through the feed's pages (real HTTP to a separate server process, following
//    @odata.nextLink as Power Query does) against one COPY (the same rows, columns and order) TO STDOUT;
//  - the feed process's peak resident memory, after the first tenth of the pages and after all of them
//    (flat: the same high-water mark whatever the number of rows read).
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { to as copyTo } from 'pg-copy-streams';
import { loadFacts } from '@tributary/shared/facts/fact-loader';
import { addDays, syntheticFacts } from '@tributary/shared/facts/synthetic-facts';
import { seedDataSource } from '@tributary/shared/testing/seed';
import { asCopyStatement, buildFactQuery, compile } from '@tributary/functions/data/query-builder';
import { DEFAULT_PAGE_ROWS, pageCopy, planFacts } from '@tributary/functions/webhooks/odata/odata-facts';
import { parseODataOptions } from '@tributary/functions/webhooks/odata/odata-query';
import { createWebhook } from '@tributary/functions/webhooks/webhook.repository';
import type { BenchFigure, BenchSuite } from '../harness';
import { createScratchDb } from '../scratch-db';
import { startServerProcess } from './webhooks.bench';

// 100 days of 10,000 rows: exactly the 1,000,000 the issue names (BENCH_ROWS for a smaller run)
const DAYS = 100;
const ROWS_PER_DAY = process.env.BENCH_ROWS
  ? Math.max(1, Math.round(Number(process.env.BENCH_ROWS) / DAYS))
  : Number(process.env.BENCH_ROWS_PER_DAY ?? 10_000);
const START = '2026-06-01';
const END = addDays(START, DAYS - 1);
const MB = 1024 * 1024;
const MEMORY_LIMIT_MB = 256;

/** Reads a feed from its first page to its last, as Power Query does; calls `onPage` after each. */
async function readFeed(
  url: string,
  onPage?: (page: number) => Promise<void>,
): Promise<{ ms: number; bytes: number; rows: number; pages: number }> {
  const t = performance.now();
  let next: string | undefined = url;
  let bytes = 0;
  let rows = 0;
  let pages = 0;
  while (next) {
    const res = await fetch(next);
    if (res.status !== 200) throw new Error(`the feed answered ${res.status}: ${await res.text()}`);
    const text = await res.text();
    bytes += Buffer.byteLength(text);
    // the next link is the last member of the page object; its rows are counted by their opening brace
    const m = /,"@odata\.nextLink":("[^"]*")\}$/.exec(text);
    next = m ? (JSON.parse(m[1]!) as string) : undefined;
    rows += (text.match(/\{"Date"/g) ?? []).length;
    pages++;
    await onPage?.(pages);
  }
  return { ms: performance.now() - t, bytes, rows, pages };
}

const suite: BenchSuite = {
  name: 'odata',
  async run({ adminUrl, log }) {
    const scratch = await createScratchDb(adminUrl, 'bench_odata');
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
      await admin.query('VACUUM ANALYZE extracted_data');
      const { key } = await scratch.db.transaction({ orgId: source.organizationId }, (trx) =>
        createWebhook(
          trx,
          { organizationId: source.organizationId, projectId: source.projectId, userId: null },
          {
            name: 'bench',
            allowedDataSources: [],
            scope: { filters: [] },
            outputFormat: 'json',
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

      // the baseline: the feed's own query (every Facts column, natural-key order) as one COPY, with its
      // dates as literals as the feed's pages have them (so its plan drops the other months too), and time
      // to finish on a busy machine (the app role's 30 s would stop it)
      const planned = planFacts(parseODataOptions(new URLSearchParams(`$filter=Date ge ${START} and Date le ${END}`)));
      const built = buildFactQuery(
        planned.query,
        {
          organizationId: source.organizationId,
          projectId: source.projectId,
          from: planned.from,
          to: planned.to,
          filters: [],
          currency: 'native',
        },
        { where: planned.where, keyset: { after: null, limit: total + 1, literalKeys: true } },
      );
      const copyOnce = () =>
        scratch.db.withClient(
          { orgId: source.organizationId, role: 'app', statementTimeoutMs: 600_000 },
          async (client) => {
            const { copy, settings } = asCopyStatement(compile(built.rows, scratch.db.kysely));
            const t = performance.now();
            if (settings) await client.query(settings.text, settings.values);
            let bytes = 0;
            for await (const chunk of client.query(
              copyTo(`COPY (${copy}) TO STDOUT WITH (FORMAT csv)`),
            ) as AsyncIterable<Buffer>)
              bytes += chunk.length;
            return { ms: performance.now() - t, bytes };
          },
        );
      const feedUrl = `${server.url}/odata/v1/${key}/Facts?$filter=${encodeURIComponent(`Date ge ${START} and Date le ${END}`)}`;

      if (process.env.BENCH_EXPLAIN) {
        // diagnosis: the first two pages over HTTP, then EXPLAIN ANALYZE of each page query the feed ran for
        // them (the first page's and the one its next link continues after) and the same page as COPY text
        const pages: string[] = [];
        let url: string | undefined = feedUrl;
        for (let i = 0; i < 2 && url; i++) {
          const t = performance.now();
          const body = await (await fetch(url)).text();
          log(`page ${i + 1} over HTTP: ${(performance.now() - t).toFixed(0)} ms, ${body.length} chars`);
          pages.push(body);
          const m = /,"@odata\.nextLink":("[^"]*")\}$/.exec(body);
          url = m ? (JSON.parse(m[1]!) as string) : undefined;
        }
        const skip = url ? new URL(url).searchParams.get('$skiptoken') : null;
        const after = skip ? (JSON.parse(Buffer.from(skip, 'base64url').toString()) as { a: string[] }).a : null;
        for (const keys of [null, after]) {
          const page = buildFactQuery(
            planned.query,
            {
              organizationId: source.organizationId,
              projectId: source.projectId,
              from: planned.from,
              to: planned.to,
              filters: [],
              currency: 'native',
            },
            { where: planned.where, keyset: { after: keys, limit: DEFAULT_PAGE_ROWS + 1, literalKeys: true } },
          );
          await scratch.db.withClient({ orgId: source.organizationId, role: 'app' }, async (client) => {
            // explained as the feed sends it: COPY takes no bind parameters, so values are settings
            const { setup, select, copy } = pageCopy(page);
            await client.query(setup.text, setup.values);
            const plan = await client.query<{ 'QUERY PLAN': string }>(`EXPLAIN (ANALYZE, BUFFERS) ${select}`);
            log(plan.rows.map((r) => r['QUERY PLAN']).join('\n'));
            const t = performance.now();
            await client.query(setup.text, setup.values);
            let bytes = 0;
            for await (const chunk of client.query(copyTo(copy)) as AsyncIterable<Buffer>) bytes += chunk.length;
            log(`the same page as COPY text: ${(performance.now() - t).toFixed(0)} ms, ${bytes} bytes`);
            const t2 = performance.now();
            const v = compile(page.version, scratch.db.kysely);
            await client.query(v.text, v.values);
            log(`first page's version query: ${(performance.now() - t2).toFixed(0)} ms`);
          });
        }
      }
      log('warm-up: COPY');
      await copyOnce();
      const copy = await copyOnce();
      log(`COPY ${copy.ms.toFixed(0)} ms (${(copy.bytes / MB).toFixed(1)} MB)`);
      log('reading the feed page by page');
      let earlyPeakMb = 0;
      const feed = await readFeed(feedUrl, async (page) => {
        if (page === Math.max(1, Math.round(total / DEFAULT_PAGE_ROWS / 10))) earlyPeakMb = await server!.peakRssMb();
      });
      const peakRssMb = await server.peakRssMb();
      if (feed.rows !== total) throw new Error(`the feed gave ${feed.rows} rows of ${total}`);
      log(
        `feed ${feed.ms.toFixed(0)} ms, ${feed.pages} pages (${(feed.bytes / MB).toFixed(1)} MB JSON); RSS ${restingRssMb.toFixed(0)} MB at rest, ${earlyPeakMb.toFixed(0)} MB peak after a tenth, ${peakRssMb.toFixed(0)} MB after all`,
      );

      const figures: BenchFigure[] = [
        {
          figure: `${total} Facts rows through the OData feed's pages vs one COPY TO STDOUT of the same rows`,
          ours: Math.round(feed.ms),
          baseline: Math.round(copy.ms),
          unit: 'ms',
          ratio: Math.round((copy.ms / feed.ms) * 1000) / 1000,
          goal: 'ratio >= 0.5',
        },
        {
          figure: `OData feed process peak RSS after all ${feed.pages} pages (after a tenth: ${earlyPeakMb.toFixed(0)} MB)`,
          ours: Math.round(peakRssMb),
          baseline: MEMORY_LIMIT_MB,
          unit: 'MB',
          ratio: Math.round((MEMORY_LIMIT_MB / peakRssMb) * 1000) / 1000,
          goal: `peak < ${MEMORY_LIMIT_MB} MB and flat (ratio > 1)`,
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

export default suite;
