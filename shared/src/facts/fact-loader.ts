// The fact loader: the one function every writer of facts uses. It takes a stream of batches of normalized
// rows for one data source, encoded by its encoder (fact-encoder.ts), and upserts them on the natural key
// (data_source_id, data_type, data_date, row_key):
//
//   new rows        -> the COPY writer streams them straight into extracted_data (copy-writer.ts)
//   changed rows    -> staged, then applied by one set-based UPDATE at the end (staged-updates.ts)
//   unchanged rows  -> recognised in memory and never sent to the database
//
// It can tell the three apart before sending anything because it first reads, month by month, the
// (row_key, content_hash) pairs the data source already has, into a compact in-memory index
// (month-key-index.ts). That read is ~16 bytes a row, against ~200 bytes a row to send a fact, which is
// what makes an unchanged re-load cheap.
//
// Everything happens in one transaction holding advisory locks: a load is all or nothing (a worker that dies
// mid-load leaves no half-written window), and two loads of the same days of one source never race (a load
// that declares its window locks those days only, so a run's windows load side by side; see lockLoad).
// Nothing depends on session state, so it runs through RDS Proxy without pinning: the role and context are
// SET LOCAL, the locks are transaction-scoped, and staging is a regular unlogged table keyed by load id,
// written inside the load's transaction on its one connection (load-connection.ts).
import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import type { Database } from '../db/database';
import { contextStatements } from '../db/database';
import type { FactRow } from '../domain/fact-row';
import { CopyWriter } from './copy-writer';
import { encodeFacts, type FactBatch } from './fact-encoder';
import { LoadConnection } from './load-connection';
import { ensureMonthPartitions } from './month-partitions';
import { MonthKeyIndex, RowFate } from './month-key-index';
import { DATE, FactRowError, copyText } from './row-hash';
import { StagedUpdates, type RestatementDelta } from './staged-updates';

export type { RestatementDelta } from './staged-updates';

export interface FactLoadTarget {
  organizationId: string;
  projectId: string;
  dataSourceId: string;
  platform: string;
  extractionJobId?: string | null;
  /**
   * What the rows will cover, when the caller knows (a pipeline work item: one report type, one window).
   * Loads of one data source with disjoint windows then run at the same time (they lock their days, not the
   * whole source); a row outside the window fails the load. Without a window the load locks the source.
   */
  window?: FactLoadWindow;
}

/** One data type over an inclusive day range (YYYY-MM-DD). */
export interface FactLoadWindow {
  dataType: string;
  start: string;
  end: string;
}

export interface FactLoadResult {
  read: number;
  inserted: number;
  updated: number;
  unchanged: number;
  /** how much restated numbers moved, per day and data type (rows that existed before this load) */
  restatements: RestatementDelta[];
}

/** Batches from the loader's encoder: on this thread (encodeFacts) or another (receiveFactBatch). */
export type FactBatchSource = AsyncIterable<FactBatch> | Iterable<FactBatch>;

/** Rows one at a time or in batches, as loadFacts takes them. */
export type FactRowSource = AsyncIterable<FactRow | readonly FactRow[]> | Iterable<FactRow | readonly FactRow[]>;

