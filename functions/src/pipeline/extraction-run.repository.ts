// An extraction run's rows (extraction_jobs, extraction_work_items, and what a run reads or sets on its data
// source and credential): plain functions over a Kysely transaction that already carries the run's
// organization (RLS applies), except the few marked loader-role that look across organizations.
import { sql, type Transaction } from 'kysely';
import type { AccountInfo } from '@tributary/connectors/contract';
import type { DB, JobStatus, Row } from '@tributary/shared/db/schema';
import type { RestatementDelta } from '@tributary/shared/facts/fact-loader';
import type { WorkItem } from './pipeline-types';
import type { RunContext } from './run-records';

type Trx = Transaction<DB>;

export async function loadRunContext(trx: Trx, jobId: string): Promise<RunContext> {
  const r = await trx
    .selectFrom('extractionJobs as j')
    .innerJoin('dataSources as s', 's.id', 'j.dataSourceId')
    .innerJoin('credentials as cr', 'cr.id', 's.credentialId')
    .select([
      'j.id',
      'j.organizationId',
      'j.projectId',
      'j.dataSourceId',
      'j.jobType',
      'j.status',
      'j.windowStart',
      'j.windowEnd',
      'j.startedAt',
      's.platform',
      // as text: CamelCasePlugin would rename the snake_case keys inside jsonb (account_id, options' own names)
      sql<string>`s.extraction_config::text`.as('extractionConfigJson'),
      sql<string>`s.schedule_config::text`.as('scheduleConfigJson'),
      's.lastSuccessfulDate',
      's.accountInfo',
      's.accountCheckedAt',
      's.credentialId',
      'cr.secretRef',
    ])
    .where('j.id', '=', jobId)
    .executeTakeFirst();
  if (!r) throw new Error(`extraction job ${jobId} does not exist in this organization`);
  return {
    jobId: r.id,
    organizationId: r.organizationId,
    projectId: r.projectId,
    dataSourceId: r.dataSourceId,
    jobType: r.jobType,
    jobStatus: r.status,
    requestedWindow: r.windowStart && r.windowEnd ? { start: r.windowStart, end: r.windowEnd } : null,
    platform: r.platform as RunContext['platform'],
    extractionConfig: (JSON.parse(r.extractionConfigJson) ?? {}) as RunContext['extractionConfig'],
    scheduleConfig: (JSON.parse(r.scheduleConfigJson) ?? {}) as RunContext['scheduleConfig'],
    lastSuccessfulDate: r.lastSuccessfulDate,
    accountInfo: r.accountInfo as AccountInfo | null,
    accountCheckedAt: r.accountCheckedAt,
    credentialId: r.credentialId,
    secretRef: r.secretRef,
    startedAt: r.startedAt,
  };
}

export async function markCredentialExpired(trx: Trx, credentialId: string, message: string): Promise<void> {
  await trx
    .updateTable('credentials')
    .set({
      status: 'expired',
      validationStatus: 'invalid',
      validationMessage: message,
      lastValidatedAt: sql<Date>`now()`,
    })
    .where('id', '=', credentialId)
    .execute();
}

// ---- planning

/** The job runs (a retried Plan keeps its first start) and its data source says so. */
export async function markRunStarted(trx: Trx, run: Pick<RunContext, 'jobId' | 'dataSourceId'>): Promise<void> {
  await trx
    .updateTable('extractionJobs')
    .set({ status: 'running', startedAt: sql<Date>`coalesce(started_at, now())`, progressPercent: 0 })
    .where('id', '=', run.jobId)
    .execute();
  await trx
    .updateTable('dataSources')
    .set({ extractionStatus: 'running' })
    .where('id', '=', run.dataSourceId)
    .execute();
}

export async function saveAccountInfo(trx: Trx, dataSourceId: string, account: AccountInfo, at: Date): Promise<void> {
  await trx
    .updateTable('dataSources')
    .set({ accountInfo: JSON.stringify(account), accountCheckedAt: at })
    .where('id', '=', dataSourceId)
    .execute();
}

/**
 * Every item in one statement (a two-year backfill is dozens, not a round trip each). Arrays through unnest,
 * not a VALUES list: a long backfill's items would pass PostgreSQL's 65,535 bind parameters.
 */
