// Seam: the management API end to end through real HTTP: infra/local/api-server.ts in front of the Lambda
// handlers, with PostgreSQL, dynalite, cognito-local and the local envelope secret store behind them.
import { Console } from 'node:console';
import { Writable } from 'node:stream';
import { generateKeyPairSync, sign } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { Logger } from '@aws-lambda-powertools/logger';
import Ajv2020 from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import fc from 'fast-check';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApiServer, type ApiServer } from '../../infra/local/api-server';
import {
  GOOGLE_DEMO_CLIENT,
  GOOGLE_DEMO_DEVELOPER_TOKEN,
  startGoogleSandbox,
  type GoogleSandbox,
} from '@tributary/connectors/sandboxes/google/google-sandbox';
import { META_DEMO_CLIENT } from '@tributary/connectors/sandboxes/meta/meta.service';
import { startMetaSandbox, type MetaSandbox } from '@tributary/connectors/sandboxes/meta/meta-sandbox';
import {
  METRICOOL_DEMO_USER_ID,
  startMetricoolSandbox,
  type MetricoolSandbox,
} from '@tributary/connectors/sandboxes/metricool/metricool-sandbox';
import {
  SHOPIFY_DEMO_CLIENT,
  startShopifySandbox,
  type ShopifySandbox,
} from '@tributary/connectors/sandboxes/shopify/shopify-sandbox';
import {
  AMAZON_DEMO_CLIENT,
  amazonSandboxBaseUrls,
  startAmazonSandbox,
  type AmazonSandbox,
} from '@tributary/connectors/sandboxes/amazon/amazon-sandbox';
import { SandboxControl } from '@tributary/connectors/sandboxes/base/sandbox-server';
import {
  KLAVIYO_DEMO_CLIENT,
  startKlaviyoSandbox,
  type KlaviyoSandbox,
} from '@tributary/connectors/sandboxes/klaviyo/klaviyo-sandbox';
import { startCognitoLocal, type CognitoLocalHandle } from '../../infra/local/cognito.service';
import { ensureDemoData } from '../../infra/local/demo-data.service';
import { createAdapters, type Adapters } from '@tributary/shared/config/adapters';
import { loadConfig } from '@tributary/shared/config/config';
import { ErrorEnvelopeSchema } from '@tributary/shared/http/error-envelope';
import type { Route } from '@tributary/shared/http/route';
import { freePort } from '@tributary/shared/local/embedded-postgres';
import { startDynalite, type DynaliteHandle } from '@tributary/shared/local/dynalite';
import { startS3rver, type S3rverHandle } from '@tributary/shared/local/s3rver';
import { createTestDatabase, type TestDatabase } from '@tributary/shared/testing/test-database';
import { createApiDeps } from './api-deps';
import { managementApiRoutes } from './api-routes';
import * as authR from './auth/auth.routes';
import * as credR from './credentials/credential.routes';
import * as dsR from './data-sources/data-source.routes';
import * as memR from './members/member.routes';
import { listPlatformsRoute } from './platforms/platform.routes';
import { MANAGEMENT_ROUTES, openApiRoute } from './openapi';
import * as projR from './projects/project.routes';
import * as webhookR from './webhooks/webhook.routes';

const CANARY = 'CANARY-7f3a9c1e-secret-value-never-leaks-0b1d';
const PASSWORD = 'Correct-Horse-9-battery';

let home: string;
let testDb: TestDatabase;
let dynalite: DynaliteHandle;
let s3: S3rverHandle;
let cognito: CognitoLocalHandle;
let adapters: Adapters;
let server: ApiServer;
let googleSandbox: GoogleSandbox;
let metaSandbox: MetaSandbox;
let metricoolSandbox: MetricoolSandbox;
let shopifySandbox: ShopifySandbox;
let amazonSandbox: AmazonSandbox;
let klaviyoSandbox: KlaviyoSandbox;
const logLines: string[] = [];

interface Received {
  route: Route;
  status: number;
  body: unknown;
  text: string;
  headers: Headers;
}
const received: Received[] = [];

function pathOf(route: Route, params: Record<string, string> = {}): string {
  return route.path.replace(/\{(\w+)\}/g, (_, name: string) => encodeURIComponent(params[name] ?? `missing-${name}`));
}

async function api(
  route: Route,
  options: {
    params?: Record<string, string>;
    query?: Record<string, string>;
    body?: unknown;
    rawBody?: string;
    token?: string;
    headers?: Record<string, string>;
  } = {},
): Promise<Received> {
  const url = new URL(pathOf(route, options.params), server.url);
  for (const [k, v] of Object.entries(options.query ?? {})) url.searchParams.set(k, v);
  const headers: Record<string, string> = { ...options.headers };
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  let body: string | undefined;
  if (options.rawBody !== undefined) body = options.rawBody;
  else if (options.body !== undefined) body = JSON.stringify(options.body);
  // fetch refuses a body on GET, as browsers do; API Gateway would pass one, but no client can send it
  if (route.method === 'get') body = undefined;
  if (body !== undefined) headers['content-type'] ??= 'application/json';
  const res = await fetch(url, { method: route.method.toUpperCase(), headers, body, redirect: 'manual' });
  const text = await res.text();
  let parsed: unknown = undefined;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    parsed = text;
  }
  const r = { route, status: res.status, body: parsed, text, headers: res.headers };
  received.push(r);
  return r;
}

function expectError(r: Received, status: number, code?: string) {
  expect(r.status, r.text).toBe(status);
  const envelope = ErrorEnvelopeSchema.parse(r.body);
  if (code) expect(envelope.error.code).toBe(code);
}

const A = {
  email: `alice-${Date.now()}@example.com`,
  token: '',
  refresh: '',
  userId: '',
  orgId: '',
  projectId: '',
  credentialId: '',
  sourceId: '',
  jobId: '',
  webhookId: '',
};
const B = { email: `bob-${Date.now()}@example.com`, token: '', userId: '', orgId: '', projectId: '' };

