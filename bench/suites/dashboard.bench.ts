// The dashboard: (1) JavaScript the first screen (sign-in) loads, gzipped, against the whole bundle's JS, goal
// ≤ 250 KB; (2) time from navigating to the overview until its chart is drawn, against the overview's API
// calls alone (the same five requests, in parallel, from Node with the same token), goal ratio ≤ 1.5.
// Runs the real local runner and headless Chromium, with 1,000,000 fact rows added to the demo project over the
// overview's two 30-day periods (BENCH_DASHBOARD_ROWS for a smaller run); medians of five rounds after a warm-up.
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { chromium } from 'playwright-core';
import pg from 'pg';
import { createDatabase } from '@tributary/shared/db/database';
import { loadFacts } from '@tributary/shared/facts/fact-loader';
import { addDays, syntheticFacts } from '@tributary/shared/facts/synthetic-facts';
import { apiToken, startLocalRunner } from '../../infra/local/e2e/local-rig';
import { FRONTEND_DIR } from '../../infra/local/web.service';
import type { BenchSuite } from '../harness';

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const ROUNDS = 5;
/** the overview reads the last 60 days: 1,000,000 rows over them, as the figure names */
const DAYS = 60;
const ROWS = Number(process.env.BENCH_DASHBOARD_ROWS ?? 1_000_000);

/**
 * Adds a bench data source to the demo project and loads ROWS synthetic facts over the 60 days before `today`
 * through the loader, as the pipeline's role: the overview then aggregates a million rows, not the demo's few.
 */
async function loadBenchFacts(
  context: { env: Record<string, string>; homeDir: string },
  projectId: string,
  today: string,
  log: (m: string) => void,
): Promise<void> {
  const pipelineUrl = context.env.TRIBUTARY_PIPELINE_DATABASE_URL;
  if (!pipelineUrl) throw new Error('the local runner published no pipeline database URL');
  // the bench's own data source is set up as the runner's superuser (postgres.service.ts keeps its password)
  const adminUrl = new URL(pipelineUrl);
  adminUrl.username = 'postgres';
  adminUrl.password = (await readFile(path.join(context.homeDir, 'pg-superuser.password'), 'utf8')).trim();
  const admin = new pg.Client({ connectionString: adminUrl.toString() });
  await admin.connect();
  let target;
  try {
    const { rows } = await admin.query<{ organization_id: string; credential_id: string }>(
      `SELECT organization_id, id AS credential_id FROM credentials WHERE project_id = $1 AND platform = 'google_ads'
        LIMIT 1`,
      [projectId],
    );
    if (!rows[0]) throw new Error('the demo project has no Google Ads connection');
    const source = await admin.query<{ id: string }>(
      `INSERT INTO data_sources (organization_id, project_id, credential_id, platform, source_name, extraction_config,
         schedule_config)
       VALUES ($1, $2, $3, 'google_ads', 'bench: 1M rows', '{}', '{}') RETURNING id`,
      [rows[0].organization_id, projectId, rows[0].credential_id],
    );
    target = {
      organizationId: rows[0].organization_id,
      projectId,
      dataSourceId: source.rows[0]!.id,
      platform: 'google_ads' as const,
    };
  } finally {
    await admin.end();
  }
  const db = createDatabase({ kind: 'url', url: pipelineUrl, maxConnections: 4 });
  try {
    const t0 = performance.now();
    const rowsPerDay = Math.max(1, Math.round(ROWS / DAYS));
    await loadFacts(db, target, syntheticFacts({ days: DAYS, rowsPerDay, startDate: addDays(today, -DAYS) }));
    log(`loaded ${DAYS * rowsPerDay} fact rows into the demo project in ${Math.round(performance.now() - t0)} ms`);
  } finally {
    await db.close();
  }
}

/**
 * The overview's own requests, as OverviewPage makes them (project, two summaries, the daily rows, the sources).
 * This period's summary and the daily rows ask for last_30_days (the API resolves it in the project's time zone,
 * to the same days as `current`), so the page need not wait for the project before asking.
 */
function overviewRequests(
  apiUrl: string,
  projectId: string,
  ranges: { current: { start: string; end: string }; previous: { start: string; end: string } },
) {
  const base = `${apiUrl}/api/v1/projects/${projectId}`;
  const summary = (range: string) =>
    `${base}/data/summary?${range}&metrics=cost%2Cclicks%2Cconversions%2Crevenue&dimensions=platform`;
  return [
    base,
    summary('date_range=last_30_days'),
    summary(`start_date=${ranges.previous.start}&end_date=${ranges.previous.end}`),
    `${base}/data?date_range=last_30_days&metrics=cost&dimensions=date%2Cplatform&aggregate=daily&limit=10000`,
    `${base}/data-sources`,
  ];
}

