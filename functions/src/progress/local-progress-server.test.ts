// Live progress on the local pieces: a run on the local state machine (planner, worker, finalizer, Google
// Ads sandbox, s3rver, embedded PostgreSQL) publishes through the adapter config.ts picks for the local
// runner (LocalWebSocketProgressPublisher), into the local WebSocket server; clients authenticate with
// cognito-local access tokens and see only their organizations' runs.
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { startGoogleSandbox, type GoogleSandbox } from '@tributary/connectors/sandboxes/google/google-sandbox';
import { demoCredential, googleBaseUrls } from '@tributary/connectors/testing/google-test-kit';
import { LocalStepFunctionsRunner } from '@tributary/shared/adapters/local-step-functions-runner';
import { LocalWebSocketProgressPublisher } from '@tributary/shared/adapters/local-progress-publisher';
import { createAdapters, identityProvider, tokenVerifier, type Adapters } from '@tributary/shared/config/adapters';
import { loadConfig } from '@tributary/shared/config/config';
import { EXTRACTION_DEFINITION } from '@tributary/shared/workflow/extraction-definition';
import { UserDirectory } from '@tributary/shared/identity/user-directory';
import { freePort } from '@tributary/shared/local/embedded-postgres';
import { startDynalite, type DynaliteHandle } from '@tributary/shared/local/dynalite';
import { startS3rver, type S3rverHandle } from '@tributary/shared/local/s3rver';
import { createTestDatabase, type TestDatabase } from '@tributary/shared/testing/test-database';
import { startCognitoLocal, type CognitoLocalHandle } from '../../../infra/local/cognito.service';
import { attachPipeline } from '../pipeline/pipeline';
import type { PipelineDeps } from '../pipeline/pipeline-deps';
import { startExtractionRun } from '../pipeline/start-run';
import { addDays } from '../pipeline/windows';
import { seedSourceWithSecret, testPipelineDeps, TEST_RAW_BUCKET } from '../testing/pipeline-test-deps';
import { startLocalProgressServer, type LocalProgressServer } from './local-progress-server';

const TODAY = '2026-11-23';
const ACCOUNT = '1234567890';
const PASSWORD = 'Correct-Horse-9-battery!';
const HEAVY_MS = 300_000;

interface Message {
  type: string;
  data: Record<string, unknown>;
  timestamp: string;
}

let home: string;
let t: TestDatabase;
let admin: pg.Client;
let sandbox: GoogleSandbox;
let s3: S3rverHandle;
let dynalite: DynaliteHandle;
let cognito: CognitoLocalHandle;
let server: LocalProgressServer;
let adapters: Adapters;
let users: UserDirectory;
let deps: PipelineDeps;
let runner: LocalStepFunctionsRunner;
const sockets: WebSocket[] = [];

async function tokenFor(email: string): Promise<string> {
  await adapters.identity.signUp({ email, password: PASSWORD });
  await adapters.identity.adminConfirmSignUp(email);
  return (await adapters.identity.login(email, PASSWORD)).accessToken;
}

/** An open connection and everything it has received, in order. */
async function connect(
  url: string,
  protocols?: string[],
): Promise<{ ws: WebSocket; messages: Message[]; next(match: (m: Message) => boolean): Promise<Message> }> {
  const ws = new WebSocket(url, protocols);
  sockets.push(ws);
  const messages: Message[] = [];
  const waiters: { match: (m: Message) => boolean; resolve: (m: Message) => void }[] = [];
  ws.on('message', (raw) => {
    const m = JSON.parse(String(raw)) as Message;
    messages.push(m);
    for (const w of [...waiters])
      if (w.match(m)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(m);
      }
  });
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('unexpected-response', (_req, res) => reject(new Error(`refused with ${res.statusCode}`)));
    ws.once('error', reject);
  });
  return {
    ws,
    messages,
    next: (match) =>
      new Promise<Message>((resolve) => {
        const seen = messages.find(match);
        if (seen) resolve(seen);
        else waiters.push({ match, resolve });
      }),
  };
}

/** The status and error body a refused handshake answers with. */
async function refused(
  url: string,
  protocols?: string[],
): Promise<{
  status: number;
  body: { error: { code: string; message: string; request_id: string; timestamp: string } };
}> {
  const ws = new WebSocket(url, protocols);
  ws.on('error', () => undefined); // the refusal is the expected outcome
  return new Promise((resolve, reject) => {
    ws.once('open', () => reject(new Error('the connection was accepted')));
    ws.once('unexpected-response', (_req, res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += String(c)));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(body) }));
    });
  });
}