beforeAll(async () => {
  home = await mkdtemp(path.join(os.tmpdir(), 'tributary-api-test-'));
  testDb = await createTestDatabase();
  dynalite = await startDynalite({ port: await freePort(), tables: ['tributary-kv'] });
  // raw pages of the demo data's extractions are archived here
  s3 = await startS3rver({
    port: await freePort(),
    directory: path.join(home, 's3'),
    buckets: ['tributary-archive', 'tributary-raw'],
  });
  cognito = await startCognitoLocal({ port: await freePort(), dataDir: path.join(home, 'cognito') });
  // the platform sandboxes stand in for Google and Meta, reached only through the typed config, as on the runner
  googleSandbox = await startGoogleSandbox();
  metaSandbox = await startMetaSandbox();
  // the test's canary secret is a Metricool API token the sandbox accepts
  metricoolSandbox = await startMetricoolSandbox({ extraTokens: [CANARY] });
  shopifySandbox = await startShopifySandbox();
  // on the calendar (the API checks windows against the real today); one pending status read per report
  amazonSandbox = await startAmazonSandbox({ today: () => new Date().toISOString().slice(0, 10), pendingPolls: 1 });
  klaviyoSandbox = await startKlaviyoSandbox({ today: () => new Date().toISOString().slice(0, 10) });
  const apiPort = await freePort();
  const config = loadConfig({
    TRIBUTARY_OAUTH_REDIRECT_URI: `http://127.0.0.1:${apiPort}/api/v1/oauth/callback`,
    TRIBUTARY_PLATFORM_BASE_URLS: JSON.stringify({
      google_ads: googleSandbox.url,
      google_oauth_token: googleSandbox.url,
      google_oauth_authorize: googleSandbox.url,
      ga4_data: googleSandbox.url,
      ga4_admin: googleSandbox.url,
      meta_graph: metaSandbox.baseUrl,
      meta_oauth: metaSandbox.baseUrl,
      metricool: metricoolSandbox.url,
      shopify_admin: shopifySandbox.url,
      ...amazonSandboxBaseUrls(amazonSandbox.url),
      klaviyo_api: klaviyoSandbox.url,
      klaviyo_oauth: klaviyoSandbox.url,
    }),
    TRIBUTARY_KLAVIYO_CLIENT_ID: KLAVIYO_DEMO_CLIENT.clientId,
    TRIBUTARY_KLAVIYO_CLIENT_SECRET: KLAVIYO_DEMO_CLIENT.clientSecret,
    TRIBUTARY_GOOGLE_CLIENT_ID: GOOGLE_DEMO_CLIENT.clientId,
    TRIBUTARY_GOOGLE_CLIENT_SECRET: GOOGLE_DEMO_CLIENT.clientSecret,
    TRIBUTARY_GOOGLE_ADS_DEVELOPER_TOKEN: GOOGLE_DEMO_DEVELOPER_TOKEN,
    TRIBUTARY_META_CLIENT_ID: META_DEMO_CLIENT.clientId,
    TRIBUTARY_META_CLIENT_SECRET: META_DEMO_CLIENT.clientSecret,
    TRIBUTARY_SHOPIFY_CLIENT_ID: SHOPIFY_DEMO_CLIENT.clientId,
    TRIBUTARY_SHOPIFY_CLIENT_SECRET: SHOPIFY_DEMO_CLIENT.clientSecret,
    TRIBUTARY_AMAZON_CLIENT_ID: AMAZON_DEMO_CLIENT.clientId,
    TRIBUTARY_AMAZON_CLIENT_SECRET: AMAZON_DEMO_CLIENT.clientSecret,
    TRIBUTARY_ENV: 'local',
    TRIBUTARY_HOME: home,
    DATABASE_URL: (testDb.config as { url: string }).url,
    TRIBUTARY_DYNAMODB_ENDPOINT: dynalite.endpoint,
    TRIBUTARY_S3_ENDPOINT: s3.endpoint,
    TRIBUTARY_KV_TABLE: 'tributary-kv',
    TRIBUTARY_COGNITO_ENDPOINT: cognito.endpoint,
    TRIBUTARY_USER_POOL_ID: cognito.userPoolId,
    TRIBUTARY_USER_POOL_CLIENT_ID: cognito.clientId,
  });
  adapters = createAdapters(config);
  const logger = new Logger({ serviceName: 'api-test', logLevel: 'DEBUG' });
  const sink = new Writable({ write: (chunk, _encoding, done) => (logLines.push(String(chunk)), done()) });
  (logger as unknown as { console: Console }).console = new Console({ stdout: sink, stderr: sink });
  // the budget is raised here so the suite's own sign-ins are not throttled; http-handler.test.ts covers the 429
  const deps = createApiDeps(adapters, {
    logger,
    rateLimits: { auth: { limit: 100_000, windowSeconds: 60 }, standard: { limit: 100_000, windowSeconds: 60 } },
  });
  server = await startApiServer({
    routes: managementApiRoutes(deps),
    port: apiPort,
    allowedOrigin: config.api!.dashboardOrigin,
  });
  // ten stand-ins start here (a database, dynalite, cognito-local as a child process, six sandboxes, the API server)
}, 600_000);

afterAll(async () => {
  await server?.stop();
  await googleSandbox?.stop();
  await metaSandbox?.stop();
  await metricoolSandbox?.stop();
  await shopifySandbox?.stop();
  await amazonSandbox?.stop();
  await klaviyoSandbox?.stop();
  await adapters?.close();
  await cognito?.stop();
  await dynalite?.stop();
  await s3?.stop();
  await testDb?.drop();
  if (home) await rm(home, { recursive: true, force: true });
});

