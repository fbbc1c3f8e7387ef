// Drains the purge queue: every object-store prefix of a deleted project or data source (queued by the
// delete's own transaction, see migration 20261207010004) is emptied of every object version, then the job
// is marked done and the audit log records what went. One job per transaction, locked with SKIP LOCKED, so
// concurrent drainers never purge the same prefix twice, and a crash mid-purge leaves the job pending for
// the next run (deleting what is already gone is harmless).
import type { Database } from '@tributary/shared/db/database';
import type { BlobStore } from '@tributary/shared/ports/blob-store';

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
  const pending = await db.withClient(
    { role: 'loader' },
    async (c) =>
      (
        await c.query<{ id: string }>(
          `SELECT id FROM purge_jobs WHERE status = 'pending' ORDER BY created_at LIMIT ${BATCH}`,
        )
      ).rows,
  );
  for (const { id } of pending) {
    try {
      const outcome = await db.withClient({ role: 'loader' }, async (c) => {
        const job = (
          await c.query<{
            organization_id: string;
            project_id: string;
            data_source_id: string | null;
            store: 'raw' | 'archive';
            prefix: string;
          }>(
            `SELECT organization_id, project_id, data_source_id, store, prefix FROM purge_jobs WHERE id = $1 AND status = 'pending' FOR UPDATE SKIP LOCKED`,
            [id],
          )
        ).rows[0];
        if (!job) return null;
        const bucket = buckets[job.store];
        const deleted = await blobs.purgePrefix(bucket, job.prefix);
        await c.query(
          `UPDATE purge_jobs SET status = 'done', attempts = attempts + 1, objects_deleted = $2, last_error = NULL, completed_at = now() WHERE id = $1`,
          [id, deleted],
        );
        await c.query(
          `INSERT INTO audit_log (organization_id, project_id, actor_kind, action, target_type, target_id, details)
           VALUES ($1, $2, 'system', 'storage.purged', $3, $4, $5)`,
          [
            job.organization_id,
            job.project_id,
            job.data_source_id ? 'data_source' : 'project',
            job.data_source_id ?? job.project_id,
            JSON.stringify({
              store: job.store,
              bucket,
              prefix: job.prefix,
              versions_deleted: deleted,
              purge_job_id: id,
            }),
          ],
        );
        return deleted;
      });
      if (outcome === null) continue;
      run.done += 1;
      run.objectsDeleted += outcome;
    } catch (error) {
      run.failed += 1;
      options.onError?.(id, error);
      await db
        .withClient({ role: 'loader' }, (c) =>
          c.query(`UPDATE purge_jobs SET attempts = attempts + 1, last_error = $2 WHERE id = $1`, [
            id,
            String((error as Error).message ?? error).slice(0, 1000),
          ]),
        )
        .catch(() => {});
    }
  }
  return run;
}
