// Seam: Klaviyo through the management API over real HTTP, with the Klaviyo sandbox as the platform (its real
// report limits on): connect with a private key → validate → accounts → a data source whose conversion metric
// is checked against the account's metrics → extract through the in-process pipeline → rows equal the
// sandbox's truth. Also the OAuth connect flow (PKCE) and a key without the report scopes.
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  KLAVIYO_DEMO_CLIENT,
  startKlaviyoSandbox,
  type KlaviyoSandbox,
} from '@tributary/connectors/sandboxes/klaviyo/klaviyo-sandbox';
import { ErrorEnvelopeSchema } from '@tributary/shared/http/error-envelope';
import { freePort } from '@tributary/shared/local/embedded-postgres';
import { startS3rver, type S3rverHandle } from '@tributary/shared/local/s3rver';
import * as credR from '../credentials/credential.routes';
import { listPlatformsRoute } from '../platforms/platform.routes';
import * as projR from '../projects/project.routes';
import { startApiHarness, type ApiHarness } from '../testing/api-harness';
import * as dsR from './data-source.routes';

let h: ApiHarness;
let sb: KlaviyoSandbox;
let s3: S3rverHandle;
let s3Dir = '';
let user: { token: string; userId: string; orgId: string };
let projectId = '';
const today = () => new Date().toISOString().slice(0, 10);
const daysAgo = (n: number) => new Date(Date.now() - n * 86_400_000).toISOString().slice(0, 10);

beforeAll(async () => {
  // the calendar's today, as on the local runner; Klaviyo's report limits (1/s, 2/min, 225/day) enforced
  sb = await startKlaviyoSandbox({ today });
  // the pipeline archives each raw page
  s3Dir = await mkdtemp(path.join(os.tmpdir(), 'tributary-klaviyo-s3-'));
  s3 = await startS3rver({ port: await freePort(), directory: s3Dir, buckets: ['tributary-archive', 'tributary-raw'] });
  h = await startApiHarness({
    TRIBUTARY_S3_ENDPOINT: s3.endpoint,
    TRIBUTARY_PLATFORM_BASE_URLS: JSON.stringify({ klaviyo_api: sb.url, klaviyo_oauth: sb.url }),
    TRIBUTARY_KLAVIYO_CLIENT_ID: KLAVIYO_DEMO_CLIENT.clientId,
    TRIBUTARY_KLAVIYO_CLIENT_SECRET: KLAVIYO_DEMO_CLIENT.clientSecret,
  });
  user = await h.signUp(`klaviyo-${Date.now()}@example.com`);
  const project = await h.call(projR.createProjectRoute, { token: user.token, body: { name: 'Email revenue' } });
  expect(project.status, project.text).toBe(201);
  projectId = (project.body as { id: string }).id;
}, 240_000);

afterAll(async () => {
  await h?.stop();
  await sb?.stop();
  await s3?.stop();
  if (s3Dir) await rm(s3Dir, { recursive: true, force: true });
});

async function createKeyCredential(apiKey: string, label: string): Promise<string> {
  const r = await h.call(credR.createCredentialRoute, {
    token: user.token,
    params: { project_id: projectId },
    body: { platform: 'klaviyo', credential_type: 'api_key', label, secret: { apiKey } },
  });
  expect(r.status, r.text).toBe(201);
  expect(r.text).not.toContain(apiKey);
  return (r.body as { id: string }).id;
}