export async function insertWorkItems(
  trx: Trx,
  run: Pick<RunContext, 'organizationId' | 'jobId'>,
  items: readonly WorkItem[],
  account: AccountInfo,
): Promise<void> {
  const column = (f: (i: WorkItem) => string) => items.map(f);
  await sql`INSERT INTO extraction_work_items (organization_id, job_id, item_key, account_id, report_type, window_start, window_end, account)
    SELECT ${run.organizationId}, ${run.jobId}, k, a, r, ws::date, we::date, ${JSON.stringify(account)}::jsonb
    FROM unnest(${column((i) => i.key)}::text[], ${column((i) => i.account.id)}::text[], ${column((i) => i.reportType)}::text[],
                ${column((i) => i.window.start)}::text[], ${column((i) => i.window.end)}::text[]) AS i(k, a, r, ws, we)
    ON CONFLICT (job_id, item_key) DO NOTHING`.execute(trx);
}

/** The days the run covers, as planned (kept as they were when nothing was planned). */
export async function setJobWindow(trx: Trx, jobId: string, start: string | null, end: string | null): Promise<void> {
  await trx
    .updateTable('extractionJobs')
    .set({
      windowStart: sql<string>`coalesce(${start}::date, window_start)`,
      windowEnd: sql<string>`coalesce(${end}::date, window_end)`,
    })
    .where('id', '=', jobId)
    .execute();
}

// ---- work items

const ITEM_COLUMNS = ['itemKey', 'accountId', 'account', 'reportType', 'windowStart', 'windowEnd'] as const;
type ItemRow = Pick<Row<'extractionWorkItems'>, 'itemKey' | 'accountId' | 'reportType'> & {
  account: unknown;
  windowStart: string;
  windowEnd: string;
};

const toItem = (r: ItemRow): WorkItem => ({
  key: r.itemKey,
  account: (r.account as WorkItem['account'] | null) ?? {
    id: r.accountId,
    name: r.accountId,
    currency: 'USD',
    timeZone: 'UTC',
  },
  reportType: r.reportType,
  window: { start: r.windowStart, end: r.windowEnd },
});

/**
 * The item this lane holds (a retried task resumes it), else the next pending one, claimed with SKIP LOCKED
 * so lanes never take the same item. Null when the run has nothing left for this lane.
 */
export async function claimItem(trx: Trx, jobId: string, lane: number): Promise<WorkItem | null> {
  const held = await trx
    .selectFrom('extractionWorkItems')
    .select(ITEM_COLUMNS)
    .where('jobId', '=', jobId)
    .where('lane', '=', lane)
    .where('status', '=', 'running')
    .limit(1)
    .executeTakeFirst();
  if (held) return toItem(held);
  const claimed = await trx
    .updateTable('extractionWorkItems')
    .set({ status: 'running', lane })
    .where('jobId', '=', jobId)
    .where('itemKey', '=', (eb) =>
      eb
        .selectFrom('extractionWorkItems')
        .select('itemKey')
        .where('jobId', '=', jobId)
        .where('status', '=', 'pending')
        .orderBy('windowStart')
        .orderBy('itemKey')
        .limit(1)
        .forUpdate()
        .skipLocked(),
    )
    .returning(ITEM_COLUMNS)
    .executeTakeFirst();
  return claimed ? toItem(claimed) : null;
}

export interface ItemRecord {
  status: string;
  pages: number;
  rowsRead: string;
  rowsInserted: string;
  rowsUpdated: string;
  rowsUnchanged: string;
  resumeCursor: string | null;
}

/** The item's row, locked: a succeeded one is returned as recorded; any other is counted as one more attempt. */
export async function startItemAttempt(trx: Trx, jobId: string, itemKey: string): Promise<ItemRecord | undefined> {
  const recorded = await trx
    .selectFrom('extractionWorkItems')
    .select(['status', 'pages', 'rowsRead', 'rowsInserted', 'rowsUpdated', 'rowsUnchanged', 'resumeCursor'])
    .where('jobId', '=', jobId)
    .where('itemKey', '=', itemKey)
    .forUpdate()
    .executeTakeFirst();
  if (recorded?.status === 'succeeded') return recorded;
  await trx
    .updateTable('extractionWorkItems')
    .set({ status: 'running', attempts: sql<number>`attempts + 1` })
    .where('jobId', '=', jobId)
    .where('itemKey', '=', itemKey)
    .execute();
  return recorded;
}

