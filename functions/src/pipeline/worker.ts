// Extract: one work item (account x report type x window). Reads the credential through the secret store,
// pulls pages through the connector (shared rate budget, in-process retries), archives each raw page to S3
// as it arrives (gzipped NDJSON), normalizes it and streams the rows into the fact loader.
//
// Resumable by construction: loadFacts is one all-or-nothing transaction keyed on the natural key, so a
// worker that dies mid-window leaves nothing of it, and its retry loads the window again exactly; raw pages
// go to deterministic keys, so a retry overwrites rather than duplicates them. A succeeded item is
// recorded, and a retry of a recorded item returns the record instead of loading again.
import { promisify } from 'node:util';
import { gzip as gzipCallback } from 'node:zlib';
import type { Connector, ConnectorContext, RawPage } from '@tributary/connectors/contract';
import { RateLimitedError, ReportNotReadyError } from '@tributary/connectors/contract';
import { runExtract } from '@tributary/connectors/runtime/call';
import { encodeFacts, type FactBatch } from '@tributary/shared/facts/fact-encoder';
import { loadFactBatches } from '@tributary/shared/facts/fact-loader';
import { connectorContext } from './connector-context';
import type { PipelineDeps } from './pipeline-deps';
import { reportWaitSeconds, type RunRef, type WorkerInput, type WorkerOutput, type WorkItem } from './pipeline-types';
import { readAhead } from './read-ahead';
import {
  claimItem,
  markQuotaExhausted,
  recordItemDone,
  recordItemFailure,
  saveResumeCursor,
  startItemAttempt,
  updateJobProgress,
} from './extraction-run.repository';
import { inRun, loadRunContext, markCredentialExpired, type RunContext } from './run-records';

const gzip = promisify(gzipCallback);

/** org/project/data-source/platform/data_type/date/job/part-N, date being the window's first day */
export function rawPageKey(
  run: Pick<RunContext, 'organizationId' | 'projectId' | 'dataSourceId' | 'platform' | 'jobId'>,
  item: WorkItem,
  part: number,
): string {
  return `${run.organizationId}/${run.projectId}/${run.dataSourceId}/${run.platform}/${item.reportType}/${item.window.start}/${run.jobId}/part-${part}.ndjson.gz`;
}

/**
 * A page as NDJSON: the platform's own bytes when the connector kept them (one JSON value, made one line:
 * a raw line break can only be whitespace in JSON), else one line per record when the body is a list,
 * else the body as one line.
 */
export function pageToNdjson(page: Pick<RawPage, 'body' | 'raw'>): Buffer {
  if (page.raw) return Buffer.concat([...page.raw.map(oneLine), NEWLINE]);
  const records = Array.isArray(page.body) ? page.body : [page.body];
  return Buffer.from(records.map((r) => JSON.stringify(r)).join('\n') + '\n');
}
const NEWLINE = Buffer.from('\n');
const oneLine = (piece: Buffer) =>
  piece.indexOf(0x0a) === -1 && piece.indexOf(0x0d) === -1
    ? piece
    : Buffer.from(piece.toString('latin1').replace(/[\r\n]/g, ' '), 'latin1');

/**
 * The page's NDJSON, gzipped on libuv's threads in one call: a platform batch arrives in dozens of 64 KB
 * socket reads, and a gzip stream fed read by read costs about a quarter more CPU than one call on their
 * concatenation (a copy of a few megabytes).
 * Level 1: about twice as fast as the default for archives about a fifth larger; raw pages are written on
 * every run and rarely read. Output in 1 MB pieces: zlib's 16 KB default calls back on the main thread once
 * per piece (a 10,000-row batch is ~25 of them).
 */
export function gzippedPage(page: Pick<RawPage, 'body' | 'raw'>): Promise<Buffer> {
  return gzip(pageToNdjson(page), { level: 1, chunkSize: 1 << 20 });
}

/** Raw pages of one work item being archived at once, at most; a further page waits for the oldest. */
const ARCHIVES_IN_FLIGHT = 4;

/**
 * PostgreSQL went away for a moment (a restart, a failover, a terminated backend, no connection to be had):
 * the window's load rolled back whole, so the state machine's Retry runs it again (the definition matches
 * this name) instead of failing the item and leaving the run partial until the next schedule.
 */
