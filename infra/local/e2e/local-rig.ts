// The real local runner with every service on a free port and its data in a fresh temp dir: what the
// dashboard's browser tests and its bench suite drive. No test framework here, so the bench can use it.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { freePort } from '@tributary/shared/local/embedded-postgres';
import { startPlatform, type RunningPlatform } from '../runner';
import { LOCAL_SERVICES } from '../services';
import { setLocalRunnerPorts } from '@tributary/shared/config/config';

export interface LocalJson {
  webUrl: string;
  apiUrl: string;
  webhookUrl: string;
  progressUrl: string;
  demoUser: { email: string; password: string };
  sandboxes: Record<string, string>;
  demoWebhook?: { project_id: string };
  demoData?: {
    project_id: string;
    data_sources: { platform: string; data_source_id: string; first_job_id: string | null }[];
  };
}

const PORT_VARIABLES = [
  'TRIBUTARY_PG_PORT',
  'TRIBUTARY_WEBHOOK_PORT',
  'TRIBUTARY_S3_PORT',
  'TRIBUTARY_DYNAMODB_PORT',
  'TRIBUTARY_SANDBOX_GOOGLE_PORT',
  'TRIBUTARY_SANDBOX_META_PORT',
  'TRIBUTARY_SANDBOX_ECB_PORT',
  'TRIBUTARY_COGNITO_PORT',
  'TRIBUTARY_PROGRESS_PORT',
  'TRIBUTARY_API_PORT',
  'TRIBUTARY_SANDBOX_AMAZON_PORT',
  'TRIBUTARY_SANDBOX_METRICOOL_PORT',
  'TRIBUTARY_SANDBOX_SHOPIFY_PORT',
  'TRIBUTARY_SANDBOX_KLAVIYO_PORT',
];

export async function startLocalRunner(): Promise<{
  platform: RunningPlatform;
  local: LocalJson;
  home: string;
  stop(): Promise<void>;
}> {
  // each service reads its port from the environment; this test file's process is its own (pool: forks)
  const ports: Record<string, number> = { TRIBUTARY_WEB_PORT: 0 };
  for (const v of PORT_VARIABLES) ports[v] = await freePort();
  setLocalRunnerPorts(ports);
  const home = await mkdtemp(path.join(os.tmpdir(), 'tributary-e2e-'));
  const logs: string[] = [];
  let platform: RunningPlatform;
  try {
    platform = await startPlatform(LOCAL_SERVICES, home, (service, message) => logs.push(`[${service}] ${message}`));
  } catch (error) {
    throw new Error(
      `the local runner did not start: ${error instanceof Error ? error.message : String(error)}\n${logs.slice(-30).join('\n')}`,
    );
  }
  const local = JSON.parse(await readFile(platform.localJsonPath, 'utf8')) as LocalJson;
  try {
    await demoRunsDone(local);
  } catch (error) {
    await platform.stop();
    throw error;
  }
  return {
    platform,
    local,
    home,
    async stop() {
      await platform.stop();
      await rm(home, { recursive: true, force: true });
    },
  };
}

/** Signs in through the API (the scripts' login) and returns the access token. */
export async function apiToken(apiUrl: string, user: { email: string; password: string }): Promise<string> {
  const login = await fetch(`${apiUrl}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(user),
  });
  const { access_token: token } = (await login.json()) as { access_token?: string };
  if (!token) throw new Error(`${user.email} could not sign in (${login.status})`);
  return token;
}

/**
 * Waits until the demo extractions started with the runner have ended: a test that compares two reads of the
 * demo data (a chart and a table, a page and the API) must not race a run still loading rows.
 */
async function demoRunsDone(local: LocalJson, timeoutMs = 300_000): Promise<void> {
  const demo = local.demoData;
  if (!demo) return;
  const token = await apiToken(local.apiUrl, local.demoUser);
  const deadline = Date.now() + timeoutMs;
  for (const source of demo.data_sources) {
    if (!source.first_job_id) continue;
    for (;;) {
      const res = await fetch(
        `${local.apiUrl}/api/v1/projects/${demo.project_id}/data-sources/${source.data_source_id}/status`,
        { headers: { authorization: `Bearer ${token}` } },
      );
      const status = (await res.json()) as { jobs?: { id: string; status: string }[] };
      const job = status.jobs?.find((j) => j.id === source.first_job_id);
      if (job && !['pending', 'running'].includes(job.status)) break;
      if (Date.now() > deadline)
        throw new Error(
          `the demo ${source.platform} run ${source.first_job_id} had not ended after ${timeoutMs / 1000} s`,
        );
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  }
}
