// The daily maintenance job: reference exchange rates first (today's conversions need them), then
// retention. One failing part does not stop the other; the job still fails at the end, so the alarm fires.
import type { Adapters } from '@tributary/shared/config/adapters';
import { structuredLogger } from '@tributary/shared/adapters/structured-logger';
import { STALE_RUN_HOURS, sweepStaleRuns } from '../pipeline/stale-runs';
import { refreshFxRates, type FxRefreshResult } from './fx-rates';
import { runPurgeJobs, type PurgeRun } from './purge';
import { runRetention, type RetentionRun } from './retention';

/** The ECB's own host, used unless the configuration points `ecb` elsewhere (the sandbox, locally). */
export const ECB_BASE_URL = 'https://www.ecb.europa.eu';

export interface DailyMaintenanceResult {
  day: string;
  fx: FxRefreshResult | { error: string };
  retention: { projects: number; warmRows: number; coldMonths: number; coldRows: number } | { error: string };
  /** the object-store purges of deleted projects and data sources */
  purge?: PurgeRun | { error: string };
  staleRunsClosed?: number;
}

export class DailyMaintenanceError extends Error {
  constructor(readonly result: DailyMaintenanceResult) {
    super(
      `daily maintenance of ${result.day} failed: ${(['fx', 'retention', 'purge'] as const)
        .filter((k) => result[k] && 'error' in result[k])
        .map((k) => `${k}: ${(result[k] as { error: string }).error}`)
        .join('; ')}`,
    );
    this.name = new.target.name;
  }
}

export async function runDailyMaintenance(
  deps: Pick<Adapters, 'db' | 'blobs' | 'config' | 'clock'> & Partial<Pick<Adapters, 'progress'>>,
): Promise<DailyMaintenanceResult> {
  const day = deps.clock.now().toISOString().slice(0, 10);
  const result: DailyMaintenanceResult = { day, fx: { error: 'not run' }, retention: { error: 'not run' } };
  try {
    result.fx = await refreshFxRates(deps.db, {
      baseUrl: deps.config.platforms.baseUrls.ecb ?? ECB_BASE_URL,
      through: day,
    });
  } catch (err) {
    result.fx = { error: (err as Error).message };
  }
  try {
    const run: RetentionRun = await runRetention(deps.db, deps.blobs, {
      bucket: deps.config.objectStore.archiveBucket,
      today: day,
    });
    result.retention = {
      projects: run.projects,
      warmRows: run.warm.reduce((n, w) => n + w.rows, 0),
      coldMonths: run.cold.length,
      coldRows: run.cold.reduce((n, c) => n + c.rows, 0),
    };
  } catch (err) {
    result.retention = { error: (err as Error).message };
  }
  try {
    result.purge = await runPurgeJobs(deps.db, deps.blobs, {
      raw: deps.config.objectStore.rawBucket,
      archive: deps.config.objectStore.archiveBucket,
    });
    if (result.purge.failed) result.purge = { error: `${result.purge.failed} purge job(s) failed; they stay queued` };
  } catch (err) {
    result.purge = { error: (err as Error).message };
  }
  if ('error' in result.fx || 'error' in result.retention || (result.purge && 'error' in result.purge))
    throw new DailyMaintenanceError(result);
  if (deps.progress) {
    // a run whose execution is long gone (a lost EventBridge event) must not hold its data source for good
    const stale = await sweepStaleRuns(
      {
        db: deps.db,
        clock: deps.clock,
        progress: deps.progress,
        logger: structuredLogger('tributary-maintenance', deps.config.logLevel),
      },
      new Date(deps.clock.now().getTime() - STALE_RUN_HOURS * 3_600_000),
    ).catch(() => ({ closed: [] }));
    result.staleRunsClosed = stale.closed.length;
  }
  if ('error' in result.fx || 'error' in result.retention) throw new DailyMaintenanceError(result);
  return result;
}
