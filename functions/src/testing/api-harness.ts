// A management API over real HTTP for a test file: a cloned test database, dynalite, cognito-local, the
// local API server in front of the Lambda handlers, and the outbox mailer, all built through
// createAdapters from a test Config (the same composition root as production).
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Logger } from '@aws-lambda-powertools/logger';
import { createAdapters, type Adapters } from '@tributary/shared/config/adapters';
import { loadConfig } from '@tributary/shared/config/config';
import { OutboxMailer } from '@tributary/shared/adapters/outbox-mailer';
import type { Route } from '@tributary/shared/http/route';
import { freePort } from '@tributary/shared/local/embedded-postgres';
import { startDynalite, type DynaliteHandle } from '@tributary/shared/local/dynalite';
import { createTestDatabase, type TestDatabase } from '@tributary/shared/testing/test-database';
import { startApiServer, type ApiServer } from '../../../infra/local/api-server';
import { startCognitoLocal, type CognitoLocalHandle } from '../../../infra/local/cognito.service';
import { createApiDeps, type ApiDeps } from '../api-deps';
import { managementApiRoutes } from '../api-routes';
import * as authR from '../auth/auth.routes';

export const PASSWORD = 'Correct-Horse-9-battery';

export interface Received {
  status: number;
  body: unknown;
  text: string;
  headers: Headers;
}

export interface ApiHarness {
  home: string;
  testDb: TestDatabase;
  adapters: Adapters;
  deps: ApiDeps;
  cognito: CognitoLocalHandle;
  server: ApiServer;
  outbox: OutboxMailer;
  dashboardOrigin: string;
  call(
    route: Route,
    options?: {
      params?: Record<string, string>;
      query?: Record<string, string>;
      body?: unknown;
      token?: string;
      headers?: Record<string, string>;
    },
  ): Promise<Received>;
  /** registers (auto-confirmed, email verified), signs in and returns the access token and profile */
  signUp(email: string, firstName?: string): Promise<{ token: string; userId: string; orgId: string }>;
  stop(): Promise<void>;
}

export async function startApiHarness(env: Record<string, string> = {}): Promise<ApiHarness> {
  const home = await mkdtemp(path.join(os.tmpdir(), 'tributary-harness-'));
  const testDb = await createTestDatabase();
  let dynalite: DynaliteHandle | undefined;
  let cognito: CognitoLocalHandle | undefined;
  let adapters: Adapters | undefined;
  let server: ApiServer | undefined;
  const stop = async () => {
    await server?.stop();
    await adapters?.close();
    await cognito?.stop();
    await dynalite?.stop();
    await testDb.drop();
    await rm(home, { recursive: true, force: true });
  };
  try {
    dynalite = await startDynalite({ port: await freePort(), tables: ['tributary-kv'] });
    cognito = await startCognitoLocal({ port: await freePort(), dataDir: path.join(home, 'cognito') });
    const dashboardOrigin = `http://127.0.0.1:${await freePort()}`;
    const outboxFile = path.join(home, 'outbox.ndjson');
    const config = loadConfig({
      TRIBUTARY_ENV: 'local',
      TRIBUTARY_HOME: home,
      TRIBUTARY_DASHBOARD_ORIGIN: dashboardOrigin,
      TRIBUTARY_MAIL_OUTBOX: outboxFile,
      // the API as a web function logs in (tributary_app only); the in-process pipeline as the pipeline does
      DATABASE_URL: testDb.webUrl,
      TRIBUTARY_PIPELINE_DATABASE_URL: (testDb.config as { url: string }).url,
      TRIBUTARY_DYNAMODB_ENDPOINT: dynalite.endpoint,
      TRIBUTARY_KV_TABLE: 'tributary-kv',
      TRIBUTARY_COGNITO_ENDPOINT: cognito.endpoint,
      TRIBUTARY_USER_POOL_ID: cognito.userPoolId,
      TRIBUTARY_USER_POOL_CLIENT_ID: cognito.clientId,
      ...env,
    });
    adapters = createAdapters(config);
    const logger = new Logger({ serviceName: 'harness', logLevel: 'ERROR' });
    const deps = createApiDeps(adapters, {
      logger,
      rateLimits: { auth: { limit: 100_000, windowSeconds: 60 }, standard: { limit: 100_000, windowSeconds: 60 } },
    });
    server = await startApiServer({
      routes: managementApiRoutes(deps),
      port: await freePort(),
      allowedOrigin: config.api!.dashboardOrigin,
    });
    const url = server.url;
    const call: ApiHarness['call'] = async (route, options = {}) => {
      const target = new URL(
        route.path.replace(/\{(\w+)\}/g, (_, n: string) => encodeURIComponent(options.params?.[n] ?? `missing-${n}`)),
        url,
      );
      for (const [k, v] of Object.entries(options.query ?? {})) target.searchParams.set(k, v);
      const headers: Record<string, string> = { ...options.headers };
      if (options.token) headers.authorization = `Bearer ${options.token}`;
      const body = route.method === 'get' || options.body === undefined ? undefined : JSON.stringify(options.body);
      if (body !== undefined) headers['content-type'] ??= 'application/json';
      const res = await fetch(target, { method: route.method.toUpperCase(), headers, body, redirect: 'manual' });
      const text = await res.text();
      let parsed: unknown = text;
      try {
        parsed = text ? JSON.parse(text) : undefined;
      } catch {
        // not JSON: keep the text
      }
      return { status: res.status, body: parsed, text, headers: res.headers };
    };
    const signUp: ApiHarness['signUp'] = async (email, firstName) => {
      const reg = await call(authR.registerRoute, {
        body: { email, password: PASSWORD, ...(firstName ? { first_name: firstName } : {}) },
      });
      if (reg.status !== 202) throw new Error(`register ${email}: ${reg.status} ${reg.text}`);
      const login = await call(authR.loginRoute, { body: { email, password: PASSWORD } });
      if (login.status !== 200) throw new Error(`login ${email}: ${login.status} ${login.text}`);
      const token = (login.body as { access_token: string }).access_token;
      const profile = await call(authR.getProfileRoute, { token });
      const p = profile.body as { id: string; organizations: { organization_id: string }[] };
      return { token, userId: p.id, orgId: p.organizations[0]!.organization_id };
    };
    return {
      home,
      testDb,
      adapters,
      deps,
      cognito,
      server,
      outbox: new OutboxMailer(outboxFile),
      dashboardOrigin,
      call,
      signUp,
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** What an administrator (or Cognito's own verification) does: mark an address verified. */
export async function markEmailVerified(cognito: CognitoLocalHandle, username: string): Promise<void> {
  await cognito.admin.setEmail(cognito, username, username, true);
}
