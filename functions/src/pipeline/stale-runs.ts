// Runs that end without reaching Finalize must still be closed: the one-running-job index would otherwise
// refuse every later start of the data source (409) for good. Two paths close them, both through the
// finalizer, so a closed run looks like any failed one (job, data source, progress event):
//   - an execution that FAILED, TIMED_OUT or was ABORTED: EventBridge's status-change event in AWS (the
//     rule in infra/lib/pipeline.ts targets the finalize function), the runner's end listener locally;
//   - the sweeper, for anything else (a lost event, a local runner killed mid-run): the daily maintenance in
//     AWS, and the local runner at start, where every run of a previous process is dead.
import type { WorkflowExecutionEnded } from '@tributary/shared/ports/workflow-runner';
import { makeFinalizer, type FinalizerDeps } from './finalizer';
import type { FinalizeOutput, RunRef } from './pipeline-types';
import { jobStatus, listOpenJobsStartedBefore } from './extraction-run.repository';
import { inRun } from './run-records';

/** The state machine's TimeoutSeconds is 24 h: a run older than that plus a margin has no live execution. */
export const STALE_RUN_HOURS = 25;

async function finalizeIfOpen(
  deps: FinalizerDeps,
  job: RunRef,
  failure: { Error: string; Cause: string },
): Promise<FinalizeOutput | null> {
  const status = await inRun(deps.db, job, (trx) => jobStatus(trx, job.jobId));
  if (status !== 'pending' && status !== 'running') return null;
  return makeFinalizer(deps)({ job, run: { failure } });
}

/** An execution ended; unless its Finalize already closed the job, close it now as failed. */
export async function finalizeEndedExecution(
  deps: FinalizerDeps,
  ended: Pick<WorkflowExecutionEnded, 'input' | 'status' | 'error'>,
): Promise<FinalizeOutput | null> {
  if (ended.status === 'SUCCEEDED') return null;
  const job = (ended.input as { job?: Partial<RunRef> }).job;
  if (!job?.jobId || !job.organizationId) return null;
  const cause =
    ended.status === 'ABORTED'
      ? 'The run was stopped before it finished'
      : ended.status === 'TIMED_OUT'
        ? 'The run took longer than 24 hours and was stopped'
        : `The run failed before it finished${ended.error ? `: ${ended.error}` : ''}`;
  return finalizeIfOpen(
    deps,
    { jobId: job.jobId, organizationId: job.organizationId },
    { Error: `States.${ended.status}`, Cause: cause },
  );
}

/**
 * EventBridge's "Step Functions Execution Status Change" event, as the finalize function receives it: the
 * execution's input is a JSON string in detail.input.
 */
export interface ExecutionStatusChangeEvent {
  'detail-type': 'Step Functions Execution Status Change';
  detail: {
    executionArn: string;
    name: string;
    status: WorkflowExecutionEnded['status'] | 'RUNNING';
    input?: string | null;
    error?: string | null;
    cause?: string | null;
  };
}

export function isExecutionStatusChange(event: unknown): event is ExecutionStatusChangeEvent {
  return Boolean(
    event &&
    typeof event === 'object' &&
    (event as { 'detail-type'?: unknown })['detail-type'] === 'Step Functions Execution Status Change',
  );
}

export async function finalizeFromStatusChange(
  deps: FinalizerDeps,
  event: ExecutionStatusChangeEvent,
): Promise<FinalizeOutput | null> {
  const { status, input, error } = event.detail;
  if (status === 'RUNNING') return null;
  let parsed: Record<string, unknown> = {};
  try {
    parsed = JSON.parse(input ?? '{}') as Record<string, unknown>;
  } catch {
    return null;
  }
  return finalizeEndedExecution(deps, { input: parsed, status, ...(error ? { error } : {}) });
}

/** Closes every pending or running job that started before `startedBefore` (all organizations). */
export async function sweepStaleRuns(deps: FinalizerDeps, startedBefore: Date): Promise<{ closed: string[] }> {
  const stale = await deps.db.transaction({ role: 'loader' }, (trx) => listOpenJobsStartedBefore(trx, startedBefore));
  const closed: string[] = [];
  for (const job of stale) {
    const out = await finalizeIfOpen(
      deps,
      { jobId: job.id, organizationId: job.organizationId },
      {
        Error: 'StaleRun',
        Cause:
          'The run stopped without finishing (its process or execution ended); it was closed so the data source can run again',
      },
    );
    if (out) closed.push(job.id);
  }
  if (closed.length) deps.logger.warn('stale extraction runs closed', { jobs: closed });
  return { closed };
}
