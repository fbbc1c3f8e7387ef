// What the Google connector tests share: a sandbox-backed ConnectorContext with a virtual clock, and the
// path a pipeline takes from pages to the fact loader (extract with retries → normalize → loadFacts).
import { MemoryKeyValueStore } from '@tributary/shared/adapters/memory-key-value-store';
import type { FactRow } from '@tributary/shared/domain/fact-row';
import type { Database } from '@tributary/shared/db/database';
import { loadFacts, type FactLoadResult } from '@tributary/shared/facts/fact-loader';
import type { SeededSource } from '@tributary/shared/testing/seed';
import type { Connector, ConnectorContext, ExtractRequest } from '../contract';
import type { GoogleCredential } from '../google-ads/google-oauth';
import { KeyValueRateLimiter } from '../runtime/rate-limiter';
import { runExtract, type RetryOptions } from '../runtime/call';
import { MemoryLogger, VirtualClock } from '../runtime/test-support';
import {
  GOOGLE_DEMO_CLIENT,
  GOOGLE_DEMO_DEVELOPER_TOKEN,
  type GoogleSandbox,
} from '../sandboxes/google/google-sandbox';

export interface GoogleTestContext extends ConnectorContext<GoogleCredential> {
  clock: VirtualClock;
  memoryLogger: MemoryLogger;
  refreshed: GoogleCredential[];
}

export function googleBaseUrls(sandbox: GoogleSandbox): Record<string, string> {
  return {
    google_ads: sandbox.url,
    google_oauth_token: sandbox.url,
    google_oauth_authorize: sandbox.url,
    ga4_data: sandbox.url,
    ga4_admin: sandbox.url,
  };
}

/** A credential as a connect flow would have stored it, without an access token yet (the first call refreshes). */
export function demoCredential(sandbox: GoogleSandbox): GoogleCredential {
  return {
    refreshToken: sandbox.demoRefreshToken,
    clientId: GOOGLE_DEMO_CLIENT.clientId,
    clientSecret: GOOGLE_DEMO_CLIENT.clientSecret,
    developerToken: GOOGLE_DEMO_DEVELOPER_TOKEN,
  };
}

export function googleContext(
  sandbox: GoogleSandbox,
  credential: GoogleCredential = demoCredential(sandbox),
): GoogleTestContext {
  const clock = new VirtualClock(Date.now());
  const memoryLogger = new MemoryLogger();
  const refreshed: GoogleCredential[] = [];
  const ctx: GoogleTestContext = {
    clock,
    memoryLogger,
    refreshed,
    credential,
    baseUrls: googleBaseUrls(sandbox),
    // the deployment's app, as the pipeline and the API hand it over (a credential may also name its own)
    oauthClient: { ...GOOGLE_DEMO_CLIENT, developerToken: GOOGLE_DEMO_DEVELOPER_TOKEN },
    rateLimiter: new KeyValueRateLimiter(new MemoryKeyValueStore(clock.now), [{ limit: 5, intervalMs: 1000 }], {
      now: clock.now,
      sleep: clock.sleep,
    }),
    rateBucket: 'google:test-credential',
    logger: memoryLogger,
    now: clock.now,
    sleep: clock.sleep,
    onTokensRefreshed: async (c) => {
      refreshed.push(c);
      ctx.credential = c;
    },
  };
  return ctx;
}

/** Pages → rows, as the pipeline streams them into the loader. */
export async function* normalizedRows<C>(
  connector: Connector<C>,
  ctx: ConnectorContext<C>,
  request: ExtractRequest,
  options?: RetryOptions,
): AsyncGenerator<FactRow[]> {
  for await (const page of runExtract(connector, ctx, request, { random: () => 0.5, ...options })) {
    yield connector.normalize(page, {
      account: request.account,
      reportType: request.reportType,
      window: request.window,
    });
  }
}

export function loadInto(db: Database, source: SeededSource, rows: AsyncIterable<FactRow[]>): Promise<FactLoadResult> {
  return loadFacts(
    db,
    {
      organizationId: source.organizationId,
      projectId: source.projectId,
      dataSourceId: source.dataSourceId,
      platform: source.platform,
    },
    rows,
  );
}