/** A spent platform quota, said on the item and the job while the lane waits for it. */
export async function markQuotaExhausted(
  trx: Trx,
  jobId: string,
  itemKey: string,
  message: string,
  retryAfterSeconds: number,
): Promise<void> {
  await trx
    .updateTable('extractionWorkItems')
    .set({
      errorCode: 'QUOTA_EXHAUSTED',
      errorMessage: message,
      retryAt: sql<Date>`now() + make_interval(secs => ${retryAfterSeconds})`,
    })
    .where('jobId', '=', jobId)
    .where('itemKey', '=', itemKey)
    .execute();
  await trx.updateTable('extractionJobs').set({ errorMessage: message }).where('id', '=', jobId).execute();
}

/** A platform job still running: the cursor names it, and the item says when the lane looks again. */
export async function saveResumeCursor(
  trx: Trx,
  jobId: string,
  itemKey: string,
  cursor: string,
  waitSeconds: number,
): Promise<void> {
  await trx
    .updateTable('extractionWorkItems')
    .set({ resumeCursor: cursor, retryAt: sql<Date>`now() + make_interval(secs => ${waitSeconds})` })
    .where('jobId', '=', jobId)
    .where('itemKey', '=', itemKey)
    .execute();
}

export interface ItemResult {
  pages: number;
  read: number;
  inserted: number;
  updated: number;
  unchanged: number;
  restatements: RestatementDelta[];
}

export async function recordItemDone(trx: Trx, jobId: string, itemKey: string, result: ItemResult): Promise<void> {
  await trx
    .updateTable('extractionWorkItems')
    .set({
      status: 'succeeded',
      pages: result.pages,
      rowsRead: String(result.read),
      rowsInserted: String(result.inserted),
      rowsUpdated: String(result.updated),
      rowsUnchanged: String(result.unchanged),
      restatements: JSON.stringify(result.restatements),
      errorCode: null,
      errorMessage: null,
      resumeCursor: null,
      retryAt: null,
      completedAt: sql<Date>`now()`,
    })
    .where('jobId', '=', jobId)
    .where('itemKey', '=', itemKey)
    .execute();
}

/** The lane's held item failed for good. */
export async function recordItemFailure(
  trx: Trx,
  jobId: string,
  lane: number,
  errorCode: string,
  message: string,
): Promise<void> {
  await trx
    .updateTable('extractionWorkItems')
    .set({
      status: 'failed',
      errorCode: errorCode.slice(0, 100),
      errorMessage: message,
      retryAt: null,
      completedAt: sql<Date>`now()`,
    })
    .where('jobId', '=', jobId)
    .where('lane', '=', lane)
    .where('status', '=', 'running')
    .execute();
}

/**
 * percent = finished items / all items; rows = rows read by the finished ones. Items finish at the same time
 * (their windows load side by side): the job row is locked first, so the second to finish counts after the
 * first committed, and the last one always reports 100.
 */
export async function updateJobProgress(trx: Trx, jobId: string): Promise<{ percent: number; rows: number }> {
  await trx.selectFrom('extractionJobs').select('id').where('id', '=', jobId).forUpdate().execute();
  const counts = await trx
    .selectFrom('extractionWorkItems')
    .select([
      sql<number>`count(*)::int`.as('total'),
      sql<number>`count(*) FILTER (WHERE status IN ('succeeded', 'failed'))::int`.as('finished'),
      sql<string>`coalesce(sum(rows_read), 0)::bigint`.as('rows'),
    ])
    .where('jobId', '=', jobId)
    .executeTakeFirstOrThrow();
  const percent = counts.total === 0 ? 100 : Math.floor((counts.finished * 10_000) / counts.total) / 100;
  await trx
    .updateTable('extractionJobs')
    .set({ progressPercent: percent, rowsRead: counts.rows })
    .where('id', '=', jobId)
    .execute();
  return { percent, rows: Number(counts.rows) };
}