describe('management API over HTTP', () => {
  it('when a script registers, logs in and sets up a project, it gets every piece back without the secret', async () => {
    const reg = await api(authR.registerRoute, { body: { email: A.email, password: PASSWORD, first_name: 'Alice' } });
    expect(reg.status, reg.text).toBe(202);
    expect(reg.body).toMatchObject({ accepted: true, confirmation_required: false });

    const login = await api(authR.loginRoute, { body: { email: A.email, password: PASSWORD } });
    expect(login.status, login.text).toBe(200);
    A.token = (login.body as { access_token: string }).access_token;
    A.refresh = (login.body as { refresh_token: string }).refresh_token;

    const profile = await api(authR.getProfileRoute, { token: A.token });
    expect(profile.status, profile.text).toBe(200);
    const p = profile.body as {
      id: string;
      email: string;
      organizations: { organization_id: string; role: string; is_personal: boolean }[];
    };
    expect(p.email).toBe(A.email);
    expect(p.organizations).toEqual([expect.objectContaining({ role: 'owner', is_personal: true })]);
    A.userId = p.id;
    A.orgId = p.organizations[0]!.organization_id;

    const project = await api(projR.createProjectRoute, {
      token: A.token,
      body: { name: 'Alice shop', reporting_currency: 'EUR' },
    });
    expect(project.status, project.text).toBe(201);
    A.projectId = (project.body as { id: string }).id;

    const credential = await api(credR.createCredentialRoute, {
      token: A.token,
      params: { project_id: A.projectId },
      body: {
        platform: 'metricool',
        credential_type: 'api_key',
        label: 'main brand',
        secret: { user_id: METRICOOL_DEMO_USER_ID, api_token: CANARY },
      },
    });
    expect(credential.status, credential.text).toBe(201);
    A.credentialId = (credential.body as { id: string }).id;
    expect(credential.text).not.toContain(CANARY);
    expect((credential.body as { masked_preview: string }).masked_preview).toBe('••••0b1d');

    const source = await api(dsR.createDataSourceRoute, {
      token: A.token,
      params: { project_id: A.projectId },
      body: {
        credential_id: A.credentialId,
        source_name: 'alice-posts',
        extraction_config: { account_id: '4210001', report_types: ['posts_daily'] },
        schedule_config: { frequency: 'daily', hour_utc: 4 },
      },
    });
    expect(source.status, source.text).toBe(201);
    A.sourceId = (source.body as { id: string }).id;

    const projects = await api(projR.listProjectsRoute, { token: A.token });
    expect((projects.body as { projects: { id: string }[] }).projects.map((x) => x.id)).toEqual([A.projectId]);
    const creds = await api(credR.listCredentialsRoute, { token: A.token, params: { project_id: A.projectId } });
    expect((creds.body as { credentials: unknown[] }).credentials).toHaveLength(1);
    const sources = await api(dsR.listDataSourcesRoute, { token: A.token, params: { project_id: A.projectId } });
    expect((sources.body as { data_sources: { id: string }[] }).data_sources.map((s) => s.id)).toEqual([A.sourceId]);
    const one = await api(credR.getCredentialRoute, {
      token: A.token,
      params: { project_id: A.projectId, credential_id: A.credentialId },
    });
    expect(one.status).toBe(200);
    expect(one.text).not.toContain(CANARY);

    // the stored secret bytes do not contain the plaintext, and the database holds only a reference
    const secretFiles = await readdir(path.join(home, 'secrets'));
    expect(secretFiles).toHaveLength(1);
    expect(await readFile(path.join(home, 'secrets', secretFiles[0]!), 'utf8')).not.toContain(CANARY);
    expect((await stat(path.join(home, 'master.key'))).mode & 0o777).toBe(0o600);
  });

  it('when an extraction is requested while a run of the data source is going, it answers 409 with that job id; once it ends, 202', async () => {
    // Prepare: a run of this data source is in progress (as if another request or the schedule started it)
    const admin = new pg.Client({ connectionString: testDb.adminUrl });
    await admin.connect();
    const running = (
      await admin.query(
        `INSERT INTO extraction_jobs (organization_id, project_id, data_source_id, job_type, status, started_at) VALUES ($1, $2, $3, 'scheduled', 'running', now()) RETURNING id`,
        [A.orgId, A.projectId, A.sourceId],
      )
    ).rows[0].id as string;
    try {
      // a window that cannot be extracted says what is wrong with it first, running job or not
      const extract = (body: Record<string, string>) =>
        api(dsR.extractDataSourceRoute, {
          token: A.token,
          params: { project_id: A.projectId, source_id: A.sourceId },
          body,
        });
      for (const body of [
        { window_start: '2024-02-31', window_end: '2024-03-01' },
        { window_start: '2026-01-01', window_end: '2026-02-30' },
        { window_start: '9999-12-01', window_end: '9999-12-31' },
        { window_start: '1900-01-01', window_end: '2026-11-30' },
        { window_start: '2026-01-01', window_end: '2099-01-01' },
      ]) {
        const bad = await extract(body);
        expectError(bad, 400, 'VALIDATION_ERROR');
      }
      // Act + Assess: a second start is refused, naming the running job
      const refused = await api(dsR.extractDataSourceRoute, {
        token: A.token,
        params: { project_id: A.projectId, source_id: A.sourceId },
        body: {},
      });
      expectError(refused, 409, 'CONFLICT');
      expect((refused.body as { error: { details: { job_id: string } } }).error.details.job_id).toBe(running);
    } finally {
      await admin.query(`UPDATE extraction_jobs SET status = 'failed', completed_at = now() WHERE id = $1`, [running]);
      await admin.end();
    }
    // once that run has ended, a start is accepted and the status lists the new job first
    const first = await api(dsR.extractDataSourceRoute, {
      token: A.token,
      params: { project_id: A.projectId, source_id: A.sourceId },
    });
    expect(first.status, first.text).toBe(202);
    A.jobId = (first.body as { job_id: string }).job_id;
    expect(A.jobId).not.toBe(running);
    const status = await api(dsR.dataSourceStatusRoute, {
      token: A.token,
      params: { project_id: A.projectId, source_id: A.sourceId },
    });
    expect((status.body as { jobs: { id: string }[] }).jobs.map((j) => j.id)).toContain(A.jobId);
  });

  it('when an API-key platform is asked for OAuth or a refresh, or OAuth completes with an unknown state, it answers 400 saying why', async () => {
    const ids = { project_id: A.projectId, credential_id: A.credentialId };
    const validated = await api(credR.validateCredentialRoute, { token: A.token, params: ids });
    expect(validated.status, validated.text).toBe(200);
    expect(validated.body).toMatchObject({ valid: true });
    expectError(await api(credR.refreshCredentialRoute, { token: A.token, params: ids }), 400, 'VALIDATION_ERROR');
    const oauth = await api(credR.oauthStartRoute, {
      token: A.token,
      params: { project_id: A.projectId, platform: 'metricool' },
    });
    expectError(oauth, 400, 'VALIDATION_ERROR');
    expect(oauth.text).toContain('API keys');
    expectError(
      await api(credR.oauthCompleteRoute, { token: A.token, body: { state: 'x'.repeat(43), code: 'abc' } }),
      400,
      'VALIDATION_ERROR',
    );
  });

  // platform tokens the connect flows stored: none may appear in a response or a log line
  const platformTokens: string[] = [];

  it.each([
    ['google_ads', () => googleSandbox.url],
    ['meta_ads', () => metaSandbox.baseUrl],
    // Shopify's OAuth lives on each shop's own host: the start names the shop
    ['shopify', () => `${shopifySandbox.url}/shops/tienda-norte.myshopify.com/`],
    ['amazon_ads', () => amazonSandbox.url],
  ] as const)(
    'when %s is connected by OAuth, start → sandbox consent → callback stores the credential, and validate is ok',
    async (platform, sandboxUrl) => {
      // Prepare: the start answer names the sandbox's consent page (the configured base URL), with a single-use state
      const shop: Record<string, string> = platform === 'shopify' ? { shop: 'tienda-norte.myshopify.com' } : {};
      const start = await api(credR.oauthStartRoute, {
        token: A.token,
        params: { project_id: A.projectId, platform },
        query: { label: `${platform} main`, ...shop },
      });
      expect(start.status, start.text).toBe(200);
      const { authorization_url, state } = start.body as { authorization_url: string; state: string };
      expect(authorization_url.startsWith(sandboxUrl())).toBe(true);
      expect(new URL(authorization_url).searchParams.get('state')).toBe(state);
      // Act: the demo user approves at once and the browser is sent back to our callback with a code
      const consent = await fetch(authorization_url, { redirect: 'manual' });
      expect(consent.status).toBe(302);
      const back = new URL(consent.headers.get('location')!);
      expect(`${back.origin}${back.pathname}`).toBe(`${server.url}/api/v1/oauth/callback`);
      // the old callback address stores nothing: it forwards code and state to the dashboard's page
      const callback = await api(credR.oauthCallbackRoute, { query: Object.fromEntries(back.searchParams) });
      expect(callback.status, callback.text).toBe(302);
      const dashboard = new URL(callback.headers.get('location')!);
      expect(dashboard.pathname).toBe('/oauth/callback');
      expect(dashboard.searchParams.get('state')).toBe(state);
      // Assess: the dashboard page completes as the signed-in starter; validate makes a live call that succeeds
      const completed = await api(credR.oauthCompleteRoute, {
        token: A.token,
        body: { code: dashboard.searchParams.get('code'), state },
      });
      expect(completed.status, completed.text).toBe(201);
      expect(completed.body).toMatchObject({ project_id: A.projectId, platform, credential_type: 'oauth2' });
      const credentialId = (completed.body as { id: string }).id;
      expect(credentialId).toMatch(/^[0-9a-f-]{36}$/);
      const validated = await api(credR.validateCredentialRoute, {
        token: A.token,
        params: { project_id: A.projectId, credential_id: credentialId },
      });
      expect(validated.status, validated.text).toBe(200);
      expect(validated.body).toMatchObject({
        valid: true,
        message: null,
        credential: { id: credentialId, validation_status: 'valid' },
      });
      // the state was single use: replaying the completion is refused
      expectError(
        await api(credR.oauthCompleteRoute, {
          token: A.token,
          body: { code: dashboard.searchParams.get('code'), state },
        }),
        400,
        'VALIDATION_ERROR',
      );

      // a data source on it is checked against the live catalog: the refusals name what the credential can see
      const createSource = (extraction_config: { account_id: string; report_types: string[] }) =>
        api(dsR.createDataSourceRoute, {
          token: A.token,
          params: { project_id: A.projectId },
          body: {
            credential_id: credentialId,
            source_name: `${platform} source`,
            extraction_config,
            schedule_config: { frequency: 'daily', hour_utc: 4 },
          },
        });
      const noAccount = await createSource({ account_id: 'no-such-account', report_types: ['no_such_report'] });
      expectError(noAccount, 400, 'VALIDATION_ERROR');
      const accountId = (noAccount.body as { error: { details: { available: string[] } } }).error.details.available[0]!;
      const noReport = await createSource({ account_id: accountId, report_types: ['no_such_report'] });
      expectError(noReport, 400, 'VALIDATION_ERROR');
      const reportType = (noReport.body as { error: { details: { available: string[] } } }).error.details.available[0]!;
      const created = await createSource({ account_id: accountId, report_types: [reportType] });
      expect(created.status, created.text).toBe(201);
      // the answer names the currency and time zone the source's numbers will be in
      expect((created.body as { account: unknown }).account).toEqual({
        id: accountId,
        name: expect.any(String),
        currency: expect.stringMatching(/^[A-Z]{3}$/),
        time_zone: expect.stringContaining('/'),
        checked_at: expect.any(String),
      });

      const admin = new pg.Client({ connectionString: testDb.adminUrl });
      await admin.connect();
      const row = (
        await admin.query('SELECT secret_ref, platform, credential_type FROM credentials WHERE id = $1', [credentialId])
      ).rows[0];
      // the account as the catalog described it is kept, so runs plan from it without asking again
      const source = (
        await admin.query('SELECT account_info, account_checked_at FROM data_sources WHERE id = $1', [
          (created.body as { id: string }).id,
        ])
      ).rows[0];
      await admin.end();
      expect(source.account_info).toEqual({
        id: accountId,
        name: expect.any(String),
        currency: expect.stringMatching(/^[A-Z]{3}$/),
        timeZone: expect.stringMatching(/^[A-Za-z_]+\/[A-Za-z_]+/),
      });
      expect(source.account_checked_at).toBeInstanceOf(Date);
      expect(row).toMatchObject({ platform, credential_type: 'oauth2' });
      const stored = await adapters.secrets.read(row.secret_ref as string);
      for (const key of ['accessToken', 'refreshToken'])
        if (typeof stored[key] === 'string') platformTokens.push(stored[key] as string);
      expect(typeof stored.accessToken).toBe('string');
      const one = await api(credR.getCredentialRoute, {
        token: A.token,
        params: { project_id: A.projectId, credential_id: credentialId },
      });
      for (const token of platformTokens) expect(one.text).not.toContain(token);
    },
  );

  it('when a Shopify connection starts without a valid shop domain, it answers 400 naming the domain to give', async () => {
    for (const query of [{}, { shop: 'tienda-norte.example.com' }] as Record<string, string>[]) {
      const r = await api(credR.oauthStartRoute, {
        token: A.token,
        params: { project_id: A.projectId, platform: 'shopify' },
        query,
      });
      expectError(r, 400, 'VALIDATION_ERROR');
      expect(r.text).toContain('myshopify.com');
    }
  });
  it("when an Amazon Ads report is still running after the worker's polls, the extraction waits in the local state machine and loads the window equal to the truth", async () => {
    const admin = new pg.Client({ connectionString: testDb.adminUrl });
    await admin.connect();
    try {
      const source = (
        await admin.query(
          `SELECT id, extraction_config FROM data_sources WHERE project_id = $1 AND platform = 'amazon_ads'`,
          [A.projectId],
        )
      ).rows[0] as { id: string; extraction_config: { account_id: string; report_types: string[] } };
      expect(source).toBeDefined();
      const control = new SandboxControl(amazonSandbox.url);
      await control.resetRequests();
      // the next report stays running past the connector's three in-process polls: the rest is the Wait state's
      await control.arm({ kind: 'slow_report', extraPolls: 3, times: 1 });
      const started = await api(dsR.extractDataSourceRoute, {
        token: A.token,
        params: { project_id: A.projectId, source_id: source.id },
        body: {},
      });
      expect(started.status, started.text).toBe(202);
      const jobId = (started.body as { job_id: string }).job_id;
      let job: { status: string; window_start: string; window_end: string } | undefined;
      for (let i = 0; i < 900; i++) {
        job = (
          await admin.query(`SELECT status, window_start::text, window_end::text FROM extraction_jobs WHERE id = $1`, [
            jobId,
          ])
        ).rows[0];
        if (job && !['pending', 'running'].includes(job.status)) break;
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
      expect(job?.status).toBe('succeeded');
      const requests = (await control.requests()).byRoute;
      const items = Number(
        (await admin.query(`SELECT count(*) FROM extraction_work_items WHERE job_id = $1`, [jobId])).rows[0].count,
      );
      // one report per item; the slow one needed more status reads than one worker call makes
      expect(requests['reports.create']).toBe(items);
      expect(requests['reports.get']).toBe(items * 2 + 3);
      const reportType = source.extraction_config.report_types[0]!;
      const truth = await control.truth<{ groups: Record<string, { cost: string; purchases: string; rows: number }> }>({
        profile: source.extraction_config.account_id,
        reportType,
        from: job!.window_start,
        to: job!.window_end,
        groupBy: 'date',
      });
      const days = (
        await admin.query(
          `SELECT data_date::text AS day, sum(cost)::text AS cost, sum(conversions)::text AS purchases, count(*)::int AS rows FROM extracted_data WHERE data_source_id = $1 AND data_type = $2 GROUP BY 1`,
          [source.id, reportType],
        )
      ).rows;
      expect(
        Object.fromEntries(
          days.map((d) => [d.day, { cost: Number(d.cost), purchases: Number(d.purchases), rows: d.rows }]),
        ),
      ).toEqual(
        Object.fromEntries(
          Object.entries(truth.groups).map(([d, t]) => [
            d,
            { cost: Number(t.cost), purchases: Number(t.purchases), rows: t.rows },
          ]),
        ),
      );
    } finally {
      await admin.end();
    }
  }, 300_000);

  it('when a credential is rotated, the application can no longer read the old value', async () => {
    const rotated = await api(credR.updateCredentialRoute, {
      token: A.token,
      params: { project_id: A.projectId, credential_id: A.credentialId },
      body: { secret: { user_id: METRICOOL_DEMO_USER_ID, api_token: 'rotated-token-value-000000000000' } },
    });
    expect(rotated.status, rotated.text).toBe(200);
    const admin = new pg.Client({ connectionString: testDb.adminUrl });
    await admin.connect();
    const ref = (await admin.query('SELECT secret_ref FROM credentials WHERE id = $1', [A.credentialId])).rows[0]
      .secret_ref as string;
    await admin.end();
    const value = await adapters.secrets.read(ref);
    expect(value.api_token).toBe('rotated-token-value-000000000000');
    expect(JSON.stringify(value)).not.toContain(CANARY);
  });

  it('when a second user registers, they get their own organization', async () => {
    await api(authR.registerRoute, { body: { email: B.email, password: PASSWORD } });
    const login = await api(authR.loginRoute, { body: { email: B.email, password: PASSWORD } });
    B.token = (login.body as { access_token: string }).access_token;
    const profile = await api(authR.getProfileRoute, { token: B.token });
    B.userId = (profile.body as { id: string }).id;
    B.orgId = (profile.body as { organizations: { organization_id: string }[] }).organizations[0]!.organization_id;
    expect(B.orgId).not.toBe(A.orgId);
  });

  it("when a second organization's user calls every route with the first organization's ids, each answer is 404 and leaks nothing", async () => {
    // Prepare: a webhook of the first organization, so its routes are called with a real foreign id
    const hook = await api(webhookR.createWebhookRoute, {
      token: A.token,
      params: { project_id: A.projectId },
      body: { name: 'main store feed' },
    });
    expect(hook.status, hook.text).toBe(201);
    A.webhookId = (hook.body as { webhook: { id: string } }).webhook.id;
    const params = {
      project_id: A.projectId,
      credential_id: A.credentialId,
      source_id: A.sourceId,
      organization_id: A.orgId,
      user_id: A.userId,
      platform: 'metricool',
      webhook_id: A.webhookId,
      invitation_id: '00000000-0000-4000-8000-000000000000',
      job_id: '00000000-0000-4000-8000-000000000000',
    };
    const bodies: Partial<Record<string, unknown>> = {
      createWebhook: { name: 'stolen' },
      updateWebhook: { name: 'stolen' },
      mintWebhookSignedUrl: {},
      updateProject: { name: 'stolen' },
      createCredential: {
        platform: 'metricool',
        credential_type: 'api_key',
        label: 'x',
        secret: { user_id: METRICOOL_DEMO_USER_ID, api_token: CANARY },
      },
      updateCredential: { label: 'stolen' },
      createDataSource: {
        credential_id: A.credentialId,
        source_name: 'x',
        extraction_config: { account_id: 'a', report_types: ['r'] },
      },
      updateDataSource: { source_name: 'stolen' },
      inviteMember: { email: B.email, role: 'owner' },
      changeMemberRole: { role: 'viewer' },
    };
    const scoped = MANAGEMENT_ROUTES.filter(
      (r) => r.auth === 'user' && /\{(project_id|organization_id)\}/.test(r.path),
    );
    expect(scoped.length).toBeGreaterThan(20);
    // every offending route is listed at once, rather than the first
    const wrong: string[] = [];
    for (const route of scoped) {
      const r = await api(route, {
        token: B.token,
        params,
        body: bodies[route.operationId] ?? (route.request.body ? {} : undefined),
      });
      if (
        ![403, 404].includes(r.status) ||
        (r.status === 403 && !route.path.includes('{project_id}')) ||
        !ErrorEnvelopeSchema.safeParse(r.body).success
      )
        wrong.push(`${route.operationId}: ${r.status} ${r.text.slice(0, 300)}`);
      for (const leaked of ['Alice shop', 'alice-posts', 'main brand', A.email, CANARY])
        if (r.text.includes(leaked)) wrong.push(`${route.operationId} leaks ${leaked}`);
    }
    expect(wrong).toEqual([]);
    // and nothing changed
    const still = await api(projR.getProjectRoute, { token: A.token, params: { project_id: A.projectId } });
    expect((still.body as { name: string }).name).toBe('Alice shop');
  });

  it('when a member has a role too low for an action, it answers 403; the last owner can neither leave nor be demoted', async () => {
    const invited = await api(memR.inviteMemberRoute, {
      token: A.token,
      params: { organization_id: A.orgId },
      body: { email: B.email, role: 'viewer' },
    });
    expect(invited.status, invited.text).toBe(201);
    expect(invited.body).toMatchObject({ status: 'invited' });
    // B accepts with the emailed link (the local outbox; invitations.http.test.ts covers every path)
    const mails = (await readFile(path.join(home, 'outbox.ndjson'), 'utf8'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { to: string; accept_url: string });
    const inviteToken = new URL(mails.filter((m) => m.to === B.email).at(-1)!.accept_url).searchParams.get('token')!;
    expect((await api(memR.acceptInvitationRoute, { token: B.token, body: { token: inviteToken } })).status).toBe(200);
    const ids = { project_id: A.projectId, credential_id: A.credentialId, source_id: A.sourceId };
    expect((await api(projR.getProjectRoute, { token: B.token, params: ids })).status).toBe(200);
    expectError(
      await api(projR.updateProjectRoute, { token: B.token, params: ids, body: { name: 'viewer edit' } }),
      403,
      'AUTHORIZATION_FAILED',
    );
    expectError(await api(credR.deleteCredentialRoute, { token: B.token, params: ids }), 403, 'AUTHORIZATION_FAILED');
    expectError(await api(dsR.extractDataSourceRoute, { token: B.token, params: ids }), 403, 'AUTHORIZATION_FAILED');
    const changeRole = (token: string, userId: string, role: string) =>
      api(memR.changeMemberRoleRoute, { token, params: { organization_id: A.orgId, user_id: userId }, body: { role } });
    expectError(await changeRole(B.token, B.userId, 'owner'), 403, 'AUTHORIZATION_FAILED');

    expectError(await changeRole(A.token, A.userId, 'admin'), 409, 'CONFLICT');
    expectError(
      await api(memR.removeMemberRoute, { token: A.token, params: { organization_id: A.orgId, user_id: A.userId } }),
      409,
      'CONFLICT',
    );
    const members = await api(memR.listMembersRoute, { token: B.token, params: { organization_id: A.orgId } });
    expect((members.body as { members: unknown[] }).members).toHaveLength(2);
    expect(
      (await api(memR.removeMemberRoute, { token: B.token, params: { organization_id: A.orgId, user_id: B.userId } }))
        .status,
    ).toBe(204);
  });

  it('when the token is missing, expired, forged or from another pool, every authenticated route answers 401', async () => {
    const now = Math.floor(Date.now() / 1000);
    const issuer = `${cognito.endpoint}/${cognito.userPoolId}`;
    const claims = {
      sub: '00000000-0000-4000-8000-000000000000',
      token_use: 'access',
      client_id: cognito.clientId,
      username: 'x',
      iss: issuer,
      iat: now - 7200,
      exp: now - 3600,
    };
    const cognitoKey = createRequire(import.meta.url)('cognito-local/lib/keys/cognitoLocal.private.json') as {
      pem: string;
    };
    const signToken = (payload: object, key: string | import('node:crypto').KeyObject) => {
      const enc = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
      const unsigned = `${enc({ alg: 'RS256', kid: 'CognitoLocal', typ: 'JWT' })}.${enc(payload)}`;
      return `${unsigned}.${sign('RSA-SHA256', Buffer.from(unsigned), key).toString('base64url')}`;
    };
    const forgedKey = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
    const tokens = {
      expired: signToken(claims, cognitoKey.pem),
      forged: signToken({ ...claims, iat: now, exp: now + 600 }, forgedKey),
      otherPool: signToken(
        { ...claims, iss: `${cognito.endpoint}/us-east-1_other`, iat: now, exp: now + 600 },
        cognitoKey.pem,
      ),
    };
    const params = {
      project_id: A.projectId,
      credential_id: A.credentialId,
      source_id: A.sourceId,
      organization_id: A.orgId,
      user_id: A.userId,
      platform: 'metricool',
    };
    for (const route of MANAGEMENT_ROUTES.filter((r) => r.auth === 'user')) {
      for (const token of [undefined, tokens.expired, tokens.forged, tokens.otherPool]) {
        const r = await api(route, { params, ...(token ? { token } : {}) });
        expectError(r, 401, 'AUTHENTICATION_REQUIRED');
      }
    }
  });

  it('when fuzzed bodies and queries arrive, no route answers 5xx and every error is in the standard format', async () => {
    const params = {
      project_id: A.projectId,
      credential_id: A.credentialId,
      source_id: A.sourceId,
      organization_id: A.orgId,
      user_id: B.userId,
      platform: 'metricool',
      webhook_id: A.webhookId,
      invitation_id: '00000000-0000-4000-8000-000000000000',
      job_id: '00000000-0000-4000-8000-000000000000',
    };
    const fuzzed = MANAGEMENT_ROUTES.filter(
      (r) =>
        r.operationId !== 'logout' &&
        r.operationId !== 'deleteProject' &&
        r.operationId !== 'deleteCredential' &&
        r.operationId !== 'deleteDataSource',
    );
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...fuzzed),
        fc.oneof(fc.jsonValue(), fc.string()),
        fc.dictionary(fc.string({ maxLength: 12 }), fc.string({ maxLength: 30 }), { maxKeys: 4 }),
        async (route, body, query) => {
          const r = await api(route, {
            params,
            query,
            token: A.token,
            ...(typeof body === 'string' ? { rawBody: body } : { body }),
          });
          // 501 is the documented answer for what this deployment has not configured (no public webhook URL
          // here); nothing else may be 5xx
          const notConfigured =
            r.status === 501 && (r.body as { error?: { code?: string } })?.error?.code === 'NOT_IMPLEMENTED';
          if (!notConfigured) expect(r.status, `${route.operationId}: ${r.text}`).toBeLessThan(500);
          if (r.status >= 400) ErrorEnvelopeSchema.parse(r.body);
        },
      ),
      { numRuns: 150 },
    );
    // each run is a real HTTP round trip (some start a local extraction run): minutes on a slow machine
  }, 600_000);

  it('when the platform catalog is read, it lists all eight platforms, each available, with pinned API versions and sunsets', async () => {
    const r = await api(listPlatformsRoute, { token: A.token });
    expect(r.status, r.text).toBe(200);
    const platforms = (
      r.body as {
        platforms: {
          id: string;
          available: boolean;
          auth_kind: string | null;
          api_version: string | null;
          api_sunset: string | null;
          report_types: { id: string }[];
          credential_fields: { name: string; required: boolean; label: string; secret: boolean }[];
        }[];
      }
    ).platforms;
    expect(platforms.map((p) => p.id)).toEqual([
      'google_ads',
      'meta_ads',
      'ga4',
      'instagram',
      'shopify',
      'amazon_ads',
      'metricool',
      'klaviyo',
    ]);
    const byId = Object.fromEntries(platforms.map((p) => [p.id, p]));
    expect(byId.google_ads).toMatchObject({
      available: true,
      auth_kind: 'oauth2',
      api_version: 'v25',
      api_sunset: '2027-08-01',
    });
    expect(byId.meta_ads).toMatchObject({
      available: true,
      auth_kind: 'oauth2',
      api_version: 'v26.0',
      api_sunset: null,
    });
    expect(byId.instagram).toMatchObject({ available: true, api_version: 'v26.0' });
    expect(byId.ga4).toMatchObject({ available: true, api_version: 'v1beta' });
    expect(byId.google_ads!.report_types.map((t) => t.id)).toEqual(['campaign_daily', 'ad_group_daily', 'ad_daily']);
    // Google connects by its consent page only: nothing to type
    expect(byId.google_ads).toMatchObject({
      connect_methods: ['oauth2'],
      credential_fields: [],
      oauth_start_fields: [],
    });
    // Shopify names the store before its consent page, or connects with a custom app's token
    expect(byId.shopify).toMatchObject({
      connect_methods: ['oauth2', 'api_key'],
      oauth_start_fields: [{ name: 'shop', required: true, label: 'Shop domain', secret: false }],
    });
    expect(byId.shopify!.credential_fields.map((f) => [f.name, f.secret])).toEqual([
      ['shop', false],
      ['accessToken', true],
    ]);
    expect(byId.klaviyo).toMatchObject({
      connect_methods: ['oauth2', 'api_key'],
      credential_fields: [{ name: 'apiKey', label: 'Private API key', secret: true }],
    });
    // Amazon's region is a choice named before its consent page (it picks the consent page and the token host)
    expect(byId.amazon_ads).toMatchObject({
      connect_methods: ['oauth2'],
      oauth_start_fields: [{ name: 'region', required: false, options: ['NA', 'EU', 'FE'] }],
    });
    expect(byId.metricool!.credential_fields).toMatchObject([
      { name: 'api_token', required: true, label: 'API token', secret: true },
      { name: 'user_id', required: true, label: 'User id', secret: false },
    ]);
    // [platform, auth kind, pinned API version, its sunset, report types]
    const built = [
      ['metricool', 'api_key', 'v2', null, ['account_timeline_daily', 'posts_daily', 'ad_campaigns_daily']],
      ['klaviyo', 'oauth2', '2026-10-15', '2028-10-15', ['campaign_daily', 'flow_daily']],
      ['shopify', 'oauth2', '2026-10', '2027-10-01', ['orders_daily', 'orders_by_utm_daily']],
      ['amazon_ads', 'oauth2', 'v3', null, ['sp_campaign_daily', 'sb_campaign_daily', 'sd_campaign_daily']],
    ] as const;
    for (const [id, auth_kind, api_version, api_sunset, reportTypes] of built) {
      expect(byId[id], id).toMatchObject({ available: true, auth_kind, api_version, api_sunset });
      expect(byId[id]!.report_types.map((t) => t.id)).toEqual(reportTypes);
    }
  });

  it('when the demo data is set up, the demo project gets one data source per built connector, each extracted with rows; a second start reuses them', async () => {
    // Prepare: a project of its own, as the demo webhook service makes the Demo project
    const project = await api(projR.createProjectRoute, { token: A.token, body: { name: 'Demo project' } });
    expect(project.status, project.text).toBe(201);
    const projectId = (project.body as { id: string }).id;
    const urls = {
      google: googleSandbox.url,
      meta: metaSandbox.baseUrl,
      metricool: metricoolSandbox.url,
      shopify: shopifySandbox.url,
      amazon: amazonSandbox.url,
      klaviyo: klaviyoSandbox.url,
    };
    // Act
    const demo = await ensureDemoData(server.url, urls, { email: A.email, password: PASSWORD }, projectId);
    // Assess: every built platform, each run to the end with rows in the fact table
    expect(demo.data_sources.map((s) => s.platform)).toEqual([
      'google_ads',
      'meta_ads',
      'ga4',
      'instagram',
      'metricool',
      'shopify',
      'amazon_ads',
      'klaviyo',
    ]);
    const admin = new pg.Client({ connectionString: testDb.adminUrl });
    await admin.connect();
    try {
      const jobs = demo.data_sources.map((s) => s.first_job_id!);
      // Klaviyo's reports go at 2 a minute: its first run takes about a minute
      for (let i = 0; i < 1200; i++) {
        const { rows } = await admin.query(
          `SELECT count(*)::int AS n FROM extraction_jobs WHERE id = ANY($1) AND status IN ('pending', 'running')`,
          [jobs],
        );
        if (rows[0].n === 0) break;
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
      const { rows } = await admin.query(
        `SELECT j.data_source_id, j.status, (SELECT count(*)::int FROM extracted_data e WHERE e.data_source_id = j.data_source_id) AS rows
         FROM extraction_jobs j WHERE j.id = ANY($1)`,
        [jobs],
      );
      for (const s of demo.data_sources) {
        const job = rows.find((r) => r.data_source_id === s.data_source_id);
        expect({ platform: s.platform, status: job?.status, hasRows: (job?.rows ?? 0) > 0 }).toEqual({
          platform: s.platform,
          status: 'succeeded',
          hasRows: true,
        });
      }
      // a second start rotates the secrets and reuses every credential and data source
      const again = await ensureDemoData(server.url, urls, { email: A.email, password: PASSWORD }, projectId);
      expect(again.data_sources.map((s) => [s.credential_id, s.data_source_id])).toEqual(
        demo.data_sources.map((s) => [s.credential_id, s.data_source_id]),
      );
      const count = await admin.query(`SELECT count(*)::int AS n FROM data_sources WHERE project_id = $1`, [projectId]);
      expect(count.rows[0].n).toBe(demo.data_sources.length);
    } finally {
      await admin.query(
        `UPDATE extraction_jobs SET status = 'failed', completed_at = now() WHERE project_id = $1 AND status IN ('pending', 'running')`,
        [projectId],
      );
      await admin.end();
    }
  }, 300_000);

  it('when a user logs out, the refresh token is refused afterwards', async () => {
    const login = await api(authR.loginRoute, { body: { email: A.email, password: PASSWORD } });
    const { access_token, refresh_token } = login.body as { access_token: string; refresh_token: string };
    expect((await api(authR.refreshRoute, { body: { refresh_token } })).status).toBe(200);
    const out = await api(authR.logoutRoute, { token: access_token, body: { refresh_token } });
    expect(out.status, out.text).toBe(204);
    expectError(await api(authR.refreshRoute, { body: { refresh_token } }), 401, 'AUTHENTICATION_REQUIRED');
  });

  it('serves an OpenAPI 3.1 document listing every route, and every response the suite received matches it', async () => {
    const doc = await api(openApiRoute);
    expect(doc.status).toBe(200);
    const document = doc.body as {
      openapi: string;
      paths: Record<
        string,
        Record<string, { responses: Record<string, { content?: { 'application/json': { schema: object } } }> }>
      >;
      components: object;
    };
    expect(document.openapi).toBe('3.1.0');
    for (const route of MANAGEMENT_ROUTES)
      expect(document.paths[route.path]?.[route.method], route.operationId).toBeDefined();

    const ajv = new Ajv2020({ strict: false, allErrors: true });
    (addFormats as unknown as (a: unknown) => void)(ajv);
    const validators = new Map<string, ReturnType<typeof ajv.compile>>();
    for (const r of received) {
      const operation = document.paths[r.route.path]?.[r.route.method];
      const response = operation?.responses[String(r.status)];
      expect(response, `${r.route.operationId} answered ${r.status}, which the document does not list`).toBeDefined();
      const schema = response?.content?.['application/json']?.schema;
      if (!schema) continue;
      const key = `${r.route.operationId} ${r.status}`;
      if (!validators.has(key)) validators.set(key, ajv.compile({ ...schema, components: document.components }));
      const validate = validators.get(key)!;
      expect(validate(r.body), `${key}: ${JSON.stringify(validate.errors)}`).toBe(true);
    }
  });

  it('never lets the canary secret reach logs, the database, responses or files outside the secret store', async () => {
    expect(logLines.join('\n')).not.toContain(CANARY);
    // nor the platform tokens of the OAuth connect flows
    expect(platformTokens.length).toBeGreaterThanOrEqual(2);
    for (const token of platformTokens) {
      expect(logLines.join('\n')).not.toContain(token);
      for (const r of received) expect(r.text).not.toContain(token);
    }
    for (const r of received) expect(r.text).not.toContain(CANARY);
    const admin = new pg.Client({ connectionString: testDb.adminUrl });
    await admin.connect();
    const tables = (await admin.query(`SELECT tablename FROM pg_tables WHERE schemaname = 'public'`)).rows.map(
      (row) => row.tablename as string,
    );
    for (const table of tables) {
      const dump = await admin.query(`SELECT t::text AS row FROM ${table} t`);
      expect(JSON.stringify(dump.rows), table).not.toContain(CANARY);
    }
    await admin.end();
    const walk = async (dir: string): Promise<string[]> => {
      const out: string[] = [];
      for (const entry of await readdir(dir, { withFileTypes: true })) {
        const full = path.join(dir, entry.name);
        if (entry.isDirectory()) out.push(...(await walk(full)));
        else out.push(full);
      }
      return out;
    };
    for (const file of await walk(home)) {
      if (file.startsWith(path.join(home, 'secrets'))) continue;
      if (existsSync(file)) expect((await readFile(file)).includes(CANARY), file).toBe(false);
    }
  });
});
