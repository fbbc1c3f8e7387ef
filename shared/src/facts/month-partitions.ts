// Creating a fact table's monthly partitions without stopping its readers.
//
// ATTACH PARTITION takes ACCESS EXCLUSIVE on the table's default partition, and every read of a range the table
// has no partition for scans the default partition. So a partition is created in a short transaction of its own
// (inside a load or a month's move to the archive, the lock would last until that commits, and every reader
// with it), and the lock is asked for with a short lock_timeout: a request queued behind a long export would
// stop every reader that arrives after it. It asks again after a pause; only the last attempt waits its turn.
import type pg from 'pg';
import { contextStatements, type Database, type DbContext } from '../db/database';

export type FactTable = 'extracted_data' | 'archived_data';

/** how long an attempt may hold the readers queued behind its lock request; the last attempt waits its turn */
const LOCK_TIMEOUT_MS = 250;
/** pauses between attempts, doubling up to the last: over a minute in all, time for a long export to end */
const FIRST_PAUSE_MS = 100;
const LAST_PAUSE_MS = 4_000;
const ATTEMPTS = 24;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Creates the monthly partitions of [from, to] that are missing, on a client that is not in a transaction. Two
 * callers that meet the same new month at once race to create it: the loser (duplicate table, or the catalog's
 * unique index) tries again and finds it there.
 */
export async function ensureMonthPartitions(
  client: pg.PoolClient,
  ctx: { text: string; values: unknown[] },
  table: FactTable,
  from: string,
  to: string,
): Promise<void> {
  let raced = 0;
  for (let attempt = 1; ; attempt++) {
    const patient = attempt >= ATTEMPTS;
    await client.query('BEGIN');
    try {
      await client.query(ctx.text, ctx.values);
      if (!patient) await client.query(`SELECT set_config('lock_timeout', $1, true)`, [String(LOCK_TIMEOUT_MS)]);
      await client.query(`SELECT tributary_ensure_month_partitions($1, $2::date, $3::date)`, [table, from, to]);
      await client.query('COMMIT');
      return;
    } catch (err) {
      await client.query('ROLLBACK').catch(() => {});
      const code = (err as { code?: string }).code;
      if (code === '55P03' && !patient) {
        // lock_not_available: the readers queued behind us go through, then we ask again
        await sleep(Math.min(LAST_PAUSE_MS, FIRST_PAUSE_MS * 2 ** (attempt - 1)));
        continue;
      }
      if ((code !== '42P07' && code !== '23505' && code !== '40P01') || ++raced >= 5) throw err;
    }
  }
}

/** The same on a connection of the pool's own, taken for that moment only. */
export async function ensureMonthPartitionsOf(
  db: Database,
  ctx: DbContext,
  table: FactTable,
  from: string,
  to: string,
): Promise<void> {
  const client = await db.pool.connect();
  try {
    await ensureMonthPartitions(client, contextStatements(ctx), table, from, to);
  } catch (err) {
    client.release(err instanceof Error ? err : true);
    throw err;
  }
  client.release();
}
