// The demo project's data in Chromium against the real local runner: the explorer's chart and table agree,
// a webhook's live preview equals what its URL then serves, members are invited, a viewer sees no edit
// controls, and the activity screen lists the audit log.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { csvRows } from '../../../frontend/src/csv';
import { expectAccessible, expectNoSidewaysScroll, signIn, startDashboardRig, type DashboardRig } from './harness';

let rig: DashboardRig;
let projectId: string;

beforeAll(async () => {
  rig = await startDashboardRig();
  projectId = rig.local.demoWebhook!.project_id;
}, 300_000);

afterAll(async () => {
  await rig?.stop();
});

describe('explorer, webhooks, members and activity', { timeout: 180_000 }, () => {
  it("when the explorer runs its default query, the chart's total equals the table's total, and sorting and paging work", async () => {
    const page = await rig.newPage();
    await signIn(page, rig.local.webUrl, rig.local.demoUser, `/projects/${projectId}/explorer`);
    await page
      .locator('[data-testid="explorer-chart"] .recharts-line-curve')
      .first()
      .waitFor({ state: 'attached', timeout: 60_000 }); // attached: a flat series (Instagram spends nothing) has no height, so Playwright calls it hidden
    const chartTotal = Number(await page.getByTestId('explorer-chart-total').getAttribute('data-value'));
    const tableTotal = Number(
      await page.getByTestId('explorer-totals').locator('[data-key="cost"]').getAttribute('data-value'),
    );
    expect(chartTotal).toBeGreaterThan(0);
    expect(chartTotal).toBeCloseTo(tableTotal, 1);
    const api = await rig.apiAs(rig.local.demoUser);
    const summary = await api<{ rows: { cost: string }[] }>(
      'GET',
      `/api/v1/projects/${projectId}/data/summary?date_range=last_30_days&metrics=cost&dimensions=platform`,
    );
    expect(tableTotal).toBeCloseTo(
      summary.body.rows.reduce((a, r) => a + Number(r.cost), 0),
      1,
    );
    await page.getByRole('button', { name: 'Cost', exact: true }).click();
    await page.getByRole('button', { name: 'Cost', exact: true }).click();
    const costs = (await page.getByTestId('explorer-row').evaluateAll((rows) => rows.map((r) => r.children))).length;
    expect(costs).toBe(25);
    const idx = await page
      .getByRole('columnheader')
      .evaluateAll((hs) => hs.findIndex((h) => h.textContent?.trim().startsWith('Cost')));
    const shown = await page
      .getByTestId('explorer-row')
      .evaluateAll((rows, i) => rows.map((r) => Number(r.children[i as number]?.textContent)), idx);
    expect([...shown].sort((a, b) => b - a)).toEqual(shown);
    await page.getByRole('button', { name: 'Go to next page' }).click();
    await expect(page.getByText(/^26–\d+ of \d+$/).count()).resolves.toBe(1);
    await expectAccessible(page, 'explorer');
  });

  it('when a user builds a webhook URL, the live preview shows exactly the first rows the URL serves, and the access log records the calls', async () => {
    const page = await rig.newPage();
    await signIn(page, rig.local.webUrl, rig.local.demoUser, `/projects/${projectId}/webhooks`);
    await page.getByRole('button', { name: 'New webhook' }).click();
    await page.getByLabel('Name').fill('Browser webhook');
    await page.getByRole('button', { name: 'Create' }).click();
    await page.getByTestId('webhook-key').waitFor();
    // the builder shows the key URL first, then the signed one once minted; the preview follows the URL shown
    await page.waitForFunction(
      () => document.querySelector('[data-testid="webhook-url"]')?.textContent?.includes('sig='),
      undefined,
      { timeout: 60_000 },
    );
    await page.getByTestId('preview-row').first().waitFor({ timeout: 60_000 });
    const url = (await page.getByTestId('webhook-url').textContent())!;
    expect(url).toContain('/webhook/v1/');
    expect(url).toContain('sig=');
    const header = await page.getByTestId('webhook-preview').locator('thead th').allTextContents();
    const body = await page
      .getByTestId('preview-row')
      .evaluateAll((rows) => rows.map((r) => [...r.children].map((c) => c.textContent ?? '')));
    const served = csvRows(await (await fetch(url)).text(), 11);
    expect([header, ...body]).toEqual(served);
    await expect(page.getByTestId('sheets-formula').textContent()).resolves.toBe(`=IMPORTDATA("${url}")`);
    await expectAccessible(page, 'webhooks with the URL builder');
    const card = page.getByTestId('webhook-card').filter({ hasText: 'Browser webhook' });
    await card.getByRole('button', { name: 'Access log' }).click();
    await card.getByTestId('access-log-row').first().waitFor();
    // the preview's request at least (each request is logged as its response ends)
    await expect(card.getByTestId('access-log-row').first().textContent()).resolves.toMatch(/\/webhook\/v1\/.*200/);
    // the log names the request without the key
    const key = (await page.getByTestId('webhook-key').textContent())!;
    expect(await card.getByRole('table', { name: 'Access log' }).textContent()).not.toContain(key);
  });

  it('when an owner invites someone as a viewer, they join by accepting the emailed link; that viewer sees no edit controls and the API refuses them', async () => {
    const viewer = { email: 'viewer@example.com', password: 'Viewer-Pass-123' };
    const reg = await fetch(`${rig.local.apiUrl}/api/v1/auth/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(viewer),
    });
    // the same answer whether or not the address has an account (no enumeration)
    expect(reg.status).toBe(202);
    const asViewer = await rig.apiAs(viewer);
    await asViewer('GET', '/api/v1/auth/profile');

    const page = await rig.newPage();
    await signIn(page, rig.local.webUrl, rig.local.demoUser, '/members');
    await page.getByLabel('Email to invite').fill(viewer.email);
    await page.getByRole('combobox', { name: 'Role' }).click();
    await page.getByRole('option', { name: 'viewer' }).click();
    await page.getByRole('button', { name: 'Invite' }).click();
    await page.getByText('Invitation sent: they join once they accept it from the emailed link.').waitFor();
    // pending until the invited person accepts: inviting never adds anyone
    await page.getByText(viewer.email).first().waitFor();
    expect(await page.getByTestId('member-row').filter({ hasText: viewer.email }).count()).toBe(0);
    await expectAccessible(page, 'members');

    // the emailed link (the local runner's outbox), opened by the viewer, signed in as themselves
    const outbox = (await readFile(path.join(rig.home, 'outbox.ndjson'), 'utf8'))
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as { to: string; accept_url: string });
    const acceptUrl = outbox.filter((m) => m.to === viewer.email).at(-1)!.accept_url;
    const vpage = await rig.newPage();
    await signIn(vpage, rig.local.webUrl, viewer, new URL(acceptUrl).pathname + new URL(acceptUrl).search);
    await vpage.getByRole('button', { name: 'Accept the invitation' }).click();
    await vpage.getByText('You joined as viewer.').waitFor();
    await expectAccessible(vpage, 'invitation accepted');
    await page.reload();
    await page.getByTestId('member-row').filter({ hasText: viewer.email }).waitFor();

    await vpage.goto(`${rig.local.webUrl}/projects/${projectId}/sources`);
    await vpage.getByTestId('source-row').first().waitFor();
    expect(await vpage.getByRole('button', { name: 'New data source' }).count()).toBe(0);
    expect(await vpage.getByRole('button', { name: 'Extract now' }).count()).toBe(0);
    await vpage.goto(`${rig.local.webUrl}/projects/${projectId}/credentials`);
    await vpage.getByTestId('credential-card').first().waitFor();
    expect(await vpage.getByRole('button', { name: 'Connect a platform' }).count()).toBe(0);
    expect(await vpage.getByRole('button', { name: 'Delete' }).count()).toBe(0);
    await vpage.goto(`${rig.local.webUrl}/projects/${projectId}/settings`);
    await vpage.getByLabel('Name').waitFor();
    expect(await vpage.getByRole('button', { name: 'Save' }).count()).toBe(0);
    expect(await vpage.getByRole('button', { name: 'Delete project' }).count()).toBe(0);
    await expectAccessible(vpage, 'settings as a viewer');
    // and the API refuses anyway
    const refused = await asViewer('PUT', `/api/v1/projects/${projectId}`, { name: 'Renamed by a viewer' });
    expect(refused.status).toBe(403);
  });

  it('when a user opens the activity screen at phone width, the audit log lists what happened and nothing scrolls sideways', async () => {
    const page = await rig.newPage({ width: 390, height: 844 });
    await signIn(page, rig.local.webUrl, rig.local.demoUser, `/projects/${projectId}/activity`);
    await page.getByTestId('audit-row').first().waitFor();
    await expect(
      page
        .getByTestId('audit-row')
        .filter({ hasText: /webhook|project|credential/ })
        .count(),
    ).resolves.toBeGreaterThan(0);
    await expectNoSidewaysScroll(page, 'activity');
    await expectAccessible(page, 'activity');
  });

  it("when a user opens a demo run's details by URL at phone width, its windows and the restatement record show, and a restated run lists the days that moved", async () => {
    const demo = rig.local.demoData!.data_sources.find((s) => s.platform === 'google_ads' && s.first_job_id)!;
    const runs = `/projects/${projectId}/sources/${demo.data_source_id}`;
    const api = await rig.apiAs(rig.local.demoUser);
    type Details = {
      items: { status: string }[];
      restatements: { days: { date: string; cost_delta: string; conversions_delta: string; revenue_delta: string }[] };
    };
    const first = await api<Details>(
      'GET',
      `/api/v1${runs.replace('/sources/', '/data-sources/')}/jobs/${demo.first_job_id}`,
    );
    expect(first.status).toBe(200);
    const page = await rig.newPage({ width: 390, height: 844 });
    await signIn(page, rig.local.webUrl, rig.local.demoUser, `${runs}/runs/${demo.first_job_id}`);
    await page.getByTestId('run-item').first().waitFor({ timeout: 30_000 });
    expect(await page.getByTestId('run-item').count()).toBe(first.body.items.length);
    expect(await page.locator('[data-testid="run-item"][data-status="succeeded"]').count()).toBe(
      first.body.items.filter((i) => i.status === 'succeeded').length,
    );
    // a first load restates nothing
    await page.getByTestId('run-details').getByText('No numbers changed in this run.').waitFor();
    await expectNoSidewaysScroll(page, 'run details');
    await expectAccessible(page, 'run details');

    // the sandbox restates late conversions; the next run's details list exactly the days the API says moved
    await fetch(`${rig.local.sandboxes.google}/__sandbox/clock`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ advance: 1 }),
    });
    const started = await api<{ job_id: string }>(
      'POST',
      `/api/v1${runs.replace('/sources/', '/data-sources/')}/extract`,
      {},
    );
    expect(started.status).toBe(202);
    const ended = async () => {
      const status = await api<{ jobs: { id: string; status: string }[] }>(
        'GET',
        `/api/v1${runs.replace('/sources/', '/data-sources/')}/status`,
      );
      return status.body.jobs.find((j) => j.id === started.body.job_id)?.status ?? 'pending';
    };
    for (let i = 0; i < 240 && ['pending', 'running'].includes(await ended()); i++)
      await new Promise((resolve) => setTimeout(resolve, 500));
    expect(await ended()).toBe('succeeded');
    await page.goto(`${rig.local.webUrl}${runs}`);
    await page
      .getByRole('link', { name: /^Details of the run/ })
      .first()
      .click(); // the newest run is listed first
    await page.waitForURL(new RegExp(`/runs/${started.body.job_id}$`));
    const second = await api<Details>(
      'GET',
      `/api/v1${runs.replace('/sources/', '/data-sources/')}/jobs/${started.body.job_id}`,
    );
    const moved = second.body.restatements.days.filter((d) =>
      [d.cost_delta, d.conversions_delta, d.revenue_delta].some((v) => Number(v) !== 0),
    );
    expect(moved.length).toBeGreaterThan(0);
    await page.getByTestId('restatement-day').first().waitFor({ timeout: 30_000 });
    const shown = await page
      .getByTestId('restatement-day')
      .evaluateAll((rows) => rows.map((r) => [r.getAttribute('data-date'), r.children[2]?.getAttribute('data-value')]));
    expect(shown).toEqual(moved.map((d) => [d.date, d.conversions_delta]));
    await expectNoSidewaysScroll(page, 'run details with restatements');
    await expectAccessible(page, 'run details with restatements');
  });
});
