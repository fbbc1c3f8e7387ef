// The Database handle's lifecycle against the real embedded PostgreSQL.
import { sql } from 'kysely';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDatabase } from './database';
import { createTestDatabase, type TestDatabase } from '../testing/test-database';

let t: TestDatabase;
beforeAll(async () => {
  t = await createTestDatabase();
});
afterAll(async () => {
  await t.drop();
});

describe('createDatabase', () => {
  it('when closed after only raw pool use (no Kysely query), it ends the pool and its connections', async () => {
    const db = createDatabase(t.config);
    const client = await db.pool.connect();
    await client.query('SELECT 1');
    client.release();
    expect(db.pool.idleCount).toBe(1);
    await db.close();
    expect(db.pool.totalCount).toBe(0);
    expect(db.pool.ending).toBe(true);
  });

  it('when closed after Kysely queries, it ends the pool once, without an error', async () => {
    const db = createDatabase(t.config);
    await db.transaction({}, (trx) => trx.selectFrom('organizations').select('id').limit(1).execute());
    await db.close();
    expect(db.pool.totalCount).toBe(0);
  });

  it('when the server terminates a checked-out connection between queries (57P01, as at shutdown), nothing is thrown unhandled', async () => {
    const db = createDatabase(t.config);
    const unhandled: unknown[] = [];
    const onUncaught = (err: unknown) => unhandled.push(err);
    process.on('uncaughtException', onUncaught);
    try {
      const failed = db.withClient({}, async (c) => {
        const pid = (await c.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
        const admin = new pg.Client({ connectionString: t.adminUrl });
        await admin.connect();
        await admin.query('SELECT pg_terminate_backend($1)', [pid]);
        await admin.end();
        // the client is checked out and idle when its server goes away
        await new Promise((r) => setTimeout(r, 300));
        await c.query('SELECT 1');
      });
      await expect(failed).rejects.toThrow();
      await new Promise((r) => setTimeout(r, 100));
      expect(unhandled).toEqual([]);
    } finally {
      process.off('uncaughtException', onUncaught);
      await db.close();
    }
  });

  it("when a statement runs past its role's or its request's timeout, PostgreSQL cancels it (57014)", async () => {
    const db = createDatabase(t.config);
    try {
      expect(
        await db.withClient(
          {},
          async (c) =>
            (await c.query<{ statement_timeout: string }>('SHOW statement_timeout')).rows[0]!.statement_timeout,
        ),
      ).toBe('30s');
      expect(
        await db.withClient(
          { role: 'loader' },
          async (c) =>
            (await c.query<{ statement_timeout: string }>('SHOW statement_timeout')).rows[0]!.statement_timeout,
        ),
      ).toBe('14min');
      const slow = db.withClient({ statementTimeoutMs: 200 }, (c) => c.query('SELECT pg_sleep(5)'));
      // said as a 503 that tells the caller to ask for less, never a 500
      await expect(slow).rejects.toMatchObject({
        status: 503,
        code: 'SERVICE_UNAVAILABLE',
        details: { reason: 'statement_timeout', retry_after_seconds: 30 },
      });
      const slowInKysely = db.transaction({ statementTimeoutMs: 200 }, (trx) => sql`SELECT pg_sleep(5)`.execute(trx));
      await expect(slowInKysely).rejects.toMatchObject({ status: 503, details: { reason: 'statement_timeout' } });
      // any other failure keeps its own error
      await expect(db.withClient({}, (c) => c.query('SELECT 1/0'))).rejects.toMatchObject({ code: '22012' });
      // the setting was the transaction's only: the connection goes back to the pool without it
      const client = await db.pool.connect();
      expect(
        (await client.query<{ statement_timeout: string }>('SHOW statement_timeout')).rows[0]!.statement_timeout,
      ).not.toBe('200ms');
      client.release();
    } finally {
      await db.close();
    }
  });
});
