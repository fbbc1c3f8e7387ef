// Finalize: the last task of a run, whatever happened before it. Sums the work items into the job (status,
// counts, duration, error, the restatement record per day, data type and metric), moves the data source's
// last successful day and last/next extraction, and publishes completed or failed (and data_updated).
import { nextExtractionAt as nextFromSchedule } from '../schedules/schedule-config';
import type { RestatementDelta } from '@tributary/shared/facts/fact-loader';
import type { PipelineDeps } from './pipeline-deps';
import type { FinalizeInput, FinalizeOutput } from './pipeline-types';
import { closeJob, listWorkItems, recordSourceAfterRun } from './extraction-run.repository';
import { inRun, loadRunContext } from './run-records';
import { addDays } from './windows';

/** Adds restatement deltas of the same day and data type (several windows may cover one day). */
export function mergeRestatements(lists: RestatementDelta[][]): RestatementDelta[] {
  const byKey = new Map<string, RestatementDelta>();
  for (const list of lists) {
    for (const d of list) {
      const key = `${d.date}|${d.dataType}`;
      const acc = byKey.get(key);
      if (!acc) {
        byKey.set(key, { ...d });
        continue;
      }
      acc.rowsChanged += d.rowsChanged;
      for (const m of ['impressionsDelta', 'clicksDelta', 'costDelta', 'conversionsDelta', 'revenueDelta'] as const)
        acc[m] = addDecimal(acc[m], d[m]);
    }
  }
  return [...byKey.values()].sort((a, b) =>
    a.date === b.date ? a.dataType.localeCompare(b.dataType) : a.date.localeCompare(b.date),
  );
}

/** Exact decimal addition of two decimal strings (no float): scaled to a common number of places as bigint. */
export function addDecimal(a: string, b: string): string {
  const places = Math.max(fraction(a), fraction(b));
  const sum = scaled(a, places) + scaled(b, places);
  const neg = sum < 0n;
  const digits = (neg ? -sum : sum).toString().padStart(places + 1, '0');
  const text = places === 0 ? digits : `${digits.slice(0, -places)}.${digits.slice(-places)}`;
  return neg ? `-${text}` : text;
}
const fraction = (v: string) => (v.includes('.') ? v.length - v.indexOf('.') - 1 : 0);
function scaled(v: string, places: number): bigint {
  const neg = v.startsWith('-');
  const [int, frac = ''] = (neg ? v.slice(1) : v).split('.');
  const n = BigInt((int || '0') + frac.padEnd(places, '0'));
  return neg ? -n : n;
}

/**
 * When a data source's schedule runs next (functions/src/schedules reads every form of schedule_config); null for
 * manual ones.
 */
export function nextExtractionAt(schedule: unknown, now: Date): Date | null {
  return nextFromSchedule(schedule, now);
}

/** What finalizing needs: no platform, no secrets (the sweeper runs it from daily maintenance too). */
export type FinalizerDeps = Pick<PipelineDeps, 'db' | 'clock' | 'progress' | 'logger'>;

export function makeFinalizer(deps: FinalizerDeps) {
  return async (input: FinalizeInput): Promise<FinalizeOutput> => {
    const now = deps.clock.now();
    const outcome = await inRun(deps.db, input.job, async (trx) => {
      const run = await loadRunContext(trx, input.job.jobId);
      const items = await listWorkItems(trx, run.jobId);
      const sum = (f: 'rowsRead' | 'rowsInserted' | 'rowsUpdated' | 'rowsUnchanged') =>
        items.reduce((acc, i) => acc + BigInt(i[f]), 0n).toString();
      const failed = items.filter((i) => i.status !== 'succeeded');
      const runFailure = input.run.failure;
      const status: FinalizeOutput['status'] =
        runFailure || (items.length > 0 && failed.length === items.length)
          ? 'failed'
          : failed.length > 0
            ? 'partial'
            : 'succeeded';
      const firstError = runFailure
        ? { code: runFailure.Error, message: causeMessage(runFailure.Cause) }
        : failed[0]
          ? {
              code: failed[0].errorCode ?? 'INCOMPLETE',
              message: `${failed.length} of ${items.length} windows failed; first: ${failed[0].errorMessage ?? failed[0].status}`,
            }
          : null;
      const restatements = mergeRestatements(items.map((i) => i.restatements));
      await closeJob(trx, run.jobId, {
        status,
        rowsRead: sum('rowsRead'),
        rowsInserted: sum('rowsInserted'),
        rowsUpdated: sum('rowsUpdated'),
        rowsUnchanged: sum('rowsUnchanged'),
        restatements,
        errorCode: firstError?.code?.slice(0, 100) ?? null,
        errorMessage: firstError?.message ?? null,
        completedAt: now,
      });
      const firstFailedStart = failed.reduce<string | null>(
        (m, i) => (m === null || i.windowStart < m ? i.windowStart : m),
        null,
      );
      const newestEnd = items.reduce<string | null>((m, i) => (m === null || i.windowEnd > m ? i.windowEnd : m), null);
      const lastGood = firstFailedStart ? addDays(firstFailedStart, -1) : newestEnd;
      // a backfill of old days does not move the incremental position backwards
      await recordSourceAfterRun(trx, run.dataSourceId, {
        status,
        at: now,
        next: nextExtractionAt(run.scheduleConfig, now),
        lastGood: status === 'failed' ? null : lastGood,
        backfill: run.jobType === 'backfill',
      });
      const durationMs = run.startedAt ? now.getTime() - run.startedAt.getTime() : 0;
      return {
        run,
        status,
        rows: Number(sum('rowsRead')),
        changed: BigInt(sum('rowsInserted')) + BigInt(sum('rowsUpdated')),
        error: firstError,
        durationMs,
        items: items.length,
        failed: failed.length,
      };
    });
    const { run } = outcome;
    const base = {
      organizationId: run.organizationId,
      projectId: run.projectId,
      dataSourceId: run.dataSourceId,
      jobId: run.jobId,
      at: now.toISOString(),
    };
    if (outcome.status === 'failed')
      await deps.progress.publish({
        ...base,
        type: 'failed',
        percent: 100,
        rows: outcome.rows,
        error: outcome.error?.message ?? 'The extraction failed',
      });
    else
      await deps.progress.publish({
        ...base,
        type: 'completed',
        percent: 100,
        rows: outcome.rows,
        ...(outcome.error ? { error: outcome.error.message } : {}),
      });
    if (outcome.changed > 0n)
      await deps.progress.publish({ ...base, type: 'data_updated', rows: Number(outcome.changed) });
    const summary = `${outcome.status}: ${outcome.items - outcome.failed}/${outcome.items} windows, ${outcome.rows} rows read in ${Math.round(outcome.durationMs / 1000)} s${outcome.error ? `; ${outcome.error.code}: ${outcome.error.message}` : ''}`;
    deps.logger.info('extraction run finalized', { jobId: run.jobId, status: outcome.status, summary });
    return { status: outcome.status, summary };
  };
}

function causeMessage(cause: string | undefined): string {
  if (!cause) return 'The extraction failed';
  try {
    const parsed = JSON.parse(cause) as { errorMessage?: string };
    if (typeof parsed?.errorMessage === 'string') return parsed.errorMessage;
  } catch {
    // plain text
  }
  return cause;
}