describe('Klaviyo through the management API', () => {
  it('when a private key is connected, validated and its account chosen with a conversion metric, an extraction loads rows equal to the sandbox truth', async () => {
    const platforms = await h.call(listPlatformsRoute, { token: user.token });
    const klaviyo = (
      platforms.body as { platforms: { id: string; available: boolean; api_version: string; api_sunset: string }[] }
    ).platforms.find((p) => p.id === 'klaviyo');
    expect(klaviyo).toMatchObject({ available: true, api_version: '2026-10-15', api_sunset: '2028-10-15' });

    const account = sb.world.accounts[1]!;
    const credentialId = await createKeyCredential(sb.keys[account.id]!, 'Bergblick Klaviyo');
    const ids = { project_id: projectId, credential_id: credentialId };
    const validate = await h.call(credR.validateCredentialRoute, { token: user.token, params: ids });
    expect(validate.status, validate.text).toBe(200);
    expect(validate.body).toMatchObject({ valid: true });
    const accounts = await h.call(credR.listCredentialAccountsRoute, { token: user.token, params: ids });
    expect(accounts.status, accounts.text).toBe(200);
    expect((accounts.body as { accounts: unknown[] }).accounts).toEqual([
      { id: account.id, name: account.name, currency: 'EUR', time_zone: 'Europe/Berlin' },
    ]);

    // a metric the account does not have is a 400 naming the field and the account's metrics
    const base = { credential_id: credentialId, schedule_config: { frequency: 'daily', hour_utc: 5 } };
    const bad = await h.call(dsR.createDataSourceRoute, {
      token: user.token,
      params: { project_id: projectId },
      body: {
        ...base,
        source_name: 'bad',
        extraction_config: {
          account_id: account.id,
          report_types: ['campaign_daily'],
          options: { conversion_metric_id: 'Refunded Order' },
        },
      },
    });
    expect(bad.status, bad.text).toBe(400);
    const envelope = ErrorEnvelopeSchema.parse(bad.body);
    expect(envelope.error.details).toMatchObject({ field: 'extraction_config.options' });
    expect(envelope.error.message).toContain('Placed Order');

    const created = await h.call(dsR.createDataSourceRoute, {
      token: user.token,
      params: { project_id: projectId },
      body: {
        ...base,
        source_name: 'Bergblick email',
        extraction_config: {
          account_id: account.id,
          report_types: ['campaign_daily', 'flow_daily'],
          options: { conversion_metric_id: 'Ordered Product' },
        },
      },
    });
    expect(created.status, created.text).toBe(201);
    const source = created.body as {
      id: string;
      extraction_config: Record<string, unknown>;
      account: { currency: string; time_zone: string };
    };
    const metric = account.metrics.find((m) => m.name === 'Ordered Product')!;
    // stored complete, and read back with the keys it was given (not camel-cased on the way out of jsonb)
    const stored = {
      account_id: account.id,
      report_types: ['campaign_daily', 'flow_daily'],
      options: { conversion_metric_id: metric.id, conversion_metric_name: 'Ordered Product' },
    };
    expect(source.extraction_config).toEqual(stored);
    expect(source.account).toMatchObject({ currency: 'EUR', time_zone: 'Europe/Berlin' });
    const read = await h.call(dsR.getDataSourceRoute, {
      token: user.token,
      params: { project_id: projectId, source_id: source.id },
    });
    expect(read.status, read.text).toBe(200);
    expect((read.body as { extraction_config: unknown; schedule_config: unknown }).extraction_config).toEqual(stored);
    expect((read.body as { schedule_config: unknown }).schedule_config).toEqual({ frequency: 'daily', hour_utc: 5 });

    // one day: one campaign values report and one flow series report, within Klaviyo's 2 a minute
    const day = daysAgo(3);
    const extract = await h.call(dsR.extractDataSourceRoute, {
      token: user.token,
      params: { project_id: projectId, source_id: source.id },
      body: { window_start: day, window_end: day },
    });
    expect(extract.status, extract.text).toBe(202);
    let status = '';
    for (let i = 0; i < 300 && !['succeeded', 'failed', 'partial'].includes(status); i++) {
      await new Promise((r) => setTimeout(r, 200));
      const s = await h.call(dsR.dataSourceStatusRoute, {
        token: user.token,
        params: { project_id: projectId, source_id: source.id },
      });
      status = (s.body as { jobs: { status: string }[] }).jobs[0]?.status ?? '';
    }
    expect(status).toBe('succeeded');
    const admin = new pg.Client({ connectionString: h.testDb.adminUrl });
    await admin.connect();
    try {
      for (const [report, type] of [
        ['campaign', 'campaign_daily'],
        ['flow', 'flow_daily'],
      ] as const) {
        const truth = (await (
          await fetch(
            `${sb.url}/__sandbox/truth?${new URLSearchParams({ account: account.id, from: day, to: day, report, metric: metric.id })}`,
          )
        ).json()) as { rows: number; conversions: string; conversion_value: string; clicks: string };
        const { rows } = await admin.query(
          `SELECT count(*)::int AS rows, coalesce(sum(conversions), 0)::text AS conversions, coalesce(sum(revenue), 0)::text AS revenue, coalesce(sum(clicks), 0)::text AS clicks, array_agg(DISTINCT currency) AS currencies
           FROM extracted_data WHERE data_source_id = $1 AND data_type = $2 AND data_date = $3`,
          [source.id, type, day],
        );
        expect(
          {
            rows: rows[0].rows,
            conversions: Number(rows[0].conversions),
            revenue: Number(rows[0].revenue),
            clicks: Number(rows[0].clicks),
          },
          type,
        ).toEqual({
          rows: truth.rows,
          conversions: Number(truth.conversions),
          revenue: Number(truth.conversion_value),
          clicks: Number(truth.clicks),
        });
        if (truth.rows > 0) expect(rows[0].currencies).toEqual(['EUR']);
      }
    } finally {
      await admin.end();
    }
  }, 180_000);

  it('when a key lacks the report scopes, validate says which ones; an OAuth app connects with PKCE and its grant validates', async () => {
    const limitedId = await createKeyCredential(sb.limitedKey, 'Limited key');
    const refused = await h.call(credR.validateCredentialRoute, {
      token: user.token,
      params: { project_id: projectId, credential_id: limitedId },
    });
    expect(refused.status, refused.text).toBe(200);
    expect(refused.body).toMatchObject({
      valid: false,
      message: expect.stringContaining('campaigns:read and flows:read'),
    });

    const start = await h.call(credR.oauthStartRoute, {
      token: user.token,
      params: { project_id: projectId, platform: 'klaviyo' },
      query: { label: 'Klaviyo app' },
    });
    expect(start.status, start.text).toBe(200);
    const authorizationUrl = new URL((start.body as { authorization_url: string }).authorization_url);
    expect(authorizationUrl.searchParams.get('code_challenge_method')).toBe('S256');
    expect(authorizationUrl.searchParams.get('code_challenge')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const consent = await fetch(authorizationUrl, { redirect: 'manual' });
    expect(consent.status).toBe(302);
    const back = new URL(consent.headers.get('location')!);
    const done = await h.call(credR.oauthCompleteRoute, {
      token: user.token,
      body: { code: back.searchParams.get('code'), state: back.searchParams.get('state') },
    });
    expect(done.status, done.text).toBe(201);
    expect(done.body).toMatchObject({ platform: 'klaviyo', credential_type: 'oauth2', status: 'active' });
    const validated = await h.call(credR.validateCredentialRoute, {
      token: user.token,
      params: { project_id: projectId, credential_id: (done.body as { id: string }).id },
    });
    expect(validated.body).toMatchObject({ valid: true });
  }, 120_000);
});
