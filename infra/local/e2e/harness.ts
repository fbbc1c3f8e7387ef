// The dashboard's browser tests: the real local runner (every service on a free port, data under a fresh
// temp dir) and real headless Chromium through playwright-core. One runner per test file, shared by its
// tests. Failures leave a screenshot under .test-results/.
import { mkdir, readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { expect, onTestFailed } from 'vitest';
import type { RunningPlatform } from '../runner';
import { apiToken, startLocalRunner, type LocalJson } from './local-rig';
import { loadLocalRunnerSettings } from '@tributary/shared/config/config';

export type { LocalJson };

export interface DashboardRig {
  platform: RunningPlatform;
  local: LocalJson;
  browser: Browser;
  /** a logged-in API call as a user (for setting up and for comparing what the page shows) */
  /** the runner's home directory (its outbox of invitation emails among it) */
  home: string;
  apiAs(user: { email: string; password: string }): Promise<ApiCaller>;
  newPage(options?: { width?: number; height?: number }): Promise<Page>;
  stop(): Promise<void>;
}

export type ApiCaller = <T = unknown>(
  method: string,
  path: string,
  body?: unknown,
) => Promise<{ status: number; body: T }>;

export const RESULTS_DIR = path.resolve('.test-results');

export async function startDashboardRig(): Promise<DashboardRig> {
  const runner = await startLocalRunner();
  const { platform, local } = runner;
  const browser = await chromium.launch({
    executablePath: loadLocalRunnerSettings().chromiumPath,
    headless: true,
    args: ['--no-sandbox', '--disable-dev-shm-usage'],
  });
  const contexts: BrowserContext[] = [];
  await mkdir(RESULTS_DIR, { recursive: true });
  return {
    platform,
    local,
    browser,
    home: runner.home,
    async apiAs(user) {
      const token = await apiToken(local.apiUrl, user);
      return async <T>(method: string, p: string, body?: unknown) => {
        const res = await fetch(`${local.apiUrl}${p}`, {
          method,
          headers: {
            authorization: `Bearer ${token}`,
            ...(body === undefined ? {} : { 'content-type': 'application/json' }),
          },
          ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        });
        const text = await res.text();
        return { status: res.status, body: (text ? JSON.parse(text) : undefined) as T };
      };
    },
    async newPage(options = {}) {
      const context = await browser.newContext({
        viewport: { width: options.width ?? 1280, height: options.height ?? 800 },
      });
      contexts.push(context);
      const page = await context.newPage();
      onTestFailed(async ({ task }) => {
        const file = path.join(RESULTS_DIR, `${task.name.replace(/[^a-z0-9]+/gi, '-').slice(0, 100)}.png`);
        await page.screenshot({ path: file, fullPage: true }).catch(() => undefined);
      });
      return page;
    },
    async stop() {
      for (const c of contexts) await c.close().catch(() => undefined);
      await browser.close().catch(() => undefined);
      await runner.stop();
    },
  };
}

export async function signIn(
  page: Page,
  webUrl: string,
  user: { email: string; password: string },
  pathAfter = '/projects',
): Promise<void> {
  await page.goto(`${webUrl}${pathAfter}`);
  await page.getByLabel('Email').fill(user.email);
  await page.getByLabel('Password', { exact: true }).fill(user.password);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  await page.getByRole('button', { name: 'Sign out' }).waitFor({ timeout: 30_000 });
}

const AXE_SOURCE = createRequire(import.meta.url).resolve('axe-core/axe.min.js');

/** axe-core over the page as it is: no serious or critical violations. */
export async function expectAccessible(page: Page, screen: string): Promise<void> {
  if (!(await page.evaluate(() => 'axe' in window)))
    await page.addScriptTag({ content: await readFile(AXE_SOURCE, 'utf8') });
  const violations = await page.evaluate(async () => {
    const axe = (
      window as unknown as {
        axe: {
          run(
            ctx: Document,
            o: object,
          ): Promise<{ violations: { id: string; impact: string; help: string; nodes: { target: string[] }[] }[] }>;
        };
      }
    ).axe;
    const result = await axe.run(document, { resultTypes: ['violations'] });
    return result.violations.map((v) => ({
      id: v.id,
      impact: v.impact,
      help: v.help,
      targets: v.nodes.slice(0, 3).map((n) => n.target.join(' ')),
    }));
  });
  const bad = violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  expect(bad, `${screen}: axe found serious or critical violations`).toEqual([]);
}

/** At phone width nothing scrolls sideways. */
export async function expectNoSidewaysScroll(page: Page, screen: string): Promise<void> {
  const { scroll, client } = await page.evaluate(() => ({
    scroll: document.documentElement.scrollWidth,
    client: document.documentElement.clientWidth,
  }));
  expect(scroll, `${screen}: the page is ${scroll}px wide in a ${client}px viewport`).toBeLessThanOrEqual(client);
}
