// The rows a run reads and writes (extraction_jobs, extraction_work_items, data_sources, credentials),
// always inside the run's organization (row-level security keys on it).
import type { Transaction } from 'kysely';
import type { AccountInfo } from '@tributary/connectors/contract';
import type { Database } from '@tributary/shared/db/database';
import type { DB } from '@tributary/shared/db/schema';
import type { Platform } from '@tributary/shared/domain/platform';
import { loadRunContext, markCredentialExpired as markExpired } from './extraction-run.repository';
import type { RunRef } from './pipeline-types';

export { loadRunContext };

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

/** One transaction in the run's organization; the statements are extraction-run.repository.ts's. */
export function inRun<T>(db: Database, run: RunRef, fn: (trx: Transaction<DB>) => Promise<T>): Promise<T> {
  return db.transaction({ orgId: run.organizationId }, fn);
}

/** The platform refused the credential even after a refresh (or refused the refresh): the user has to reconnect. */
export async function markCredentialExpired(db: Database, run: RunRef, message: string): Promise<void> {
  await inRun(db, run, async (trx) => {
    const ctx = await loadRunContext(trx, run.jobId);
    await markExpired(
      trx,
      ctx.credentialId,
      message || 'The platform refused the credential even after refreshing it. Reconnect it.',
    );
  });
}
