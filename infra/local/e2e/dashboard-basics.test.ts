// The dashboard in Chromium against the real local runner: sign in (by keyboard too), projects, the overview's
// totals against the data API's, project settings, and phone width. axe-core checks every screen.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectAccessible, expectNoSidewaysScroll, signIn, startDashboardRig, type DashboardRig } from './harness';

let rig: DashboardRig;

beforeAll(async () => {
  rig = await startDashboardRig();
}, 300_000);

afterAll(async () => {
  await rig?.stop();
});

describe('the dashboard, signed in as the demo user', { timeout: 180_000 }, () => {
  it('when the demo user signs in by keyboard only, the sign-in screen passes axe and the projects list shows the demo project', async () => {
    const page = await rig.newPage();
    await page.goto(`${rig.local.webUrl}/projects`);
    await page.getByLabel('Email').waitFor();
    await expectAccessible(page, 'sign in');
    await page.getByLabel('Email').focus();
    await page.keyboard.type(rig.local.demoUser.email);
    await page.keyboard.press('Tab');
    await page.keyboard.type(rig.local.demoUser.password);
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'Projects', level: 1 }).waitFor({ timeout: 30_000 });
    await page.getByRole('link', { name: /Demo project/ }).waitFor();
    await expectAccessible(page, 'projects');
    // keyboard navigation: Tab reaches the demo project's card, Enter opens it
    let reached = false;
    for (let i = 0; i < 30 && !reached; i++) {
      await page.keyboard.press('Tab');
      reached = await page.evaluate(() => document.activeElement?.textContent?.includes('Demo project') ?? false);
    }
    expect(reached).toBe(true);
    await page.keyboard.press('Enter');
    await page.getByTestId('kpi-cost').waitFor();
  });

  it("when the demo project's overview loads, its totals equal the data API's for the same 30 days, and the chart is drawn", async () => {
    const page = await rig.newPage();
    await signIn(page, rig.local.webUrl, rig.local.demoUser);
    const api = await rig.apiAs(rig.local.demoUser);
    const projectId = rig.local.demoWebhook!.project_id;
    await page.goto(`${rig.local.webUrl}/projects/${projectId}`);
    await page
      .locator('[data-testid="overview-chart"] .recharts-line-curve')
      .first()
      .waitFor({ state: 'attached', timeout: 60_000 }); // attached: a flat series (Instagram spends nothing) has no height, so Playwright calls it hidden
    const subtitle = await page.getByText(/^Last 30 days: /).textContent();
    const [, start, end] = /(\d{4}-\d{2}-\d{2}) to (\d{4}-\d{2}-\d{2})/.exec(subtitle ?? '') ?? [];
    const summary = await api<{ rows: Record<string, unknown>[] }>(
      'GET',
      `/api/v1/projects/${projectId}/data/summary?start_date=${start}&end_date=${end}&metrics=cost,clicks,conversions,revenue&dimensions=platform`,
    );
    expect(summary.status).toBe(200);
    const sum = (k: string) => summary.body.rows.reduce((a, r) => a + Number(r[k] ?? 0), 0);
    expect(sum('cost')).toBeGreaterThan(0);
    for (const k of ['cost', 'clicks', 'conversions', 'revenue']) {
      const shown = Number(await page.getByTestId(`kpi-${k}`).getAttribute('data-value'));
      expect(shown, k).toBeCloseTo(sum(k), 2);
    }
    await expect(page.getByTestId('kpi-cost').textContent()).resolves.toMatch(/\$[\d,]+\.\d\d/);
    await page.getByTestId('freshness-row').first().waitFor();
    await expectAccessible(page, 'overview');
  });

  it('when a user creates a project, edits its settings and deletes it after typing its name, the list follows', async () => {
    const page = await rig.newPage();
    await signIn(page, rig.local.webUrl, rig.local.demoUser);
    await page.getByRole('button', { name: 'New project' }).click();
    await page.getByLabel('Name').fill('Browser test project');
    await page.getByLabel('Reporting currency').fill('EUR');
    await page.getByLabel('Time zone').fill('Europe/Madrid');
    await expectAccessible(page, 'new project dialog');
    await page.getByRole('button', { name: 'Create' }).click();
    await page.getByRole('heading', { name: 'Browser test project', level: 1 }).waitFor();
    expect(page.url()).toMatch(/\/projects\/[0-9a-f-]{36}$/);
    await page.getByRole('link', { name: 'Settings' }).click();
    await page.getByLabel('Days kept in the database').fill('400');
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByRole('status').getByText('Saved.').waitFor();
    await expectAccessible(page, 'project settings');
    const api = await rig.apiAs(rig.local.demoUser);
    const projectId = page.url().split('/').at(-2)!;
    const stored = await api<{ hot_retention_days: number; reporting_currency: string }>(
      'GET',
      `/api/v1/projects/${projectId}`,
    );
    expect(stored.body).toMatchObject({ hot_retention_days: 400, reporting_currency: 'EUR' });

    await page.getByRole('button', { name: 'Delete project' }).click();
    const confirm = page.getByRole('dialog');
    await expect(confirm.getByRole('button', { name: 'Delete' }).isDisabled()).resolves.toBe(true);
    await confirm.getByLabel(/Type "Browser test project"/).fill('Browser test project');
    await confirm.getByRole('button', { name: 'Delete' }).click();
    await page.getByRole('heading', { name: 'Projects', level: 1 }).waitFor();
    expect((await api('GET', `/api/v1/projects/${projectId}`)).status).toBe(404);
  });

  it('when an API call fails, the page shows the envelope message and request id rather than a blank screen', async () => {
    const page = await rig.newPage();
    await signIn(page, rig.local.webUrl, rig.local.demoUser);
    await page.goto(`${rig.local.webUrl}/projects/00000000-0000-4000-8000-000000000000/settings`);
    await page.getByTestId('error-message').waitFor();
    await expect(page.getByTestId('error-request-id').textContent()).resolves.toMatch(/\S{8,}/);
  });

  it('at 390 px wide the projects list and the overview fit without sideways scrolling, and navigation opens from the menu', async () => {
    const page = await rig.newPage({ width: 390, height: 844 });
    await signIn(page, rig.local.webUrl, rig.local.demoUser);
    await page.getByRole('link', { name: /Demo project/ }).waitFor();
    await expectNoSidewaysScroll(page, 'projects');
    await page.getByRole('link', { name: /Demo project/ }).click();
    await page
      .locator('[data-testid="overview-chart"] .recharts-line-curve')
      .first()
      .waitFor({ state: 'attached', timeout: 60_000 }); // attached: a flat series (Instagram spends nothing) has no height, so Playwright calls it hidden
    await expectNoSidewaysScroll(page, 'overview');
    await page.getByRole('button', { name: 'Open navigation' }).click();
    await page.getByRole('link', { name: 'Data sources' }).waitFor();
    await expectAccessible(page, 'overview at 390 px with the menu open');
  });
});