beforeAll(async () => {
  home = await mkdtemp(path.join(os.tmpdir(), 'tributary-progress-'));
  t = await createTestDatabase();
  admin = new pg.Client({ connectionString: t.adminUrl });
  await admin.connect();
  sandbox = await startGoogleSandbox({ today: TODAY, adsBatchSize: 60 });
  s3 = await startS3rver({ port: await freePort(), directory: path.join(home, 's3'), buckets: [TEST_RAW_BUCKET] });
  dynalite = await startDynalite({ port: await freePort(), tables: ['tributary-kv'] });
  cognito = await startCognitoLocal({ port: await freePort(), dataDir: path.join(home, 'cognito') });
  const env = {
    TRIBUTARY_ENV: 'local',
    TRIBUTARY_HOME: home,
    DATABASE_URL: (t.config as { url: string }).url,
    TRIBUTARY_DYNAMODB_ENDPOINT: dynalite.endpoint,
    TRIBUTARY_KV_TABLE: 'tributary-kv',
    TRIBUTARY_COGNITO_ENDPOINT: cognito.endpoint,
    TRIBUTARY_USER_POOL_ID: cognito.userPoolId,
    TRIBUTARY_USER_POOL_CLIENT_ID: cognito.clientId,
  };
  // the server first (as the local runner starts it before the API), then the config that points at it
  const base = loadConfig(env);
  const publishKey = randomBytes(32).toString('base64url');
  server = await startLocalProgressServer({
    auth: {
      db: t.db,
      verifier: tokenVerifier(base.identity),
      users: new UserDirectory(t.db, identityProvider(base.identity)),
    },
    publishKey,
  });
  const config = loadConfig({
    ...env,
    TRIBUTARY_PROGRESS_PUBLISH_URL: server.publishUrl,
    TRIBUTARY_PROGRESS_PUBLISH_KEY: publishKey,
  });
  adapters = createAdapters(config);
  users = new UserDirectory(adapters.db, adapters.identity);
  runner = new LocalStepFunctionsRunner(EXTRACTION_DEFINITION, { retryIntervalMs: 5, waitMs: 5 });
  deps = testPipelineDeps({
    db: adapters.db,
    s3Endpoint: s3.endpoint,
    home: home,
    clock: { now: () => new Date(`${TODAY}T12:00:00Z`) },
    progress: adapters.progress,
    workflow: runner,
    connectorBaseUrls: googleBaseUrls(sandbox),
  });
  attachPipeline(deps);
}, HEAVY_MS);

afterAll(async () => {
  // a refused handshake never opened: terminate() would throw on it
  for (const ws of sockets) if (ws.readyState === WebSocket.OPEN) ws.terminate();
  await server?.stop();
  await adapters?.close();
  await admin?.end();
  await cognito?.stop();
  await dynalite?.stop();
  await s3?.stop();
  await sandbox?.stop();
  await t?.drop();
  await rm(home, { recursive: true, force: true });
});

