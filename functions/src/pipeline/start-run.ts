// The one way a run starts, for the extract endpoint and the scheduler alike: insert the job row (the
// partial unique index on extraction_jobs refuses a second pending or running job of one data source),
// then start one execution of the state machine named after the job.
import type { Database } from '@tributary/shared/db/database';
import { ConflictError, NotFoundError } from '@tributary/shared/domain/errors';
import type { WorkflowRunner } from '@tributary/shared/ports/workflow-runner';
import {
  findActiveJob,
  findSourceForRun,
  insertJob,
  markStartFailed,
  organizationOfSource,
  setExecutionArn,
} from './extraction-run.repository';
import type { RunRef } from './pipeline-types';

export type RunTrigger = 'manual' | 'schedule' | 'backfill';

export interface StartRunDeps {
  db: Database;
  workflow: WorkflowRunner;
}

export interface StartRunArgs {
  dataSourceId: string;
  trigger: RunTrigger;
  /** inclusive day range to extract instead of the incremental one */
  backfill?: { start: string; end: string };
  /** known to the API; the scheduler may leave it out and it is read from the data source */
  organizationId?: string;
  /** written to job_config (who asked, which schedule) */
  requestedBy?: string;
}

/** A second start while a run of the data source is pending or running: 409 with that job's id. */
export class RunAlreadyActiveError extends ConflictError {
  constructor(
    readonly jobId: string,
    status: string,
  ) {
    super('An extraction of this data source is already pending or running', { job_id: jobId, status });
  }
}

const JOB_TYPES: Record<RunTrigger, 'manual' | 'scheduled' | 'backfill'> = {
  manual: 'manual',
  schedule: 'scheduled',
  backfill: 'backfill',
};

export async function startExtractionRun(
  deps: StartRunDeps,
  args: StartRunArgs,
): Promise<{ jobId: string; executionId: string }> {
  const organizationId = args.organizationId ?? (await organizationOf(deps.db, args.dataSourceId));
  const ctx = { orgId: organizationId };
  let job: { id: string };
  try {
    job = await deps.db.transaction(ctx, async (trx) => {
      const source = await findSourceForRun(trx, args.dataSourceId);
      if (!source) throw new NotFoundError('Data source not found');
      if (!source.isActive) throw new ConflictError('The data source is disabled; enable it before extracting');
      return insertJob(trx, {
        organizationId,
        projectId: source.projectId,
        dataSourceId: source.id,
        jobType: args.backfill ? 'backfill' : JOB_TYPES[args.trigger],
        window: args.backfill ?? null,
        jobConfig: { trigger: args.trigger, ...(args.requestedBy ? { requested_by: args.requestedBy } : {}) },
      });
    });
  } catch (err) {
    if ((err as { code?: string }).code !== '23505') throw err;
    const running = await deps.db.transaction(ctx, (trx) => findActiveJob(trx, args.dataSourceId));
    if (!running) throw err;
    throw new RunAlreadyActiveError(running.id, running.status);
  }

  const input: { job: RunRef } = { job: { jobId: job.id, organizationId } };
  try {
    const { executionId } = await deps.workflow.start({ name: job.id, input });
    await deps.db.transaction(ctx, (trx) => setExecutionArn(trx, job.id, executionId));
    return { jobId: job.id, executionId };
  } catch (err) {
    // never leave a pending job that nothing will run: it would block every later start
    await deps.db.transaction(ctx, (trx) => markStartFailed(trx, job.id, 'The run could not be started'));
    throw err;
  }
}

/** The scheduler knows only the data source: its organization is read with the loader role (no RLS). */
async function organizationOf(db: Database, dataSourceId: string): Promise<string> {
  const organizationId = await db.transaction({ role: 'loader' }, (trx) => organizationOfSource(trx, dataSourceId));
  if (!organizationId) throw new NotFoundError('Data source not found');
  return organizationId;
}
