// Drains the purge queue: every object-store prefix of a deleted project or data source (queued by the
// delete's own transaction, see migration 20261207010004) is emptied of every object version, then the job
// is marked done and the audit log records what went. One job per transaction, locked with SKIP LOCKED, so
// concurrent drainers never purge the same prefix twice, and a crash mid-purge leaves the job pending for
// the next run (deleting what is already gone is harmless).
import type { Database } from '@tributary/shared/db/database';
import type { BlobStore } from '@tributary/shared/ports/blob-store';
import { writeAudit } from '../audit';
import { listPendingPurgeJobs, lockPendingPurgeJob, markPurgeDone, recordPurgeFailure } from './purge-job.repository';

export interface PurgeBuckets {
  raw: string;
  archive: string;
}

export interface PurgeRun {
  done: number;
  failed: number;
  objectsDeleted: number;
}

const BATCH = 100;

export async function runPurgeJobs(
  db: Database,
  blobs: BlobStore,
  buckets: PurgeBuckets,
  options: { onError?: (jobId: string, error: unknown) => void } = {},
): Promise<PurgeRun> {
  const run: PurgeRun = { done: 0, failed: 0, objectsDeleted: 0 };
  // every organization's jobs: the loader role reads them without an organization context
  const pending = await db.transaction({ role: 'loader' }, (trx) => listPendingPurgeJobs(trx, BATCH));
  for (const { id } of pending) {
    try {
      const outcome = await db.transaction({ role: 'loader' }, async (trx) => {
        const job = await lockPendingPurgeJob(trx, id);
        if (!job) return null;
        const bucket = buckets[job.store];
        const deleted = await blobs.purgePrefix(bucket, job.prefix);
        await markPurgeDone(trx, id, deleted);
        await writeAudit(trx, {
          organizationId: job.organizationId,
          projectId: job.projectId,
          actorUserId: null,
          actorKind: 'system',
          action: 'storage.purged',
          targetType: job.dataSourceId ? 'data_source' : 'project',
          targetId: job.dataSourceId ?? job.projectId,
          details: { store: job.store, bucket, prefix: job.prefix, versions_deleted: deleted, purge_job_id: id },
        });
        return deleted;
      });
      if (outcome === null) continue;
      run.done += 1;
      run.objectsDeleted += outcome;
    } catch (error) {
      run.failed += 1;
      options.onError?.(id, error);
      await db
        .transaction({ role: 'loader' }, (trx) =>
          recordPurgeFailure(trx, id, String((error as Error).message ?? error)),
        )
        .catch(() => {});
    }
  }
  return run;
}
