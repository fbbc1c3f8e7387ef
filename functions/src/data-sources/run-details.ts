// A run's details: its work items with their errors in plain words and what each needs from the user, and the
// restatement record summed per day. Error codes are the connector contract's class names (the state machine
// matches on them), plus the worker's QUOTA_EXHAUSTED while a spent quota is waited out.
import type { RestatementDelta } from '@tributary/shared/facts/fact-loader';
import type { WorkItemDetail } from '../pipeline/extraction-run.repository';
import { addDecimal, mergeRestatements } from '../pipeline/finalizer';
import { iso } from '../common.schemas';
import type { ItemProblem, RunDetails } from './data-source.schemas';

/** A row of extraction_work_items as the run's repository hands it back. */
export type WorkItemRow = WorkItemDetail;

export interface ProblemContext {
  credentialId: string;
  /** the account as the data source knows it */
  account: { id: string; name: string };
  /** when the data source runs next: a window given up on is extracted again then */
  nextRunAt: Date | null;
}

const RATE_LIMITED = new Set(['RateLimitedError', 'QUOTA_EXHAUSTED', 'RateBudgetSpentError']);
const TRANSIENT = /^(TransientPlatformError|DatabaseUnavailableError|States\.|Runtime\.|Sandbox\.|Lambda\.)/;

/** Null when nothing is wrong (or the item is merely pending, running or done). */
export function classifyProblem(
  item: {
    status: string;
    errorCode: string | null;
    errorMessage: string | null;
    resumeCursor?: string | null;
    retryAt?: Date | null;
    account?: { id: string; name: string } | null;
  },
  ctx: ProblemContext,
): ItemProblem | null {
  const code = item.errorCode;
  const waiting = item.status === 'running' || item.status === 'pending';
  const detail = item.errorMessage || null;
  const base = { detail, resumes_at: null, action: null, credential_id: null, account: null };
  const nextRun = iso(ctx.nextRunAt);
  const onNextRun = nextRun ? `on the next run (${nextRun.slice(0, 16).replace('T', ' ')} UTC)` : 'on the next run';
  if (waiting && item.resumeCursor && !code)
    return {
      ...base,
      kind: 'not_ready',
      message: 'The platform is still preparing this report; the window is checked again when it is ready.',
      resumes_at: iso(item.retryAt),
      action: 'wait',
    };
  if (!code) return null;
  if (RATE_LIMITED.has(code)) {
    if (waiting)
      return {
        ...base,
        kind: 'rate_limited',
        message: "The platform's request quota is used up; this window resumes by itself when it returns.",
        resumes_at: iso(item.retryAt),
        action: 'wait',
      };
    return {
      ...base,
      kind: 'rate_limited',
      message: `The platform kept asking us to slow down; this window is extracted again ${onNextRun}.`,
      resumes_at: nextRun,
      action: 'next_run',
    };
  }
  if (code === 'ReportNotReadyError')
    return {
      ...base,
      kind: 'not_ready',
      message: `The platform was still preparing the report after hours of waiting; this window is extracted again ${onNextRun}.`,
      resumes_at: nextRun,
      action: 'next_run',
    };
  if (code === 'ConnectorAuthError')
    return {
      ...base,
      kind: 'token_expired',
      message: "The connection's sign-in expired or was revoked. Reconnect it, then extract again.",
      action: 'reconnect',
      credential_id: ctx.credentialId,
    };
  if (code === 'PermissionDeniedError') {
    const account = item.account ?? ctx.account;
    return {
      ...base,
      kind: 'permission_denied',
      message: `The connection may no longer read the account ${account.name} (${account.id}). Grant it access on the platform, or reconnect with a login that can.`,
      action: 'grant_access',
      credential_id: ctx.credentialId,
      account,
    };
  }
  if (code === 'ConnectorConfigError')
    return {
      ...base,
      kind: 'invalid_request',
      message: "The platform refused what we asked for this account or report. Check the data source's settings.",
      action: 'edit_source',
    };
  if (TRANSIENT.test(code))
    return {
      ...base,
      kind: 'transient',
      message: `The platform did not answer, even after retries; this window is extracted again ${onNextRun}.`,
      resumes_at: nextRun,
      action: 'next_run',
    };
  return {
    ...base,
    kind: 'fatal',
    message: "The platform's answer could not be read, so this window was skipped. Retrying will not fix it by itself.",
  };
}

/** The restatement record per day: a day's data types added up (the deltas are exact decimal strings). */
export function restatementDays(deltas: RestatementDelta[]): RunDetails['restatements']['days'] {
  const byDay = new Map<string, RunDetails['restatements']['days'][number]>();
  for (const d of deltas) {
    const acc = byDay.get(d.date);
    if (!acc) {
      byDay.set(d.date, {
        date: d.date,
        rows_changed: d.rowsChanged,
        cost_delta: d.costDelta,
        conversions_delta: d.conversionsDelta,
        revenue_delta: d.revenueDelta,
        impressions_delta: d.impressionsDelta,
        clicks_delta: d.clicksDelta,
        data_types: [d.dataType],
      });
      continue;
    }
    acc.rows_changed += d.rowsChanged;
    acc.cost_delta = addDecimal(acc.cost_delta, d.costDelta);
    acc.conversions_delta = addDecimal(acc.conversions_delta, d.conversionsDelta);
    acc.revenue_delta = addDecimal(acc.revenue_delta, d.revenueDelta);
    acc.impressions_delta = addDecimal(acc.impressions_delta, d.impressionsDelta);
    acc.clicks_delta = addDecimal(acc.clicks_delta, d.clicksDelta);
    acc.data_types.push(d.dataType);
  }
  return [...byDay.values()].sort((a, b) => a.date.localeCompare(b.date));
}

/** The finalized record once the run ended; while it runs, what its finished items restated so far. */
export function runRestatements(
  job: { completedAt: Date | null; restatements: unknown },
  items: WorkItemRow[],
): RestatementDelta[] {
  if (job.completedAt && Array.isArray(job.restatements)) return job.restatements as RestatementDelta[];
  return mergeRestatements(items.map((i) => (Array.isArray(i.restatements) ? i.restatements : [])));
}

export function toWorkItem(row: WorkItemRow, ctx: ProblemContext): RunDetails['items'][number] {
  const account =
    row.account && typeof row.account.id === 'string'
      ? { id: row.account.id, name: row.account.name ?? row.account.id }
      : row.accountId === ctx.account.id
        ? ctx.account
        : { id: row.accountId, name: row.accountId };
  return {
    key: row.itemKey,
    report_type: row.reportType,
    account_id: row.accountId,
    window_start: row.windowStart,
    window_end: row.windowEnd,
    status: row.status,
    attempts: row.attempts,
    pages: row.pages,
    rows_read: Number(row.rowsRead),
    rows_inserted: Number(row.rowsInserted),
    rows_updated: Number(row.rowsUpdated),
    rows_unchanged: Number(row.rowsUnchanged),
    error_code: row.errorCode,
    problem: classifyProblem({ ...row, account }, ctx),
    completed_at: iso(row.completedAt),
  };
}
