// Finalize: the last task of a run, whatever happened before it. Sums the work items into the job (status,
// counts, duration, error, the restatement record per day, data type and metric), moves the data source's
// last successful day and last/next extraction, and publishes completed or failed (and data_updated).
import { nextExtractionAt as nextFromSchedule } from '../schedules/schedule-config';
import type { RestatementDelta } from '@tributary/shared/facts/fact-loader';
import type { PipelineDeps } from './pipeline-deps';
import type { FinalizeInput, FinalizeOutput } from './pipeline-types';
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

/** When a data source's schedule runs next (functions/src/schedules reads every form of schedule_config); null for manual ones. */
export function nextExtractionAt(schedule: unknown, now: Date): Date | null {
  return nextFromSchedule(schedule, now);
}

/** What finalizing needs: no platform, no secrets (the sweeper runs it from daily maintenance too). */
export type FinalizerDeps = Pick<PipelineDeps, 'db' | 'clock' | 'progress' | 'logger'>;

export function makeFinalizer(deps: FinalizerDeps) {
  return async (input: FinalizeInput): Promise<FinalizeOutput> => {
    const now = deps.clock.now();
    const outcome = await inRun(deps.db, input.job, async (c) => {
      const run = await loadRunContext(c, input.job.jobId);
      const items = (
        await c.query(
          `SELECT item_key, status, window_start::text AS window_start, window_end::text AS window_end, rows_read, rows_inserted, rows_updated, rows_unchanged,
                  restatements, error_code, error_message
           FROM extraction_work_items WHERE job_id = $1 ORDER BY window_start, item_key`,
          [run.jobId],
        )
      ).rows;
      const sum = (f: string) => items.reduce((acc, i) => acc + BigInt(i[f]), 0n).toString();
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
              code: failed[0].error_code ?? 'INCOMPLETE',
              message: `${failed.length} of ${items.length} windows failed; first: ${failed[0].error_message ?? failed[0].status}`,
            }
          : null;
      const restatements = mergeRestatements(items.map((i) => i.restatements as RestatementDelta[]));
      await c.query(
        `UPDATE extraction_jobs SET status = $2, progress_percent = 100, rows_read = $3, rows_inserted = $4, rows_updated = $5, rows_unchanged = $6,
                restatements = $7, error_code = $8, error_message = $9, completed_at = $10, started_at = coalesce(started_at, $10)
         WHERE id = $1`,
        [
          run.jobId,
          status,
          sum('rows_read'),
          sum('rows_inserted'),
          sum('rows_updated'),
          sum('rows_unchanged'),
          JSON.stringify(restatements),
          firstError?.code?.slice(0, 100) ?? null,
          firstError?.message ?? null,
          now,
        ],
      );
      // the last successful day: the day before the earliest failed window, else the end of the newest one
      const firstFailedStart = failed.reduce<string | null>(
        (m, i) => (m === null || i.window_start < m ? i.window_start : m),
        null,
      );
      const newestEnd = items.reduce<string | null>(
        (m, i) => (m === null || i.window_end > m ? i.window_end : m),
        null,
      );
      const lastGood = firstFailedStart ? addDays(firstFailedStart, -1) : newestEnd;
      // a backfill of old days does not move the incremental position backwards
      await c.query(
        `UPDATE data_sources SET extraction_status = $2, last_extraction_at = $3, next_extraction_at = $4,
                last_successful_date = CASE WHEN $5::date IS NULL OR $6 THEN last_successful_date ELSE greatest(coalesce(last_successful_date, $5::date), $5::date) END
         WHERE id = $1`,
        [
          run.dataSourceId,
          status,
          now,
          nextExtractionAt(run.scheduleConfig, now),
          status === 'failed' ? null : lastGood,
          run.jobType === 'backfill',
        ],
      );
      const durationMs = run.startedAt ? now.getTime() - run.startedAt.getTime() : 0;
      return {
        run,
        status,
        rows: Number(sum('rows_read')),
        changed: BigInt(sum('rows_inserted')) + BigInt(sum('rows_updated')),
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
