// The management API and the webhook/OData server of the reliability figures, in this process, over real HTTP:
// a scratch database on the bench's PostgreSQL (the API and the webhook server log in as web functions, the
// in-process pipeline as the pipeline), dynalite, cognito-local, built through createAdapters as the local
// runner builds them. Rate limits are raised so a figure measures the handlers, not the 429 budget.
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Logger } from '@aws-lambda-powertools/logger';
import { OutboxMailer } from '@tributary/shared/adapters/outbox-mailer';
import { createAdapters, type Adapters } from '@tributary/shared/config/adapters';
import { loadConfig } from '@tributary/shared/config/config';
import { createDatabase, type Database } from '@tributary/shared/db/database';
import { ensureLoginRole } from '@tributary/shared/db/migrate';
import { freePort } from '@tributary/shared/local/embedded-postgres';
import { startDynalite, type DynaliteHandle } from '@tributary/shared/local/dynalite';
import { startWebhookServer, type WebhookServer } from '@tributary/functions/webhooks/webhook-server';
import { startApiServer, type ApiServer } from '../infra/local/api-server';
import { startCognitoLocal, type CognitoLocalHandle } from '../infra/local/cognito.service';
import { createApiDeps, type ApiDeps } from '../functions/src/api-deps';
import { managementApiRoutes } from '../functions/src/api-routes';
import { createScratchDb, type ScratchDb } from './scratch-db';

export const RIG_PASSWORD = 'Correct-Horse-9-battery';

export interface ApiRig {
  apiUrl: string;
  webhookUrl: string;
  scratch: ScratchDb;
  adapters: Adapters;
  deps: ApiDeps;
  /** failures the webhook server reported as its own (5xx) */
  webhookServerErrors: unknown[];
  /** registers (auto-confirmed), signs in; the access token, user and organization */
  signUp(email: string): Promise<{ token: string; userId: string; orgId: string }>;
  api(method: string, pathAndQuery: string, token?: string, body?: unknown): Promise<{ status: number; body: any }>;
  stop(): Promise<void>;
}

export async function startApiRig(
  serverAdminUrl: string,
  name: string,
  env: Record<string, string> = {},
): Promise<ApiRig> {
  const home = await mkdtemp(path.join(os.tmpdir(), `tributary-bench-${name}-`));
  const scratch = await createScratchDb(serverAdminUrl, name);
  await ensureLoginRole(serverAdminUrl, 'tributary_bench_web', 'bench', 'web');
  const webUrl = new URL(scratch.adminUrl);
  webUrl.username = 'tributary_bench_web';
  webUrl.password = 'bench';
  const pipelineUrl = new URL(scratch.adminUrl);
  pipelineUrl.username = 'tributary_bench';
  pipelineUrl.password = 'bench';
  let dynalite: DynaliteHandle | undefined;
  let cognito: CognitoLocalHandle | undefined;
  let adapters: Adapters | undefined;
  let server: ApiServer | undefined;
  let hooks: WebhookServer | undefined;
  let hookDb: Database | undefined;
  const stop = async () => {
    await server?.stop();
    await hooks?.close();
    await hookDb?.close();
    await adapters?.close();
    await cognito?.stop();
    await dynalite?.stop();
    await scratch.close();
    await rm(home, { recursive: true, force: true });
  };
  try {
    dynalite = await startDynalite({ port: await freePort(), tables: ['tributary-kv'] });
    cognito = await startCognitoLocal({ port: await freePort(), dataDir: path.join(home, 'cognito') });
    const dashboardOrigin = `http://127.0.0.1:${await freePort()}`;
    const webhookServerErrors: unknown[] = [];
    const signingSecret = randomBytes(32);
    hookDb = createDatabase({ kind: 'url', url: webUrl.toString(), maxConnections: 10 });
    hooks = await startWebhookServer({
      db: hookDb,
      signingSecret,
      onServerError: (error) => void webhookServerErrors.push(error),
    });
    const config = loadConfig({
      TRIBUTARY_ENV: 'local',
      TRIBUTARY_HOME: home,
      TRIBUTARY_DASHBOARD_ORIGIN: dashboardOrigin,
      TRIBUTARY_MAIL_OUTBOX: path.join(home, 'outbox.ndjson'),
      DATABASE_URL: webUrl.toString(),
      TRIBUTARY_PIPELINE_DATABASE_URL: pipelineUrl.toString(),
      TRIBUTARY_DYNAMODB_ENDPOINT: dynalite.endpoint,
      TRIBUTARY_KV_TABLE: 'tributary-kv',
      TRIBUTARY_COGNITO_ENDPOINT: cognito.endpoint,
      TRIBUTARY_USER_POOL_ID: cognito.userPoolId,
      TRIBUTARY_USER_POOL_CLIENT_ID: cognito.clientId,
      TRIBUTARY_WEBHOOK_URL: hooks.url,
      // the pipeline's INFO lines go to stdout, where `--json` prints figures
      TRIBUTARY_LOG_LEVEL: 'ERROR',
      TRIBUTARY_WEBHOOK_SIGNING_SECRET: signingSecret.toString('base64'),
      ...env,
    });
    // the outbox mailer announces each invitation on stdout, where `--json` prints figures: announced on stderr here
    const outbox = path.join(home, 'outbox.ndjson');
    adapters = {
      ...createAdapters(config),
      mailer: new OutboxMailer(outbox, (line) => process.stderr.write(`${line}\n`)),
    };
    const logger = new Logger({ serviceName: 'bench', logLevel: 'ERROR' });
    const deps = createApiDeps(adapters, {
      logger,
      rateLimits: { auth: { limit: 1_000_000, windowSeconds: 60 }, standard: { limit: 1_000_000, windowSeconds: 60 } },
    });
    server = await startApiServer({
      routes: managementApiRoutes(deps),
      port: await freePort(),
      allowedOrigin: dashboardOrigin,
    });
    const apiUrl = server.url;
    const api: ApiRig['api'] = async (method, pathAndQuery, token, body) => {
      const headers: Record<string, string> = {};
      if (token) headers.authorization = `Bearer ${token}`;
      if (body !== undefined) headers['content-type'] = 'application/json';
      const res = await fetch(new URL(pathAndQuery, apiUrl), {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        redirect: 'manual',
      });
      const text = await res.text();
      let parsed: unknown = text;
      try {
        parsed = text ? JSON.parse(text) : undefined;
      } catch {
        // not JSON
      }
      return { status: res.status, body: parsed };
    };
    const signUp: ApiRig['signUp'] = async (email) => {
      const reg = await api('POST', '/api/v1/auth/register', undefined, {
        email,
        password: RIG_PASSWORD,
        first_name: 'Bench',
      });
      if (reg.status !== 202) throw new Error(`register ${email}: ${reg.status} ${JSON.stringify(reg.body)}`);
      await cognito!.admin.setEmail(cognito!, email, email, true);
      const login = await api('POST', '/api/v1/auth/login', undefined, { email, password: RIG_PASSWORD });
      if (login.status !== 200) throw new Error(`login ${email}: ${login.status} ${JSON.stringify(login.body)}`);
      const token = (login.body as { access_token: string }).access_token;
      const profile = await api('GET', '/api/v1/auth/profile', token);
      const p = profile.body as { id: string; organizations: { organization_id: string }[] };
      return { token, userId: p.id, orgId: p.organizations[0]!.organization_id };
    };
    return { apiUrl, webhookUrl: hooks.url, scratch, adapters, deps, webhookServerErrors, signUp, api, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