// ---- finalizing

export type FinishedItem = Pick<
  Row<'extractionWorkItems'>,
  'itemKey' | 'errorCode' | 'errorMessage' | 'rowsRead' | 'rowsInserted' | 'rowsUpdated' | 'rowsUnchanged'
> & { status: string; windowStart: string; windowEnd: string; restatements: RestatementDelta[] };

export async function listWorkItems(trx: Trx, jobId: string): Promise<FinishedItem[]> {
  const rows = await trx
    .selectFrom('extractionWorkItems')
    .select([
      'itemKey',
      'status',
      'windowStart',
      'windowEnd',
      'rowsRead',
      'rowsInserted',
      'rowsUpdated',
      'rowsUnchanged',
      'restatements',
      'errorCode',
      'errorMessage',
    ])
    .where('jobId', '=', jobId)
    .orderBy('windowStart')
    .orderBy('itemKey')
    .execute();
  return rows.map((r) => ({ ...r, restatements: r.restatements as RestatementDelta[] }));
}

export interface JobOutcome {
  status: JobStatus;
  rowsRead: string;
  rowsInserted: string;
  rowsUpdated: string;
  rowsUnchanged: string;
  restatements: RestatementDelta[];
  errorCode: string | null;
  errorMessage: string | null;
  completedAt: Date;
}

export async function closeJob(trx: Trx, jobId: string, outcome: JobOutcome): Promise<void> {
  await trx
    .updateTable('extractionJobs')
    .set({
      status: outcome.status,
      progressPercent: 100,
      rowsRead: outcome.rowsRead,
      rowsInserted: outcome.rowsInserted,
      rowsUpdated: outcome.rowsUpdated,
      rowsUnchanged: outcome.rowsUnchanged,
      restatements: JSON.stringify(outcome.restatements),
      errorCode: outcome.errorCode,
      errorMessage: outcome.errorMessage,
      completedAt: outcome.completedAt,
      startedAt: sql<Date>`coalesce(started_at, ${outcome.completedAt})`,
    })
    .where('id', '=', jobId)
    .execute();
}

/**
 * The data source after a run: its status, when it ran and runs next, and the last day known good (moved
 * forward only, and never by a backfill, which may cover an older range than the incremental runs).
 */
export async function recordSourceAfterRun(
  trx: Trx,
  dataSourceId: string,
  after: {
    status: 'succeeded' | 'partial' | 'failed';
    at: Date;
    next: Date | null;
    lastGood: string | null;
    backfill: boolean;
  },
): Promise<void> {
  const lastGood = after.lastGood;
  await trx
    .updateTable('dataSources')
    .set({
      extractionStatus: after.status,
      lastExtractionAt: after.at,
      nextExtractionAt: after.next,
      lastSuccessfulDate: sql<string>`CASE WHEN ${lastGood}::date IS NULL OR ${after.backfill} THEN last_successful_date
        ELSE greatest(coalesce(last_successful_date, ${lastGood}::date), ${lastGood}::date) END`,
    })
    .where('id', '=', dataSourceId)
    .execute();
}

export async function jobStatus(trx: Trx, jobId: string): Promise<JobStatus | undefined> {
  const row = await trx.selectFrom('extractionJobs').select('status').where('id', '=', jobId).executeTakeFirst();
  return row?.status;
}

/** Loader role (every organization): the pending or running jobs that started before `before`, oldest first. */
export async function listOpenJobsStartedBefore(
  trx: Trx,
  before: Date,
): Promise<{ id: string; organizationId: string }[]> {
  return trx
    .selectFrom('extractionJobs')
    .select(['id', 'organizationId'])
    .where('status', 'in', ['pending', 'running'])
    .where(sql<Date>`coalesce(started_at, created_at)`, '<', before)
    .orderBy('createdAt')
    .execute();
}

// ---- reading (the run-details route)

/** One run of the data source; undefined for a run of another source (or none). */
export async function findRunOfSource(trx: Trx, dataSourceId: string, jobId: string) {
  return trx
    .selectFrom('extractionJobs')
    .selectAll()
    .where('dataSourceId', '=', dataSourceId)
    .where('id', '=', jobId)
    .executeTakeFirst();
}

