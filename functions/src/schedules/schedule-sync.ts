// Keeps the schedule registry in step with data_sources: the data-source handlers call applySchedule inside
// their transaction (a registry failure rolls the change back), the local runner calls registerAllSchedules
// at start (its in-process scheduler forgets everything on exit; EventBridge does not need it), and
// fireSchedule is what a firing schedule does, in the starter Lambda and in the runner alike.
import type { Transaction } from 'kysely';
import type { Database } from '@tributary/shared/db/database';
import type { DB } from '@tributary/shared/db/schema';
import type { ScheduleRegistry } from '@tributary/shared/ports/schedule-registry';
import { ConflictError, NotFoundError } from '@tributary/shared/domain/errors';
import type { WorkflowRunner } from '@tributary/shared/ports/workflow-runner';
import { RunAlreadyActiveError, startExtractionRun } from '../pipeline/start-run';
import { nextExtractionAt, scheduleSpecOf } from './schedule-config';

interface SourceRow {
  id: string;
  scheduleConfig: unknown;
  isActive: boolean;
}

/**
 * Puts (or removes) the data source's schedule and sets next_extraction_at from its expression (null while
 * the source is disabled or manual). Returns the new next_extraction_at.
 */
export async function applySchedule(
  trx: Transaction<DB>,
  schedules: ScheduleRegistry,
  source: SourceRow,
  now: Date,
): Promise<Date | null> {
  const spec = scheduleSpecOf(source);
  if (spec) await schedules.put(spec);
  else await schedules.remove(source.id);
  const next = spec && spec.enabled ? nextExtractionAt(source.scheduleConfig, now) : null;
  await trx.updateTable('dataSources').set({ nextExtractionAt: next }).where('id', '=', source.id).execute();
  return next;
}

/** Registers every data source that has a schedule (the local runner's start). Returns how many. */
export async function registerAllSchedules(db: Database, schedules: ScheduleRegistry): Promise<number> {
  // every organization's sources: the loader role reads them without an organization context
  const rows = await db.withClient(
    { role: 'loader' },
    async (c) =>
      (await c.query(`SELECT id, schedule_config, is_active FROM data_sources`)).rows as {
        id: string;
        schedule_config: unknown;
        is_active: boolean;
      }[],
  );
  let count = 0;
  for (const r of rows) {
    const spec = scheduleSpecOf({ id: r.id, scheduleConfig: r.schedule_config, isActive: r.is_active });
    if (!spec) continue;
    await schedules.put(spec);
    count++;
  }
  return count;
}

export interface FireDeps {
  db: Database;
  workflow: WorkflowRunner;
  logger: {
    info(message: string, extra?: Record<string, unknown>): void;
    warn(message: string, extra?: Record<string, unknown>): void;
  };
}

/**
 * A schedule fired: start a run. A run still going (409) is logged and skipped: the next firing catches
 * up, since the planner always extracts from the last successful day.
 */
export async function fireSchedule(
  deps: FireDeps,
  dataSourceId: string,
): Promise<
  | { jobId: string }
  | { skipped: 'run_active'; jobId: string }
  | { skipped: 'data_source_gone' | 'data_source_disabled' }
> {
  try {
    const started = await startExtractionRun(deps, { dataSourceId, trigger: 'schedule' });
    deps.logger.info('scheduled extraction started', { data_source_id: dataSourceId, job_id: started.jobId });
    return { jobId: started.jobId };
  } catch (error) {
    if (error instanceof RunAlreadyActiveError) {
      deps.logger.info('scheduled extraction skipped: a run of this data source is still going', {
        data_source_id: dataSourceId,
        job_id: error.jobId,
      });
      return { skipped: 'run_active', jobId: error.jobId };
    }
    // A schedule that outlived its data source, or fired just as it was disabled: retrying cannot help,
    // and dead-lettering it would raise an alarm for nothing.
    if (error instanceof NotFoundError) {
      deps.logger.warn('scheduled extraction skipped: the data source no longer exists', {
        data_source_id: dataSourceId,
      });
      return { skipped: 'data_source_gone' };
    }
    if (error instanceof ConflictError) {
      deps.logger.info('scheduled extraction skipped: the data source is disabled', { data_source_id: dataSourceId });
      return { skipped: 'data_source_disabled' };
    }
    throw error;
  }
}
