// Seam: clients that walk away mid-download (Excel cancelling a refresh, Power Query's timeout) through the
// local webhook server, against a real PostgreSQL with a small pool. Every abandoned request must give its
// connection and cursor back, so the server keeps serving; a request that cannot get a connection in time
// answers 503 with Retry-After in the standard envelope, not a 500 after ten seconds.
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDatabase, type Database } from '@tributary/shared/db/database';
import { ErrorEnvelopeSchema } from '@tributary/shared/http/error-envelope';
import { loadFacts } from '@tributary/shared/facts/fact-loader';
import { addDays, syntheticFacts } from '@tributary/shared/facts/synthetic-facts';
import { seedDataSource, type SeededSource } from '@tributary/shared/testing/seed';
import { createTestDatabase, type TestDatabase } from '@tributary/shared/testing/test-database';
import { createWebhook } from './webhook.repository';
import { startWebhookServer, type WebhookServer } from './webhook-server';

const START = '2026-05-01';
const DAYS = 30;
const POOL = 4;
let tdb: TestDatabase;
let db: Database;
let src: SeededSource;
let server: WebhookServer;
let key: string;

/** Starts a GET and destroys it after `afterMs`, whatever state it is in. Resolves when the socket is gone. */
function abandon(url: string, afterMs: number): Promise<void> {
  return new Promise((resolve) => {
    const req = http.get(url, (res) => res.on('data', () => {}));
    req.on('error', () => {});
    req.on('close', () => resolve());
    setTimeout(() => req.destroy(), afterMs);
  });
}

function inUse(d: Database): number {
  return d.pool.totalCount - d.pool.idleCount;
}