const suite: BenchSuite = {
  name: 'dashboard',
  async run({ log }) {
    log('starting the local runner (it builds the dashboard if its sources changed)');
    const runner = await startLocalRunner();
    const browser = await chromium.launch({
      executablePath: process.env.TRIBUTARY_CHROMIUM ?? '/usr/bin/chromium',
      headless: true,
      args: ['--no-sandbox', '--disable-dev-shm-usage'],
    });
    try {
      const { local } = runner;
      const dist = path.join(FRONTEND_DIR, 'dist');
      const gz = async (file: string) => gzipSync(await readFile(file), { level: 9 }).length;

      // (1) every script the sign-in screen fetched, gzipped as a server would send it
      const page = await browser.newPage();
      const scripts = new Set<string>();
      page.on('response', (r) => {
        const u = new URL(r.url());
        if (u.origin === new URL(local.webUrl).origin && u.pathname.endsWith('.js')) scripts.add(u.pathname);
      });
      await page.goto(local.webUrl);
      await page.getByLabel('Email').waitFor();
      let firstScreen = 0;
      for (const s of scripts) firstScreen += await gz(path.join(dist, s));
      const all = (await readdir(path.join(dist, 'assets'))).filter((f) => f.endsWith('.js'));
      let whole = 0;
      for (const f of all) whole += await gz(path.join(dist, 'assets', f));
      log(
        `first screen: ${scripts.size} scripts, ${(firstScreen / 1024).toFixed(1)} KB gzip; whole bundle ${all.length} scripts, ${(whole / 1024).toFixed(1)} KB`,
      );

      // (2) sign in once, then navigate to the overview and wait for the chart's line
      await page.getByLabel('Email').fill(local.demoUser.email);
      await page.getByLabel('Password', { exact: true }).fill(local.demoUser.password);
      await page.getByRole('button', { name: 'Sign in', exact: true }).click();
      await page.getByRole('button', { name: 'Sign out' }).waitFor({ timeout: 60_000 });
      const projectId = local.demoWebhook!.project_id;
      const token = await apiToken(local.apiUrl, local.demoUser);
      const project = (await (
        await fetch(`${local.apiUrl}/api/v1/projects/${projectId}`, { headers: { authorization: `Bearer ${token}` } })
      ).json()) as { timezone: string };
      const today = new Intl.DateTimeFormat('en-CA', {
        timeZone: project.timezone,
        year: 'numeric',
        month: '2-digit',
        day: '2-digit',
      }).format(new Date());
      const shift = (n: number) => addDays(today, n);
      await loadBenchFacts(runner.platform.context, projectId, today, log);
      const urls = overviewRequests(local.apiUrl, projectId, {
        current: { start: shift(-30), end: shift(-1) },
        previous: { start: shift(-60), end: shift(-31) },
      });

      const chart: number[] = [];
      const calls: number[] = [];
      for (let round = 0; round <= ROUNDS; round++) {
        await page.goto('about:blank');
        const t0 = performance.now();
        await page.goto(`${local.webUrl}/projects/${projectId}`);
        await page.locator('[data-testid="overview-chart"] .recharts-line-curve').first().waitFor({ timeout: 60_000 });
        const drawn = performance.now() - t0;
        const t1 = performance.now();
        const answers = await Promise.all(
          urls.map((u) =>
            fetch(u, { headers: { authorization: `Bearer ${token}` } }).then(async (r) => {
              await r.arrayBuffer();
              return r.status;
            }),
          ),
        );
        const alone = performance.now() - t1;
        if (answers.some((s) => s !== 200)) throw new Error(`an overview call failed: ${answers.join(',')}`);
        if (round === 0) continue; // warm-up
        chart.push(drawn);
        calls.push(alone);
      }
      const ours = median(chart);
      const baseline = median(calls);
      return [
        {
          figure: 'dashboard first-screen JS (gzip)',
          ours: firstScreen / 1024,
          baseline: whole / 1024,
          unit: 'KB',
          ratio: firstScreen / whole,
          goal: 'ours <= 250 KB',
        },
        {
          figure: 'overview: navigation to chart drawn vs its API calls alone',
          ours,
          baseline,
          unit: 'ms',
          ratio: ours / baseline,
          goal: 'ratio <= 1.5',
        },
      ];
    } finally {
      await browser.close();
      await runner.stop();
    }
  },
};

export default suite;