export class FactLoadError extends Error {
  constructor(
    message: string,
    readonly rowNumber: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** A window longer than this locks the whole data source instead of one lock per day. */
const MAX_WINDOW_LOCK_DAYS = 62;

/** Single rows given to loadFacts are encoded in batches of this many. */
const ROW_BATCH = 5_000;

/** Loads rows: each batch is encoded here, on this thread, by the loader's encoder (see loadFactBatches). */
export function loadFacts(db: Database, target: FactLoadTarget, rows: FactRowSource): Promise<FactLoadResult> {
  return loadFactBatches(db, target, encodeEach(rows));
}

async function* encodeEach(rows: FactRowSource): AsyncGenerator<FactBatch> {
  let single: FactRow[] = [];
  for await (const item of rows as AsyncIterable<FactRow | readonly FactRow[]>) {
    if (!Array.isArray(item)) {
      single.push(item as FactRow);
      if (single.length < ROW_BATCH) continue;
    } else if (single.length === 0) {
      yield encodeFacts(item as readonly FactRow[]);
      continue;
    }
    // single rows keep their order against the batches around them
    yield encodeFacts(single);
    single = [];
    if (Array.isArray(item)) yield encodeFacts(item as readonly FactRow[]);
  }
  if (single.length > 0) yield encodeFacts(single);
}

/** The loader's columns of every line: what the target decides, and the line break. */
function loadColumns(target: FactLoadTarget): Buffer {
  const job = target.extractionJobId ?? '\\N';
  const { organizationId: org, projectId: project, dataSourceId: source } = target;
  return Buffer.from(`\t${org}\t${project}\t${source}\t${copyText(target.platform)}\t${job}\n`);
}

/** Lets the event loop take in socket reads (a month's keys) between batches that arrive synchronously. */
const turn = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * The loader: upserts batches of its encoder's rows for one data source (see the top of this file), in one
 * transaction. Returns what it read, inserted, updated and left unchanged, and the restatements.
 */
export async function loadFactBatches(
  db: Database,
  target: FactLoadTarget,
  batches: FactBatchSource,
): Promise<FactLoadResult> {
  // One pooled connection a load, never two: loads that each held one connection while waiting for a second
  // could exhaust a shared pool and wait on each other (the local runner runs every worker in one process).
  const client = await db.pool.connect();
  const conn = new LoadConnection(client);
  const ctx = contextStatements({ role: 'loader', orgId: target.organizationId });
  let failed: unknown = null;
  try {
    // A window's months get their partitions first, each in a transaction of its own: creating one inside
    // the load would hold its locks (on the default partition) until the load commits.
    if (target.window)
      await ensureMonthPartitions(client, ctx, 'extracted_data', target.window.start, target.window.end);
    await client.query('BEGIN');
    await client.query(ctx.text, ctx.values);
    const declared = await lockLoad(client, target);
    const partitionMonths = new Set(
      (
        await client.query<{ m: string }>(
          `SELECT to_char(m, 'YYYY-MM') AS m FROM tributary_partition_months('extracted_data') AS m`,
        )
      ).rows.map((r) => r.m),
    );

    const columns = loadColumns(target);
    const writer = new CopyWriter(conn, columns);
    const staged = new StagedUpdates(conn, randomUUID(), columns);
    const keys = new MonthKeyIndex(conn, {
      dataSourceId: target.dataSourceId,
      window: declared,
      hasPartition: (month) => partitionMonths.has(month),
      // Only a load without a window gets here (a window's partitions exist by now). The month's partition
      // is created on a second connection, in a transaction of its own, and only for that moment; the COPY
      // ends first, and its next one sees the new partition.
      prepareMonth: async (month) => {
        await writer.finish();
        const other = await db.pool.connect();
        try {
          await ensureMonthPartitions(other, ctx, 'extracted_data', `${month}-01`, `${month}-01`);
        } finally {
          other.release();
        }
        partitionMonths.add(month);
      },
    });
    // A declared window's months are read before its first row: the rows are usually still on their way
    // from the platform, and the COPY of new rows then runs to the end without pausing at a month's edge.
    if (declared) await keys.readAhead(declared.start.slice(0, 7), declared.end.slice(0, 7));

    let read = 0;
    let inserted = 0;
    let unchanged = 0;
    /** a declared window holds every row: one outside it fails the load */
    const assertInWindow = (dataType: string, date: string) => {
      if (declared && (dataType !== declared.dataType || date < declared.start || date > declared.end)) {
        const window = `${declared.dataType}, ${declared.start}..${declared.end}`;
        const message = `row ${read + 1}: ${dataType} on ${date} is outside this load's window (${window})`;
        throw new FactLoadError(message, read + 1);
      }
    };

    for await (const batch of batches as AsyncIterable<FactBatch>) {
      await turn();
      const { hashes } = batch;
      let i = 0;
      for (const run of batch.runs) {
        assertInWindow(run.dataType, run.date);
        let scope = keys.scope(run.dataType, run.date);
        if (typeof scope !== 'number') scope = await scope;
        else if (conn.busy) await turn();
        for (; i < run.end; i++) {
          read++;
          const fate = keys.classify(scope, hashes, i);
          if (fate === RowFate.Unchanged) {
            unchanged++;
            continue;
          }
          try {
            // only rows that must be sent get their text built (and their numbers checked)
            const wait = fate === RowFate.New ? writer.append(batch, i) : staged.stage(batch, i);
            if (fate === RowFate.New) inserted++;
            if (wait) await wait;
          } catch (err) {
            throw err instanceof FactRowError ? new FactLoadError(`row ${read}: ${err.message}`, read) : err;
          }
        }
      }
      if (batch.failure !== undefined) throw new FactLoadError(`row ${read + 1}: ${batch.failure}`, read + 1);
    }
    await writer.finish();
    const restatements = await staged.apply(target.dataSourceId);
    await conn.idle(); // a month read ahead that no row came from
    const updated = restatements.reduce((n, r) => n + r.rowsChanged, 0);
    await client.query('COMMIT');
    return { read, inserted, updated, unchanged, restatements };
  } catch (err) {
    failed = err;
    throw err;
  } finally {
    if (failed) {
      // A failure may leave the connection mid-COPY: abandon it (the server rolls the load back, staged rows
      // included) rather than try to bring it back to a clean state.
      conn.abort(failed instanceof Error ? failed : new Error(String(failed)));
      client.release(true);
    } else {
      client.release();
    }
  }
}

/**
 * Takes the load's transaction-scoped advisory locks and returns the window rows are held to, if any.
 *
 * Without a window: one exclusive lock on the data source. With one: a shared lock on the data source (so
 * it still excludes loads without a window) and then one exclusive lock per (data type, day), taken in day
 * order by every loader, which rules out deadlocks: the windows of one run load side by side, and
 * overlapping ones queue.
 */
async function lockLoad(main: pg.PoolClient, target: FactLoadTarget): Promise<FactLoadWindow | null> {
  const w = target.window;
  if (w && (!DATE.test(w.start) || !DATE.test(w.end) || w.end < w.start)) {
    throw new FactLoadError(`invalid load window ${w.start}..${w.end}`, 0);
  }
  const days = w ? (Date.parse(w.end) - Date.parse(w.start)) / 86_400_000 + 1 : Infinity;
  // The data source row itself, until commit: its deletion (whose trigger removes its facts) waits for this
  // load instead of running beside it and leaving the load's rows behind as orphans that still count.
  const source = await main.query('SELECT 1 FROM data_sources WHERE id = $1 FOR KEY SHARE', [target.dataSourceId]);
  if (!source.rowCount) throw new FactLoadError(`data source ${target.dataSourceId} no longer exists`, 0);
  if (!w || days > MAX_WINDOW_LOCK_DAYS) {
    await main.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 7))', [target.dataSourceId]);
    return w ?? null;
  }
  await main.query('SELECT pg_advisory_xact_lock_shared(hashtextextended($1, 7))', [target.dataSourceId]);
  await main.query(
    `SELECT count(pg_advisory_xact_lock(hashtextextended($1 || '|' || $2 || '|' || d::text, 7)))
     FROM (SELECT d::date AS d FROM generate_series($3::date, $4::date, interval '1 day') AS d ORDER BY 1) AS days`,
    [target.dataSourceId, w.dataType, w.start, w.end],
  );
  return w;
}
