// The rows a run reads and writes (extraction_jobs, extraction_work_items, data_sources, credentials),
// always inside the run's organization (row-level security keys on it).
import type pg from 'pg';
import type { AccountInfo } from '@tributary/connectors/contract';
import type { Database } from '@tributary/shared/db/database';
import type { Platform } from '@tributary/shared/domain/platform';
import type { RunRef } from './pipeline-types';

export interface RunContext {
  jobId: string;
  organizationId: string;
  projectId: string;
  dataSourceId: string;
  jobType: 'scheduled' | 'manual' | 'backfill' | 'retry';
  jobStatus: string;
  requestedWindow: { start: string; end: string } | null;
  platform: Platform;
  extractionConfig: {
    account_id?: string;
    report_types?: string[];
    start_date?: string;
    options?: Record<string, string>;
  };
  scheduleConfig: { frequency?: string; hour_utc?: number };
  lastSuccessfulDate: string | null;
  /** the configured account as the platform last described it, and when (null: never, or another account) */
  accountInfo: AccountInfo | null;
  accountCheckedAt: Date | null;
  credentialId: string;
  secretRef: string;
  startedAt: Date | null;
}

export function inRun<T>(db: Database, run: RunRef, fn: (c: pg.PoolClient) => Promise<T>): Promise<T> {
  return db.withClient({ orgId: run.organizationId }, fn);
}

export async function loadRunContext(c: pg.PoolClient, jobId: string): Promise<RunContext> {
  const { rows } = await c.query(
    `SELECT j.id, j.organization_id, j.project_id, j.data_source_id, j.job_type, j.status, j.window_start::text AS window_start,
            j.window_end::text AS window_end, j.started_at, s.platform, s.extraction_config, s.schedule_config,
            s.last_successful_date::text AS last_successful_date, s.account_info, s.account_checked_at, s.credential_id, cr.secret_ref
     FROM extraction_jobs j
     JOIN data_sources s ON s.id = j.data_source_id
     JOIN credentials cr ON cr.id = s.credential_id
     WHERE j.id = $1`,
    [jobId],
  );
  const r = rows[0];
  if (!r) throw new Error(`extraction job ${jobId} does not exist in this organization`);
  return {
    jobId: r.id,
    organizationId: r.organization_id,
    projectId: r.project_id,
    dataSourceId: r.data_source_id,
    jobType: r.job_type,
    jobStatus: r.status,
    requestedWindow: r.window_start && r.window_end ? { start: r.window_start, end: r.window_end } : null,
    platform: r.platform,
    extractionConfig: r.extraction_config ?? {},
    scheduleConfig: r.schedule_config ?? {},
    lastSuccessfulDate: r.last_successful_date,
    accountInfo: r.account_info,
    accountCheckedAt: r.account_checked_at,
    credentialId: r.credential_id,
    secretRef: r.secret_ref,
    startedAt: r.started_at,
  };
}

/** The platform refused the credential even after a refresh (or refused the refresh): the user has to reconnect. */
export async function markCredentialExpired(db: Database, run: RunRef, message: string): Promise<void> {
  await inRun(db, run, async (c) => {
    const ctx = await loadRunContext(c, run.jobId);
    await c.query(
      `UPDATE credentials SET status = 'expired', validation_status = 'invalid', validation_message = $2, last_validated_at = now() WHERE id = $1`,
      [ctx.credentialId, message || 'The platform refused the credential even after refreshing it. Reconnect it.'],
    );
  });
}
