// Plan: the first task of a run. Marks the job running; refreshes an OAuth token near its end, once for all
// the windows; takes the account (currency, time zone) from the data source while its stored description
// is fresh, else asks the connector; and splits the run into work items: account x report type x window.
// Windows come from the last successful day and the report type's lookback (restated days are always
// extracted again), or from the backfill range the job was started with, in chunks.
import { withRetries } from '@tributary/connectors/runtime/call';
import {
  ConnectorAuthError,
  ConnectorConfigError,
  type AccountInfo,
  type Connector,
  type ConnectorContext,
} from '@tributary/connectors/contract';
import { connectorContext } from './connector-context';
import type { PipelineDeps } from './pipeline-deps';
import { workItemKey, type PlanOutput, type RunRef, type WorkItem } from './pipeline-types';
import { insertWorkItems, markRunStarted, saveAccountInfo, setJobWindow } from './extraction-run.repository';
import { inRun, loadRunContext, markCredentialExpired, type RunContext } from './run-records';
import { addDays, chunk, dayIn, incrementalRange, oldestServedDay } from './windows';

export function makePlanner(deps: PipelineDeps) {
  return async (input: { job: RunRef }): Promise<PlanOutput> => {
    const run = await inRun(deps.db, input.job, async (trx) => {
      const ctx = await loadRunContext(trx, input.job.jobId);
      // a Plan retried after it already marked the job running is fine; a finished job is not run again
      if (ctx.jobStatus !== 'pending' && ctx.jobStatus !== 'running')
        throw new ConnectorConfigError(`job ${ctx.jobId} is ${ctx.jobStatus}`, ctx.platform);
      await markRunStarted(trx, ctx);
      return ctx;
    });
    await deps.progress.publish({
      type: 'started',
      organizationId: run.organizationId,
      projectId: run.projectId,
      dataSourceId: run.dataSourceId,
      jobId: run.jobId,
      percent: 0,
      rows: 0,
      at: deps.clock.now().toISOString(),
    });

    const connector = deps.findConnector(run.platform);
    const cctx = await connectorContext(deps, run, connector);
    await shareOneToken(deps, input.job, connector, cctx);
    const accountId = run.extractionConfig.account_id;
    const checkedAgoMs = run.accountCheckedAt ? deps.clock.now().getTime() - run.accountCheckedAt.getTime() : Infinity;
    // the stored account, while fresh: the windows need only its time zone, and a describe call here would
    // hold every window back by a round trip and spend a unit of the rate budget they share
    const stored =
      run.accountInfo && run.accountInfo.id === accountId && checkedAgoMs < deps.accountInfoMaxAgeHours * 3_600_000
        ? run.accountInfo
        : null;
    const { account, available } = stored
      ? { account: stored, available: connector.reportTypes }
      : await describeAccount(deps, run, connector, cctx, accountId);
    const reportTypes = (run.extractionConfig.report_types ?? []).map((id) => {
      const rt = available.find((r) => r.id === id);
      if (!rt) throw new ConnectorConfigError(`unknown report type ${id}`, run.platform);
      return rt;
    });

    const today = dayIn(account.timeZone, deps.clock.now());
    // the API refuses such windows; a stored start date or a job older than a retention change is cut here
    const oldest = oldestServedDay(connector, deps.clock.now());
    const items: WorkItem[] = [];
    for (const rt of reportTypes) {
      const range = run.requestedWindow
        ? run.requestedWindow
        : incrementalRange({
            today,
            lastSuccessfulDate: run.lastSuccessfulDate,
            lookbackDays: rt.lookbackDays,
            firstDay: run.extractionConfig.start_date ?? addDays(today, -(deps.initialHistoryDays - 1)),
            ...(run.extractionConfig.start_date ? { notBefore: run.extractionConfig.start_date } : {}),
          });
      if (!range) continue;
      const bounded = {
        start: range.start < oldest ? oldest : range.start,
        end: range.end > today ? today : range.end,
      };
      if (bounded.start > bounded.end) continue;
      for (const window of chunk(bounded, deps.windowChunkDays ?? connector.windowDays))
        items.push({ key: workItemKey(account.id, rt.id, window), account, reportType: rt.id, window });
    }

    await inRun(deps.db, input.job, async (trx) => {
      if (!stored) await saveAccountInfo(trx, run.dataSourceId, account, deps.clock.now());
      await insertWorkItems(trx, run, items, account);
      const start = items.reduce<string | null>(
        (m, i) => (m === null || i.window.start < m ? i.window.start : m),
        null,
      );
      const end = items.reduce<string | null>((m, i) => (m === null || i.window.end > m ? i.window.end : m), null);
      await setJobWindow(trx, run.jobId, start, end);
    });
    const maxConcurrency = deps.maxConcurrency?.[run.platform] ?? connector.maxConcurrency;
    const lanes = Math.max(1, Math.min(maxConcurrency, items.length));
    return {
      lanes: Array.from({ length: items.length ? lanes : 0 }, (_, i) => i),
      items: items.length,
      maxConcurrency: lanes,
    };
  };
}

/** Asks the platform for the run's account (one call where the connector can describe one account alone). */
async function describeAccount(
  deps: PipelineDeps,
  run: RunContext,
  connector: Connector<unknown>,
  cctx: ConnectorContext<unknown>,
  accountId: string | undefined,
) {
  const catalog = await withRetries(
    connector,
    cctx,
    (ctx) => (connector.catalogFor && accountId ? connector.catalogFor(ctx, accountId) : connector.discover(ctx)),
    deps.retry,
  );
  const found = catalog.accounts.find((a) => a.id === accountId);
  if (!found)
    throw new ConnectorConfigError(
      `the credential cannot see account ${accountId ?? '(none configured)'}`,
      run.platform,
      'The credential can no longer see the configured account; choose another account or reconnect.',
    );
  const account: AccountInfo = { id: found.id, name: found.name, currency: found.currency, timeZone: found.timeZone };
  return { account, available: catalog.reportTypes };
}

/** A token that lives at least this long is left to the windows; a shorter one is refreshed once by the plan. */
const TOKEN_MIN_LIFE_MS = 10 * 60_000;

/**
 * Refreshes an OAuth token that is missing or near its end once, before the windows start, and stores it:
 * otherwise every window of the run finds it expired at the same moment and refreshes it on its own. A
 * refresh the platform refuses (revoked or expired grant) fails the run and marks the credential expired.
 */
async function shareOneToken(
  deps: PipelineDeps,
  job: RunRef,
  connector: Connector<unknown>,
  cctx: ConnectorContext<unknown>,
): Promise<void> {
  if (!connector.refresh || !connector.accessTokenExpiresAt) return;
  const expiresAt = connector.accessTokenExpiresAt(cctx.credential);
  if (expiresAt !== null && expiresAt - (cctx.now ?? Date.now)() > TOKEN_MIN_LIFE_MS) return;
  try {
    const refreshed = await withRetries(connector, cctx, (ctx) => connector.refresh!(ctx), deps.retry);
    await cctx.onTokensRefreshed!(refreshed);
  } catch (err) {
    if (err instanceof ConnectorAuthError) await markCredentialExpired(deps.db, job, err.userMessage);
    throw err;
  }
}
