// The purge queue (purge_jobs): plain functions over a Kysely transaction. The drainer runs as the loader
// role without an organization context, so it sees every organization's jobs.
import { sql, type Transaction } from 'kysely';
import type { DB, Row } from '@tributary/shared/db/schema';

type Trx = Transaction<DB>;

export async function listPendingPurgeJobs(trx: Trx, limit: number): Promise<{ id: string }[]> {
  return trx
    .selectFrom('purgeJobs')
    .select('id')
    .where('status', '=', 'pending')
    .orderBy('createdAt')
    .limit(limit)
    .execute();
}

/** The job, locked for this drainer; undefined when it is done or another drainer holds it. */
export async function lockPendingPurgeJob(
  trx: Trx,
  id: string,
): Promise<Pick<Row<'purgeJobs'>, 'organizationId' | 'projectId' | 'dataSourceId' | 'store' | 'prefix'> | undefined> {
  return trx
    .selectFrom('purgeJobs')
    .select(['organizationId', 'projectId', 'dataSourceId', 'store', 'prefix'])
    .where('id', '=', id)
    .where('status', '=', 'pending')
    .forUpdate()
    .skipLocked()
    .executeTakeFirst();
}

export async function markPurgeDone(trx: Trx, id: string, objectsDeleted: number): Promise<void> {
  await trx
    .updateTable('purgeJobs')
    .set({
      status: 'done',
      attempts: sql<number>`attempts + 1`,
      objectsDeleted: String(objectsDeleted),
      lastError: null,
      completedAt: sql<Date>`now()`,
    })
    .where('id', '=', id)
    .execute();
}

export async function recordPurgeFailure(trx: Trx, id: string, message: string): Promise<void> {
  await trx
    .updateTable('purgeJobs')
    .set({ attempts: sql<number>`attempts + 1`, lastError: message.slice(0, 1000) })
    .where('id', '=', id)
    .execute();
}
