// The Database handle's lifecycle against the real embedded PostgreSQL.
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
});