export class DatabaseUnavailableError extends Error {
  constructor(cause: unknown) {
    super(`the database was unavailable: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
    this.name = 'DatabaseUnavailable';
  }
}

/** connection exceptions (08…), admin/crash shutdown and cannot-connect-now (57P01-03), a socket that broke */
export function isDatabaseUnavailable(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  if (
    typeof code === 'string' &&
    (code.startsWith('08') || ['57P01', '57P02', '57P03', 'ECONNREFUSED', 'ECONNRESET', 'EPIPE'].includes(code))
  )
    return true;
  return (
    err instanceof Error &&
    /Connection terminated|terminating connection|not queryable|timeout exceeded when trying to connect/i.test(
      err.message,
    )
  );
}

export function makeWorker(deps: PipelineDeps) {
  return async (input: WorkerInput): Promise<WorkerOutput | { status: 'recorded' }> => {
    switch (input.action) {
      case 'extract':
        return extractNext(
          deps,
          input.job,
          input.lane,
          input.refreshFirst,
          input.rateLimitWaits,
          input.reportWaits ?? 0,
        ).catch((err: unknown) => {
          throw isDatabaseUnavailable(err) ? new DatabaseUnavailableError(err) : err;
        });
      case 'fail_credential':
        await markCredentialExpired(deps.db, input.job, userMessage(input.failure.Cause ?? input.failure.Error));
        return { status: 'recorded' };
      case 'record_failure':
        await failHeldItem(deps, input.job, input.lane, input.failure.Error, userMessage(input.failure.Cause));
        return { status: 'recorded' };
    }
  };
}

async function extractNext(
  deps: PipelineDeps,
  job: RunRef,
  lane: number,
  refreshFirst: boolean,
  rateLimitWaits: number,
  reportWaits: number,
): Promise<WorkerOutput> {
  const item = await inRun(deps.db, job, (trx) => claimItem(trx, job.jobId, lane));
  if (!item) return { status: 'drained' };
  return extractItem(deps, job, item, refreshFirst, rateLimitWaits, reportWaits);
}

async function extractItem(
  deps: PipelineDeps,
  job: RunRef,
  item: WorkItem,
  refreshFirst: boolean,
  rateLimitWaits: number,
  reportWaits: number,
): Promise<WorkerOutput> {
  const run = await inRun(deps.db, job, async (trx) => {
    const ctx = await loadRunContext(trx, job.jobId);
    const r = await startItemAttempt(trx, job.jobId, item.key);
    if (r?.status === 'succeeded')
      return {
        ctx,
        done: {
          status: 'done' as const,
          item: item.key,
          pages: r.pages,
          rowsRead: Number(r.rowsRead),
          inserted: Number(r.rowsInserted),
          updated: Number(r.rowsUpdated),
          unchanged: Number(r.rowsUnchanged),
        },
      };
    return { ctx, done: null, resumeCursor: r?.resumeCursor ?? null };
  });
  if (run.done) return run.done;
  const ctx = run.ctx;

  const connector = deps.findConnector(ctx.platform);
  const cctx = await connectorContext(deps, ctx, connector);
  if (refreshFirst && connector.refresh) {
    // the state machine's one refresh after an auth failure the worker's own refresh did not cure
    const refreshed = await connector.refresh(cctx);
    await cctx.onTokensRefreshed!(refreshed);
  }

  let pages = 0;
  let rowsSoFar = 0;
  const options = ctx.extractionConfig.options;
  const meta = {
    account: item.account,
    reportType: item.reportType,
    window: item.window,
    ...(options ? { options } : {}),
  };
  // Each raw page is compressed (on libuv's threads) and put while the next is fetched and loaded; the item
  // is done only once every put has succeeded.
  const archives: Promise<void>[] = [];
  let archiveFailure: unknown = null;
  const archive = (page: RawPage) => {
    const put = gzippedPage(page).then((body) =>
      deps.blobs.put(deps.rawBucket, rawPageKey(ctx, item, page.index), body, {
        contentType: 'application/x-ndjson',
        contentEncoding: 'gzip',
      }),
    );
    archives.push(put.catch((err: unknown) => void (archiveFailure ??= err)));
  };
  // the window declared: the run's other windows load at the same time instead of queueing on the source
  const target = {
    organizationId: ctx.organizationId,
    projectId: ctx.projectId,
    dataSourceId: ctx.dataSourceId,
    platform: ctx.platform,
    extractionJobId: ctx.jobId,
    window: { dataType: item.reportType, start: item.window.start, end: item.window.end },
  };
  // pages this platform sends as raw JSON are normalized and encoded on the page encoder's thread
  const encoder = deps.pageEncoder?.supports(ctx.platform) ? deps.pageEncoder : null;

  // Each page as it arrives: its archive starts, and so does its encoding, while the page before is loaded.
  async function* arriving(): AsyncGenerator<{ page: RawPage; encoded: Promise<FactBatch> | null }> {
    // a platform job still running when the item last returned (report_pending) is polled again, not restarted
    const request = { ...meta, resumeCursor: run.resumeCursor };
    const source = runExtract(connector as Connector<unknown>, cctx as ConnectorContext<unknown>, request, {
      ...deps.retry,
      maxRateLimitWaitMs: deps.maxInProcessRateLimitWaitMs,
    });
    for await (const page of source) {
      if (archives.length >= ARCHIVES_IN_FLIGHT) await archives[archives.length - ARCHIVES_IN_FLIGHT];
      if (archiveFailure) throw archiveFailure;
      archive(page);
      const encoded = encoder && page.raw ? encoder.encode(ctx.platform, page.raw, meta) : null;
      encoded?.catch(() => {}); // observed here; the load's await sees the failure
      yield { page, encoded };
    }
  }
  // requested at once, one page ahead: the first call goes out while loadFacts opens its transaction
  const platformPages = readAhead(arriving());
  // every page reaches the loader encoded by its encoder: on the page encoder's thread, else on this one
  async function* rows(): AsyncGenerator<FactBatch> {
    for await (const { page, encoded } of platformPages) {
      const batch = encoded ? await encoded : encodeFacts(connector.normalize(page, meta));
      pages++;
      rowsSoFar += batch.count;
      deps.interrupt?.('after_page', item.key);
      yield batch;
    }
  }

  let result;
  try {
    result = await loadFactBatches(deps.db, target, rows()).finally(() => {
      void platformPages.return(); // a load that failed before its last page: the window's requests stop
      return Promise.all(archives);
    });
    if (archiveFailure) throw archiveFailure;
  } catch (err) {
    if (err instanceof RateLimitedError) {
      if (err.quotaExhausted) {
        // a spent period quota (Klaviyo's 225 report calls a day): the run says so while it waits, and goes on
        // when the quota returns; the item's success (or the finalizer) replaces the message
        deps.logger.warn('platform quota spent; the window continues when it returns', {
          jobId: ctx.jobId,
          item: item.key,
          retryAfterMs: err.retryAfterMs,
          detail: err.userMessage,
        });
        await inRun(deps.db, job, (trx) =>
          markQuotaExhausted(
            trx,
            job.jobId,
            item.key,
            err.userMessage,
            Math.max(1, Math.ceil(err.retryAfterMs / 1000)),
          ),
        );
      }
      // the lane keeps the item (status running): after the state machine's Wait it resumes this one
      return {
        status: 'rate_limited',
        item: item.key,
        retryAfterSeconds: Math.max(1, Math.ceil(err.retryAfterMs / 1000)),
        rateLimitWaits: rateLimitWaits + 1,
      };
    }
    if (err instanceof ReportNotReadyError) {
      // the lane keeps the item; its cursor (naming the platform's job) is what the extract after the Wait resumes from
      const waitSeconds = reportWaitSeconds(reportWaits, err.retryAfterMs);
      await inRun(deps.db, job, (trx) => saveResumeCursor(trx, job.jobId, item.key, err.resumeCursor, waitSeconds));
      deps.logger.info('platform job still running; the state machine waits', {
        jobId: ctx.jobId,
        item: item.key,
        reportWaits: reportWaits + 1,
      });
      return {
        status: 'report_pending',
        item: item.key,
        retryAfterSeconds: waitSeconds,
        reportWaits: reportWaits + 1,
      };
    }
    throw err;
  }
  deps.interrupt?.('after_load', item.key);

  const progress = await inRun(deps.db, job, async (trx) => {
    await recordItemDone(trx, job.jobId, item.key, { pages, ...result });
    return updateJobProgress(trx, job.jobId);
  });
  await deps.progress.publish({
    type: 'progress',
    organizationId: ctx.organizationId,
    projectId: ctx.projectId,
    dataSourceId: ctx.dataSourceId,
    jobId: ctx.jobId,
    percent: progress.percent,
    rows: progress.rows,
    at: deps.clock.now().toISOString(),
  });
  deps.logger.info('work item loaded', {
    jobId: ctx.jobId,
    item: item.key,
    pages,
    rowsSoFar,
    inserted: result.inserted,
    updated: result.updated,
    unchanged: result.unchanged,
  });
  return {
    status: 'done',
    item: item.key,
    pages,
    rowsRead: result.read,
    inserted: result.inserted,
    updated: result.updated,
    unchanged: result.unchanged,
  };
}

/** The lane's held item failed for good; the lane goes on with the next one. */
async function failHeldItem(
  deps: PipelineDeps,
  job: RunRef,
  lane: number,
  errorName: string,
  message: string,
): Promise<void> {
  await inRun(deps.db, job, async (trx) => {
    await recordItemFailure(trx, job.jobId, lane, errorName, message);
    await updateJobProgress(trx, job.jobId);
  });
}

/**
 * Step Functions carries a Lambda error's Cause as JSON ({errorMessage, errorType, ...}) in AWS and as the
 * message locally; either way only the message reaches the user. Connector messages never hold secrets.
 */
function userMessage(cause: string | undefined): string {
  if (!cause) return '';
  try {
    const parsed = JSON.parse(cause) as { errorMessage?: string };
    if (parsed && typeof parsed.errorMessage === 'string') return parsed.errorMessage;
  } catch {
    // not JSON: the local runner's plain message
  }
  return cause;
}