describe('live progress on the local WebSocket server', () => {
  it('the config of the local runner publishes through the local WebSocket adapter', () => {
    expect(adapters.config.progress.kind).toBe('local-websocket');
    expect(adapters.progress).toBeInstanceOf(LocalWebSocketProgressPublisher);
  });

  it(
    'a member sees started → progress → completed of a run; a client of another organization sees nothing of it',
    async () => {
      const source = await seedSourceWithSecret(admin, t.adminUrl, deps.secrets, {
        platform: 'google_ads',
        secretName: (credentialId) => `google-${credentialId}`,
        secret: { ...demoCredential(sandbox) },
      });
      await admin.query(`UPDATE data_sources SET extraction_config = $2 WHERE id = $1`, [
        source.dataSourceId,
        JSON.stringify({ account_id: ACCOUNT, report_types: ['campaign_daily'], start_date: addDays(TODAY, -13) }),
      ]);

      // user A is a member of the source's organization; user B only of the personal one made on first sight
      const tokenA = await tokenFor(`watcher-a-${Date.now()}@example.com`);
      const tokenB = await tokenFor(`watcher-b-${Date.now()}@example.com`);
      const a = await users.resolve(await adapters.verifier.verify(tokenA), tokenA);
      const b = await users.resolve(await adapters.verifier.verify(tokenB), tokenB);
      await admin.query(`INSERT INTO memberships (organization_id, user_id, role) VALUES ($1, $2, 'viewer')`, [
        source.organizationId,
        a.userId,
      ]);
      const [{ organization_id: orgB }] = (
        await admin.query(`SELECT organization_id FROM memberships WHERE user_id = $1`, [b.userId])
      ).rows;

      const watcherA = await connect(server.wsUrl, ['tributary', tokenA]);
      expect(watcherA.ws.protocol).toBe('tributary');
      const watcherAByQuery = await connect(`${server.wsUrl}?token=${encodeURIComponent(tokenA)}`);
      const watcherB = await connect(server.wsUrl, ['tributary', tokenB]);

      const started = await startExtractionRun(deps, {
        dataSourceId: source.dataSourceId,
        organizationId: source.organizationId,
        trigger: 'manual',
      });
      const outcome = await runner.settled(started.executionId);
      expect(outcome.status).toBe('SUCCEEDED');
      const ofJob = (type: string) => (m: Message) => m.type === type && m.data.job_id === started.jobId;
      await watcherA.next(ofJob('extraction_completed'));
      await watcherAByQuery.next(ofJob('extraction_completed'));

      const job = (
        await admin.query(
          `SELECT rows_read::int AS rows, rows_inserted::int AS inserted FROM extraction_jobs WHERE id = $1`,
          [started.jobId],
        )
      ).rows[0];
      const run = watcherA.messages.filter((m) => m.data.job_id === started.jobId);
      const types = run.map((m) => m.type);
      expect(types[0]).toBe('extraction_started');
      expect(types.filter((x) => x === 'extraction_progress').length).toBeGreaterThanOrEqual(2); // 14 days in 7-day chunks
      expect(types.indexOf('extraction_completed')).toBeGreaterThan(types.lastIndexOf('extraction_progress'));
      const progress = run.filter((m) => m.type === 'extraction_progress');
      const percents = progress.map((m) => m.data.progress as number);
      expect(Math.max(...percents)).toBe(100);
      for (const m of progress) {
        expect(m.data).toMatchObject({
          data_source_id: source.dataSourceId,
          project_id: source.projectId,
          organization_id: source.organizationId,
        });
        expect(m.data.records_processed).toBeGreaterThan(0);
        expect(m.data.records_processed).toBeLessThanOrEqual(job.rows);
      }
      const completed = run.find((m) => m.type === 'extraction_completed')!;
      expect(completed.data).toMatchObject({ progress: 100, records_processed: job.rows });
      expect(new Date(completed.timestamp).toISOString()).toBe(completed.timestamp);
      const updated = run.find((m) => m.type === 'data_updated')!;
      expect(updated.data.records_processed).toBe(job.inserted);
      expect(watcherAByQuery.messages.filter((m) => m.data.job_id === started.jobId).map((m) => m.type)).toEqual(types);

      // B's connection is ordered: an event of B's own organization arriving first means none of the run came before it
      await deps.progress.publish({
        type: 'started',
        organizationId: orgB,
        projectId: source.projectId,
        dataSourceId: source.dataSourceId,
        jobId: 'marker',
        at: new Date().toISOString(),
      });
      await watcherB.next((m) => m.data.job_id === 'marker');
      expect(watcherB.messages.map((m) => m.data.job_id)).toEqual(['marker']);
      expect(watcherA.messages.some((m) => m.data.job_id === 'marker')).toBe(false);
    },
    HEAVY_MS,
  );

  it(
    'a missing, malformed or foreign token is refused with 401 and the standard error body',
    async () => {
      const missing = await refused(server.wsUrl);
      expect(missing.status).toBe(401);
      expect(missing.body.error.code).toBe('AUTHENTICATION_REQUIRED');
      expect(missing.body.error.request_id).toMatch(/^req_/);
      expect((await refused(server.wsUrl, ['tributary', 'not-a-jwt'])).status).toBe(401);
      // a well-formed token whose signature is not cognito-local's
      const [h, p] = (await tokenFor(`forger-${Date.now()}@example.com`)).split('.');
      const forged = await refused(
        `${server.wsUrl}?token=${h}.${p}.${Buffer.from('forged-signature').toString('base64url')}`,
      );
      expect(forged.status).toBe(401);
      expect(JSON.stringify(forged.body)).not.toContain(p!);
    },
    HEAVY_MS,
  );

  it('the publish endpoint takes events only with the server key, and answers bad input with 4xx', async () => {
    const event = {
      type: 'started',
      organizationId: 'x',
      projectId: 'p',
      dataSourceId: 'd',
      jobId: 'j',
      at: new Date().toISOString(),
    };
    const post = (key: string, body: string) =>
      fetch(server.publishUrl, {
        method: 'POST',
        headers: { 'x-tributary-progress-key': key, 'content-type': 'application/json' },
        body,
      });
    expect((await post('wrong-key', JSON.stringify(event))).status).toBe(401);
    const config = adapters.config.progress as { publishKey: string };
    expect((await post(config.publishKey, '{not json')).status).toBe(400);
    expect((await post(config.publishKey, JSON.stringify({ type: 'started' }))).status).toBe(400);
    const ok = await post(config.publishKey, JSON.stringify(event));
    expect(ok.status).toBe(200);
    expect(await ok.json()).toEqual({ delivered: 0 });
  });
});