/** A work item as the run details show it: days and counts as text, the planned account and restatements. */
export interface WorkItemDetail {
  itemKey: string;
  accountId: string;
  account: { id?: string; name?: string } | null;
  reportType: string;
  windowStart: string;
  windowEnd: string;
  status: string;
  attempts: number;
  pages: number;
  rowsRead: string;
  rowsInserted: string;
  rowsUpdated: string;
  rowsUnchanged: string;
  restatements: RestatementDelta[];
  errorCode: string | null;
  errorMessage: string | null;
  resumeCursor: string | null;
  retryAt: Date | null;
  completedAt: Date | null;
}

/** The run's work items by window, report and key. */
export async function listWorkItemDetails(trx: Trx, jobId: string): Promise<WorkItemDetail[]> {
  const rows = await trx
    .selectFrom('extractionWorkItems')
    .select([
      'itemKey',
      'accountId',
      'account',
      'reportType',
      sql<string>`window_start::text`.as('windowStart'),
      sql<string>`window_end::text`.as('windowEnd'),
      'status',
      'attempts',
      'pages',
      sql<string>`rows_read::text`.as('rowsRead'),
      sql<string>`rows_inserted::text`.as('rowsInserted'),
      sql<string>`rows_updated::text`.as('rowsUpdated'),
      sql<string>`rows_unchanged::text`.as('rowsUnchanged'),
      'restatements',
      'errorCode',
      'errorMessage',
      'resumeCursor',
      'retryAt',
      'completedAt',
    ])
    .where('jobId', '=', jobId)
    .orderBy('windowStart')
    .orderBy('reportType')
    .orderBy('itemKey')
    .execute();
  return rows.map((r) => ({
    ...r,
    account: r.account as WorkItemDetail['account'],
    restatements: r.restatements as RestatementDelta[],
  }));
}

// ---- starting

export async function findSourceForRun(trx: Trx, dataSourceId: string) {
  return trx
    .selectFrom('dataSources')
    .select(['id', 'projectId', 'isActive'])
    .where('id', '=', dataSourceId)
    .executeTakeFirst();
}

export async function insertJob(
  trx: Trx,
  job: {
    organizationId: string;
    projectId: string;
    dataSourceId: string;
    jobType: DB['extractionJobs']['jobType'];
    window: { start: string; end: string } | null;
    jobConfig: Record<string, unknown>;
  },
): Promise<{ id: string }> {
  return trx
    .insertInto('extractionJobs')
    .values({
      organizationId: job.organizationId,
      projectId: job.projectId,
      dataSourceId: job.dataSourceId,
      jobType: job.jobType,
      windowStart: job.window?.start ?? null,
      windowEnd: job.window?.end ?? null,
      jobConfig: JSON.stringify(job.jobConfig),
    })
    .returning('id')
    .executeTakeFirstOrThrow();
}

export async function findActiveJob(trx: Trx, dataSourceId: string) {
  return trx
    .selectFrom('extractionJobs')
    .select(['id', 'status'])
    .where('dataSourceId', '=', dataSourceId)
    .where('status', 'in', ['pending', 'running'])
    .executeTakeFirst();
}

export async function setExecutionArn(trx: Trx, jobId: string, executionArn: string): Promise<void> {
  await trx.updateTable('extractionJobs').set({ executionArn }).where('id', '=', jobId).execute();
}

export async function markStartFailed(trx: Trx, jobId: string, message: string): Promise<void> {
  await trx
    .updateTable('extractionJobs')
    .set({ status: 'failed', errorCode: 'START_FAILED', errorMessage: message, completedAt: sql<Date>`now()` })
    .where('id', '=', jobId)
    .execute();
}

/** Loader role (the scheduler knows only the data source): the organization that holds it. */
export async function organizationOfSource(trx: Trx, dataSourceId: string): Promise<string | undefined> {
  const row = await trx
    .selectFrom('dataSources')
    .select('organizationId')
    .where('id', '=', dataSourceId)
    .executeTakeFirst();
  return row?.organizationId;
}
