// Plan: the first task of a run. Marks the job running, asks the connector what the account and its report
// types are (currency, time zone, lookback), and splits the run into work items: account x report type x
// window. Windows come from the last successful day and the report type's lookback (restated days are
// always extracted again), or from the backfill range the job was started with, in chunks.
import { withRetries } from '@tributary/connectors/runtime/retry';
import { ConnectorConfigError } from '@tributary/connectors/contract';
import { connectorContext } from './connector-context';
import type { PipelineDeps } from './pipeline-deps';
import { workItemKey, type PlanOutput, type RunRef, type WorkItem } from './pipeline-types';
import { inRun, loadRunContext } from './run-records';
import { addDays, chunk, dayIn, incrementalRange } from './windows';

export function makePlanner(deps: PipelineDeps) {
  return async (input: { job: RunRef }): Promise<PlanOutput> => {
    const run = await inRun(deps.db, input.job, async (c) => {
      const ctx = await loadRunContext(c, input.job.jobId);
      // a Plan retried after it already marked the job running is fine; a finished job is not run again
      if (ctx.jobStatus !== 'pending' && ctx.jobStatus !== 'running') throw new ConnectorConfigError(`job ${ctx.jobId} is ${ctx.jobStatus}`, ctx.platform);
      await c.query(`UPDATE extraction_jobs SET status = 'running', started_at = coalesce(started_at, now()), progress_percent = 0 WHERE id = $1`, [ctx.jobId]);
      await c.query(`UPDATE data_sources SET extraction_status = 'running' WHERE id = $1`, [ctx.dataSourceId]);
      return ctx;
    });
    await deps.progress.publish({ type: 'started', organizationId: run.organizationId, projectId: run.projectId, dataSourceId: run.dataSourceId, jobId: run.jobId, percent: 0, rows: 0, at: deps.clock.now().toISOString() });

    const connector = deps.findConnector(run.platform);
    const cctx = await connectorContext(deps, run, connector);
    const accountId = run.extractionConfig.account_id;
    // only the run's own account when the connector can describe one alone (fewer calls against the quota)
    const catalog = await withRetries(connector, cctx, (ctx) => (connector.catalogFor && accountId ? connector.catalogFor(ctx, accountId) : connector.discover(ctx)), deps.retry);
    const account = catalog.accounts.find((a) => a.id === accountId);
    if (!account) throw new ConnectorConfigError(`the credential cannot see account ${accountId ?? '(none configured)'}`, run.platform, 'The credential can no longer see the configured account; choose another account or reconnect.');
    const reportTypes = (run.extractionConfig.report_types ?? []).map((id) => {
      const rt = catalog.reportTypes.find((r) => r.id === id);
      if (!rt) throw new ConnectorConfigError(`unknown report type ${id}`, run.platform);
      return rt;
    });

    const today = dayIn(account.timeZone, deps.clock.now());
    const items: WorkItem[] = [];
    for (const rt of reportTypes) {
      const range = run.requestedWindow
        ? run.requestedWindow
        : incrementalRange({ today, lastSuccessfulDate: run.lastSuccessfulDate, lookbackDays: rt.lookbackDays, firstDay: run.extractionConfig.start_date ?? addDays(today, -(deps.initialHistoryDays - 1)) });
      if (!range) continue;
      for (const window of chunk(range, deps.windowChunkDays)) items.push({ key: workItemKey(account.id, rt.id, window), account, reportType: rt.id, window });
    }

    await inRun(deps.db, input.job, async (c) => {
      for (const item of items) {
        await c.query(
          `INSERT INTO extraction_work_items (organization_id, job_id, item_key, account_id, report_type, window_start, window_end)
           VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (job_id, item_key) DO NOTHING`,
          [run.organizationId, run.jobId, item.key, item.account.id, item.reportType, item.window.start, item.window.end],
        );
      }
      const start = items.reduce<string | null>((m, i) => (m === null || i.window.start < m ? i.window.start : m), null);
      const end = items.reduce<string | null>((m, i) => (m === null || i.window.end > m ? i.window.end : m), null);
      await c.query(`UPDATE extraction_jobs SET window_start = coalesce($2, window_start), window_end = coalesce($3, window_end) WHERE id = $1`, [run.jobId, start, end]);
    });
    return { items, maxConcurrency: deps.maxConcurrency[run.platform] ?? 2 };
  };
}