async function settle(d: Database, ms = 5_000): Promise<void> {
  const until = Date.now() + ms;
  while (inUse(d) > 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
}

beforeAll(async () => {
  tdb = await createTestDatabase();
  src = await seedDataSource(tdb.adminUrl, { platform: 'google_ads' });
  await loadFacts(
    tdb.db,
    {
      organizationId: src.organizationId,
      projectId: src.projectId,
      dataSourceId: src.dataSourceId,
      platform: 'google_ads',
    },
    [...syntheticFacts({ days: DAYS, rowsPerDay: 600, startDate: START })].flat(),
  );
  db = createDatabase({ ...tdb.config, maxConnections: POOL }, { connectionTimeoutMillis: 1_500 });
  ({ key } = await tdb.db.transaction({ orgId: src.organizationId }, (trx) =>
    createWebhook(
      trx,
      { organizationId: src.organizationId, projectId: src.projectId, userId: null },
      {
        name: `hook-${randomBytes(4).toString('hex')}`,
        allowedDataSources: [],
        scope: { filters: [] },
        outputFormat: 'csv',
        rateLimitPerHour: 100_000,
        expiresAt: null,
      },
    ),
  ));
  server = await startWebhookServer({ db, signingSecret: randomBytes(32) });
}, 120_000);
afterAll(async () => {
  await server?.close();
  await db?.close();
  await tdb?.drop();
});

const range = `start_date=${START}&end_date=${addDays(START, DAYS - 1)}&currency=native`;
const urls = () => [
  `${server.url}/webhook/v1/${key}/data?${range}&aggregate=none&format=csv`,
  `${server.url}/webhook/v1/${key}/data?${range}&aggregate=none&format=json`,
  `${server.url}/webhook/v1/${key}/data?${range}&aggregate=none&format=xlsx`,
  `${server.url}/webhook/v1/${key}/data?${range}&dimensions=date,ad&format=tsv`,
];

describe('webhook server under abandoned downloads', () => {
  it('when 20 downloads are abandoned after ~50 ms and then 50 concurrent ones at random points, it still serves every request and holds no connection', async () => {
    const [csv] = urls();
    for (let i = 0; i < 20; i++) await abandon(csv!, 50);
    const all = urls();
    await Promise.all(
      Array.from({ length: 50 }, (_, i) => abandon(all[i % all.length]!, 5 + Math.floor(Math.random() * 150))),
    );
    await settle(db);
    expect(inUse(db)).toBe(0);
    const [{ n }] = (
      await tdb.db.pool.query<{ n: string }>(
        `SELECT count(*)::text AS n FROM pg_stat_activity WHERE datname = current_database() AND state LIKE 'idle in transaction%'`,
      )
    ).rows as [{ n: string }];
    expect(n).toBe('0');
    const started = Date.now();
    const res = await fetch(csv!);
    expect(res.status, res.status === 200 ? '' : await res.clone().text()).toBe(200);
    const lines = (await res.text()).split('\r\n').filter(Boolean);
    expect(lines.length).toBe(DAYS * 600 + 1);
    expect(Date.now() - started).toBeLessThan(5_000);
    for (const url of all) expect(await fetch(url).then(async (r) => (await r.arrayBuffer(), r.status))).toBe(200);
  }, 120_000);

  it('when every connection is busy for longer than the wait allows, it answers 503 with Retry-After in the standard envelope', async () => {
    const held = await Promise.all(Array.from({ length: POOL }, () => db.pool.connect()));
    try {
      const started = Date.now();
      const res = await fetch(`${server.url}/webhook/v1/${key}/summary?${range}`);
      expect(res.status).toBe(503);
      expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
      expect(ErrorEnvelopeSchema.parse(await res.json()).error.code).toBe('SERVICE_UNAVAILABLE');
      expect(Date.now() - started).toBeLessThan(5_000);
    } finally {
      for (const c of held) c.release();
    }
    const ok = await fetch(`${server.url}/webhook/v1/${key}/summary?${range}`);
    expect(ok.status).toBe(200);
    await ok.arrayBuffer();
  }, 30_000);

  it('when many more requests arrive at once than the pool can serve, each waits its turn and none is refused as busy', async () => {
    // 200 concurrent refreshes on the local server answered 503 for most of them: each request took a pooled
    // connection several times and every acquisition raced all the others (found by the reliability load figure)
    const open = await startWebhookServer({ db, signingSecret: randomBytes(32), maxConcurrentPerWebhook: 1_000 });
    try {
      const light = [
        `summary?${range}&format=csv`,
        `data?${range}&dimensions=date&format=json`,
        `summary?${range}&dimensions=campaign&format=xlsx`,
      ];
      const all = Array.from({ length: 48 }, (_, i) => `${open.url}/webhook/v1/${key}/${light[i % light.length]}`);
      const statuses = await Promise.all(all.map((u) => fetch(u).then(async (r) => (await r.arrayBuffer(), r.status))));
      expect(statuses.filter((s) => s !== 200)).toEqual([]);
      await settle(db);
      expect(inUse(db)).toBe(0);
    } finally {
      await open.close();
    }
  }, 120_000);

  it('when refreshes carry the ETag of an aggregated result larger than one cursor read, every 304 gives its connection back', async () => {
    // Excel's Refresh All: a 304 for a result of more than one cursor batch returned with the cursor still open,
    // so its COMMIT queued behind the cursor forever; each such refresh held a connection until the pool was
    // empty and every request after it answered 503 (found by the reliability load figure)
    const open = await startWebhookServer({ db, signingSecret: randomBytes(32), maxConcurrentPerWebhook: 1_000 });
    try {
      const big = `${open.url}/webhook/v1/${key}/data?${range}&dimensions=date,ad&aggregate=daily&format=json`;
      const first = await fetch(big);
      expect(first.status).toBe(200);
      expect(JSON.parse(await first.text()).rows.length).toBe(DAYS * 600);
      const etag = first.headers.get('etag')!;
      const refresh = () =>
        fetch(big, { headers: { 'if-none-match': etag } }).then(async (r) => (await r.arrayBuffer(), r.status));
      const statuses = await Promise.all(Array.from({ length: 3 * POOL }, refresh));
      expect(statuses).toEqual(Array.from({ length: 3 * POOL }, () => 304));
      await settle(db);
      expect(inUse(db)).toBe(0);
      const after = await fetch(`${open.url}/webhook/v1/${key}/summary?${range}`);
      expect(after.status).toBe(200);
      await after.arrayBuffer();
    } finally {
      await open.close();
    }
  }, 60_000);

  it('when requests arrive at once, the hourly limit counts them as they start and one webhook runs at most its cap at a time', async () => {
    const hookOf = (rateLimitPerHour: number) =>
      tdb.db.transaction({ orgId: src.organizationId }, (trx) =>
        createWebhook(
          trx,
          { organizationId: src.organizationId, projectId: src.projectId, userId: null },
          {
            name: `hook-${randomBytes(4).toString('hex')}`,
            allowedDataSources: [],
            scope: { filters: [] },
            outputFormat: 'csv',
            rateLimitPerHour,
            expiresAt: null,
          },
        ),
      );
    const capped = await startWebhookServer({ db: tdb.db, signingSecret: randomBytes(32), maxConcurrentPerWebhook: 2 });
    try {
      const limited = await hookOf(3);
      // counted when they finished, all eight passed; counted as they start, exactly the limit does
      const statuses = await Promise.all(
        Array.from({ length: 8 }, () =>
          fetch(`${server.url}/webhook/v1/${limited.key}/summary?${range}`).then(
            async (r) => (await r.arrayBuffer(), r.status),
          ),
        ),
      );
      expect(statuses.filter((s) => s === 200)).toHaveLength(3);
      expect(statuses.filter((s) => s === 429)).toHaveLength(5);
      const busy = await hookOf(100_000);
      const big = `${capped.url}/webhook/v1/${busy.key}/data?${range}&aggregate=none&format=csv`;
      const results = await Promise.all(
        Array.from({ length: 6 }, () =>
          fetch(big).then(async (r) => ({
            status: r.status,
            body:
              r.status === 429
                ? ((await r.json()) as { error: { details: Record<string, unknown> } })
                : (await r.arrayBuffer(), null),
          })),
        ),
      );
      const refused = results.filter((r) => r.status === 429);
      expect(refused.length).toBeGreaterThan(0);
      expect(refused[0]!.body!.error.details.limit_concurrent).toBe(2);
      expect(results.filter((r) => r.status === 200).length).toBeGreaterThanOrEqual(2);
    } finally {
      await capped.close();
    }
  }, 60_000);

  it('when one keep-alive connection carries many requests, the idle timer is armed once per connection, not once per request', async () => {
    // Excel and Power BI reuse a connection for every page: per-request timers piled up on the socket (Node's
    // MaxListenersExceededWarning after 10; found by the reliability fuzz)
    const warnings: string[] = [];
    const onWarning = (w: Error) => void warnings.push(w.name);
    process.on('warning', onWarning);
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    try {
      const ports = new Set<number>();
      for (let i = 0; i < 15; i++) {
        await new Promise<void>((resolve, reject) => {
          http
            .get(`${server.url}/webhook/v1/${key}/metrics`, { agent }, (res) => {
              ports.add(res.socket.localPort!);
              res.resume();
              res.on('end', () => resolve());
            })
            .on('error', reject);
        });
      }
      await new Promise((r) => setImmediate(r));
      expect(ports.size).toBe(1);
      expect(warnings).not.toContain('MaxListenersExceededWarning');
    } finally {
      agent.destroy();
      process.off('warning', onWarning);
    }
  });
});
