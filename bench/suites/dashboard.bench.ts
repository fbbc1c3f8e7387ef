// The dashboard: (1) JavaScript the first screen (sign-in) loads, gzipped, against the whole bundle's JS, goal
// ≤ 250 KB; (2) time from navigating to the overview until its chart is drawn, against the overview's API
// calls alone (the same five requests, in parallel, from Node with the same token), goal ratio ≤ 1.5.
// Runs the real local runner (demo project data) and headless Chromium; medians of five rounds after a warm-up.
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { chromium } from 'playwright-core';
import { apiToken, startLocalRunner } from '../../infra/local/e2e/local-rig';
import { FRONTEND_DIR } from '../../infra/local/web.service';
import type { BenchSuite } from '../harness';

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const ROUNDS = 5;

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
      const shift = (n: number) => {
        const d = new Date(`${today}T00:00:00Z`);
        d.setUTCDate(d.getUTCDate() + n);
        return d.toISOString().slice(0, 10);
      };
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
