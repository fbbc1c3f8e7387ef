// The fact loader: the one function every writer of facts uses. It takes a stream of normalized rows for
// one data source and upserts them on the natural key (data_source_id, data_type, data_date, row_key):
//
//   new rows        -> streamed with COPY straight into extracted_data (no staging, no second pass)
//   changed rows    -> COPY into fact_load_staging, then one set-based UPDATE at the end
//   unchanged rows  -> recognised in memory and never sent to the database
//
// Rows come as FactRow objects, or as batches another thread already hashed and wrote as COPY text
// (encoded-facts.ts: the extract worker's page encoder); either way each row is classified the same.
//
// It can tell the three apart before sending anything because it first reads, month by month, the
// (row_key, content_hash) pairs the data source already has, into a compact in-memory index. That read is
// ~16 bytes a row, against ~200 bytes a row to send a fact, which is what makes an unchanged re-load cheap.
//
// Everything happens in one transaction holding advisory locks: a load is all or nothing (a worker that dies
// mid-load leaves no half-written window), and two loads of the same days of one source never race (a load
// that declares its window locks those days only, so a run's windows load side by side; see lockLoad).
// Nothing depends on session state, so it runs through RDS Proxy without pinning: the role and context are
// SET LOCAL, the locks are transaction-scoped, and staging is a regular unlogged table keyed by load id,
// written inside the load's transaction on its one connection.
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import type pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import type { Database } from '../db/database';
import { contextStatements } from '../db/database';
import type { FactRow } from '../domain/fact-row';
import { DATE, FACT_COPY_COLUMNS, FactRowError, copyText, factLine, hashFactRowKeys, type FactRowHashes } from './row-hash';
import { KeyIndex, SlotState } from './key-index';
import { isEncodedFacts, type EncodedFacts } from './encoded-facts';

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

export interface RestatementDelta {
  date: string;
  dataType: string;
  rowsChanged: number;
  impressionsDelta: string;
  clicksDelta: string;
  costDelta: string;
  conversionsDelta: string;
  revenueDelta: string;
}

export interface FactLoadResult {
  read: number;
  inserted: number;
  updated: number;
  unchanged: number;
  /** how much restated numbers moved, per day and data type (rows that existed before this load) */
  restatements: RestatementDelta[];
}

/** Rows one at a time or in batches, or batches encoded on another thread (see encoded-facts.ts). */
export type FactRowSource = AsyncIterable<FactRow | readonly FactRow[] | EncodedFacts> | Iterable<FactRow | readonly FactRow[] | EncodedFacts>;

export class FactLoadError extends Error {
  constructor(message: string, readonly rowNumber: number, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** A window longer than this locks the whole data source instead of one lock per day. */
const MAX_WINDOW_LOCK_DAYS = 62;

/** Rows are sent to the database in chunks of about this many bytes. */
const WRITE_CHUNK_BYTES = 256 * 1024;
/** Changed rows are staged in batches of this many. */
const STAGE_BATCH_ROWS = 5_000;

const COPY_COLUMN_LIST = FACT_COPY_COLUMNS.join(', ');

/** What follows every COPY line of a load: the columns its target decides, and the line break. */
export function factLineSuffix(target: FactLoadTarget): string {
  return `\t${target.organizationId}\t${target.projectId}\t${target.dataSourceId}\t${copyText(target.platform)}\t${target.extractionJobId ?? '\\N'}\n`;
}

export async function loadFacts(db: Database, target: FactLoadTarget, rows: FactRowSource): Promise<FactLoadResult> {
  // One pooled connection a load, never two: loads that each held one connection while waiting for a second
  // could exhaust a shared pool and wait on each other (the local runner runs every worker in one process).
  const main = await db.pool.connect();
  const loadId = randomUUID();
  const suffix = factLineSuffix(target);
  const ctx = contextStatements({ role: 'loader', orgId: target.organizationId });
  let failed: unknown = null;
  let activeCopy: CopyStream | null = null;
  try {
    // A window's months get their partitions first, each in a transaction of its own: creating one inside
    // the load would hold its locks (on the default partition) until the load commits.
    if (target.window) await ensurePartitions(main, ctx, target.window.start, target.window.end);
    await main.query('BEGIN');
    await main.query(ctx.text, ctx.values);
    const declared = await lockLoad(main, target);
    const partitionMonths = new Set(
      (await main.query<{ m: string }>(`SELECT to_char(m, 'YYYY-MM') AS m FROM tributary_partition_months('extracted_data') AS m`)).rows.map((r) => r.m),
    );

    const index = new KeyIndex();
    // A scope is one (data type, day): row keys are unique within it. Rows arrive grouped by day, so the
    // last scope is remembered and the map is consulted only when the day or data type changes.
    const scopes = new Map<string, number>();
    let lastScopeType = '';
    let lastScopeDate = '';
    let lastScope = -1;
    const scopeId = (dataType: string, date: string) => {
      if (date === lastScopeDate && dataType === lastScopeType) return lastScope;
      const k = `${dataType}\u0000${date}`;
      let id = scopes.get(k);
      if (id === undefined) scopes.set(k, (id = scopes.size));
      lastScopeType = dataType;
      lastScopeDate = date;
      return (lastScope = id);
    };
    const prefetchedMonths = new Set<string>();

    // Reads what this data source already has for a month: per day and data type, one bytea of
    // (row_key, content_hash) pairs, 16 bytes a row, read straight into the index: no per-row JS objects.
    const prefetchMonth = async (month: string) => {
      // a load with a window needs only its own days of the month, of its one data type
      const res = await main.query({
        text: `SELECT data_type, data_date::text, string_agg(int8send(row_key) || int8send(content_hash), ''::bytea)
               FROM extracted_data
               WHERE data_source_id = $1 AND data_date >= $2::date AND data_date < ($2::date + interval '1 month')
                 AND ($3::text IS NULL OR (data_type = $3 AND data_date BETWEEN $4::date AND $5::date))
               GROUP BY data_type, data_date`,
        values: [target.dataSourceId, `${month}-01`, declared?.dataType ?? null, declared?.start ?? null, declared?.end ?? null],
        rowMode: 'array',
      });
      index.reserve((res.rows as [string, string, Buffer][]).reduce((n, row) => n + row[2].length / 16, 0));
      for (const [dataType, date, pairs] of res.rows as [string, string, Buffer][]) {
        const scope = scopeId(dataType, date);
        for (let o = 0; o < pairs.length; o += 16) {
          index.set(scope, pairs.readUInt32BE(o), pairs.readUInt32BE(o + 4), pairs.readUInt32BE(o + 8), pairs.readUInt32BE(o + 12), SlotState.Existing);
        }
      }
    };

    // A load without a window meets a month with no partition: it is created on a second connection, in a
    // transaction of its own, and only for that moment.
    const ensurePartition = async (month: string) => {
      await finishCopy();
      const other = await db.pool.connect();
      try {
        await ensurePartitions(other, ctx, `${month}-01`, `${month}-01`);
      } finally {
        other.release();
      }
    };

    // Changed rows are staged in batches, on the load's own connection and inside its transaction (so a
    // failed load leaves none behind); the insert COPY pauses for each batch and resumes with the next new row.
    let staged: string[] = [];
    let seq = 0;
    const flushStaged = async () => {
      if (staged.length === 0) return;
      await finishCopy();
      await connectionFree();
      const batch = staged;
      staged = [];
      const stream = main.query(copyFrom(`COPY fact_load_staging (load_id, seq, ${COPY_COLUMN_LIST}) FROM STDIN`));
      activeCopy = stream;
      await writeAll(stream, batch.join(''));
      activeCopy = null;
    };

    // New rows are buffered as COPY text and sent in chunks; the COPY starts with the first chunk, once the
    // connection is free (a month's prefetch may be in flight on it: a connection runs one statement at a time).
    // Each row is encoded straight into the chunk's bytes: a chunk's rows concatenated into one string and
    // then encoded cost several times more (and more again once a name holds a character beyond Latin-1).
    let copy: CopyStream | null = null;
    const suffixBytes = Buffer.from(suffix);
    let chunk = Buffer.allocUnsafe(WRITE_CHUNK_BYTES);
    let chunkUsed = 0;
    /** a UTF-16 unit is at most 3 bytes of UTF-8 */
    const fits = (line: string) => chunkUsed + line.length * 3 + suffixBytes.length <= chunk.length;
    const appendLine = (line: string) => {
      // a row longer than a chunk (huge extras) gets a chunk of its own size; the chunk is empty by now
      if (!fits(line)) chunk = Buffer.allocUnsafe(line.length * 3 + suffixBytes.length);
      chunkUsed += chunk.write(line, chunkUsed);
      chunkUsed += suffixBytes.copy(chunk, chunkUsed);
    };
    /** a line already encoded, suffix included (an encoded batch's); oversized as in appendLine */
    const appendBytes = (from: Buffer, start: number, end: number) => {
      if (chunkUsed + end - start > chunk.length) chunk = Buffer.allocUnsafe(end - start);
      chunkUsed += from.copy(chunk, chunkUsed, start, end);
    };
    /** the buffered bytes; the stream keeps them until sent, so the next rows go to a new chunk */
    const takeChunk = () => {
      const full = chunk.subarray(0, chunkUsed);
      chunk = Buffer.allocUnsafe(WRITE_CHUNK_BYTES);
      chunkUsed = 0;
      return full;
    };
    const startCopy = async () => {
      await connectionFree();
      copy = activeCopy = main.query(copyFrom(`COPY extracted_data (${COPY_COLUMN_LIST}) FROM STDIN`));
      // keep a COPY error from surfacing as an unhandled 'error' event; finishCopy reports it
      copy.on('error', () => {});
    };
    const writePending = async () => {
      if (!copy) await startCopy();
      const ok = copy!.write(takeChunk());
      if (!ok) await once(copy!, 'drain');
    };
    const finishCopy = async () => {
      if (!copy && chunkUsed > 0) await startCopy();
      if (!copy) return;
      const stream = copy;
      copy = null;
      if (chunkUsed > 0) stream.write(takeChunk());
      stream.end();
      await onceFinished(stream);
      activeCopy = null;
    };

    let read = 0;
    let inserted = 0;
    let unchanged = 0;
    let stagedRows = 0;

    // One prefetch a month, started at most once; the next month's is started ahead (see prepareMonth).
    // `lastPrefetch` is what a statement on the connection must wait for.
    const prefetches = new Map<string, Promise<void>>();
    let lastPrefetch: Promise<unknown> = Promise.resolve();
    const connectionFree = () => lastPrefetch;
    const prefetch = (month: string) => {
      let p = prefetches.get(month);
      if (!p) {
        p = lastPrefetch.then(() => prefetchMonth(month));
        lastPrefetch = p.catch(() => {}); // a failure is reported where the month's rows await it
        prefetches.set(month, p);
      }
      return p;
    };

    // Only a load without a window gets here: a declared window's months are all read before its first row.
    const prepareMonth = async (month: string) => {
      // A month we have not seen: make sure its partition exists (COPY must restart to see a new one),
      // then read what the source already has for it. The read waits for an active COPY to end (one
      // connection runs one statement at a time), so that COPY is ended first.
      if (!partitionMonths.has(month)) {
        await ensurePartition(month);
        partitionMonths.add(month);
      }
      await finishCopy();
      await prefetch(month);
      prefetchedMonths.add(month);
      // Rows come month by month: the next month's keys are read now, while this month's rows are
      // classified (the connection is idle meanwhile; a COPY of new rows starts once the read is done).
      // Only a month that has its partition: a read of one without would scan the default partition and
      // hold a lock on it that creating the partition (on another connection) must wait for.
      const next = nextMonth(month);
      if (partitionMonths.has(next)) void prefetch(next);
    };

    /** a declared window holds every row: one outside it fails the load */
    const assertInWindow = (dataType: string, date: string) => {
      if (declared && (dataType !== declared.dataType || date < declared.start || date > declared.end)) {
        throw new FactLoadError(`row ${read + 1}: ${dataType} on ${date} is outside this load's window (${declared.dataType}, ${declared.start}..${declared.end})`, read + 1);
      }
    };
    /** a changed row's line (suffix included) joins the staged batch; a full batch is flushed */
    const stage = (line: string): Promise<void> | undefined => {
      staged.push(`${loadId}\t${seq++}\t${line}`);
      stagedRows++;
      return staged.length >= STAGE_BATCH_ROWS ? flushStaged() : undefined;
    };

    const rowError = (err: unknown, rowNumber: number) =>
      err instanceof FactRowError ? new FactLoadError(`row ${rowNumber}: ${err.message}`, rowNumber) : err;
    let lastMonthDate = '';

    // Returns a promise only when the row must wait (a new month, a full socket buffer, a staging batch
    // in flight); most rows complete synchronously, which saves a microtask per row.
    const handle = (row: FactRow, hashes: FactRowHashes | null): Promise<void> | undefined => {
      let h = hashes;
      if (h === null) {
        try {
          h = hashFactRowKeys(row);
        } catch (err) {
          throw rowError(err, read + 1);
        }
      }
      assertInWindow(row.dataType, row.date);
      if (row.date !== lastMonthDate) {
        const month = row.date.slice(0, 7);
        if (!prefetchedMonths.has(month)) {
          const hashed = h;
          return prepareMonth(month).then(() => handle(row, hashed));
        }
        lastMonthDate = row.date;
      }
      read++;
      const scope = scopeId(row.dataType, row.date);
      const state = index.lookup(scope, h.keyHi, h.keyLo);
      if (state !== SlotState.Empty && index.lastHi === h.contentHi && index.lastLo === h.contentLo) {
        unchanged++;
        return undefined;
      }
      // only rows that must be sent get their text built (and their numbers checked)
      let line: string;
      try {
        line = factLine(row, h);
      } catch (err) {
        throw rowError(err, read);
      }
      index.setLast(scope, h.keyHi, h.keyLo, h.contentHi, h.contentLo, state === SlotState.Empty ? SlotState.Inserted : state);
      if (state === SlotState.Empty) {
        inserted++;
        if (chunkUsed > 0 && !fits(line)) return writePending().then(() => appendLine(line));
        appendLine(line);
        return undefined;
      }
      return stage(line + suffix);
    };

    // A declared window's months are read before its first row (its partitions exist by now): the rows
    // are usually still on their way from the platform, and the COPY of new rows then runs to the end
    // without pausing at a month's edge to read the next month.
    if (declared) {
      for (let month = declared.start.slice(0, 7); month <= declared.end.slice(0, 7); month = nextMonth(month)) {
        if (!partitionMonths.has(month)) continue;
        await prefetch(month);
        prefetchedMonths.add(month);
      }
    }

    // A batch encoded on another thread: hashed and written already, so only the lookups are left. Its rows
    // come in runs of one (data type, day), and the window, month and scope are settled once a run.
    const loadEncoded = async (batch: EncodedFacts) => {
      if (batch.suffix !== suffix) throw new Error('encoded rows were written for another load (their suffix differs)');
      const lines = Buffer.from(batch.lines.buffer, batch.lines.byteOffset, batch.lines.byteLength);
      const { hashes, lineEnds } = batch;
      let i = 0;
      for (const run of batch.runs) {
        assertInWindow(run.dataType, run.date);
        if (run.date !== lastMonthDate) {
          const month = run.date.slice(0, 7);
          if (!prefetchedMonths.has(month)) await prepareMonth(month);
          lastMonthDate = run.date;
        }
        const scope = scopeId(run.dataType, run.date);
        for (; i < run.end; i++) {
          read++;
          const kh = hashes[i * 4]!;
          const kl = hashes[i * 4 + 1]!;
          const ch = hashes[i * 4 + 2]!;
          const cl = hashes[i * 4 + 3]!;
          const state = index.lookup(scope, kh, kl);
          if (state !== SlotState.Empty && index.lastHi === ch && index.lastLo === cl) {
            unchanged++;
            continue;
          }
          index.setLast(scope, kh, kl, ch, cl, state === SlotState.Empty ? SlotState.Inserted : state);
          const start = i === 0 ? 0 : lineEnds[i - 1]!;
          const end = lineEnds[i]!;
          if (state === SlotState.Empty) {
            inserted++;
            if (chunkUsed > 0 && chunkUsed + end - start > chunk.length) await writePending();
            appendBytes(lines, start, end);
          } else {
            const wait = stage(lines.toString('utf8', start, end));
            if (wait) await wait;
          }
        }
      }
      if (batch.failure !== undefined) throw new FactLoadError(`row ${read + 1}: ${batch.failure}`, read + 1);
    };

    for await (const item of rows as AsyncIterable<FactRow | readonly FactRow[] | EncodedFacts>) {
      if (isEncodedFacts(item)) {
        await loadEncoded(item);
      } else if (Array.isArray(item)) {
        for (const row of item as readonly FactRow[]) {
          const wait = handle(row, null);
          if (wait) await wait;
        }
      } else {
        const wait = handle(item as FactRow, null);
        if (wait) await wait;
      }
    }
    await finishCopy();
    await flushStaged();
    await connectionFree(); // a prefetch started ahead for a month no row came from

    let updated = 0;
    let restatements: RestatementDelta[] = [];
    if (stagedRows > 0) {
      const res = await main.query(APPLY_STAGED_SQL, [loadId, target.dataSourceId]);
      restatements = res.rows.map((r) => ({
        date: r.data_date,
        dataType: r.data_type,
        rowsChanged: Number(r.rows_changed),
        impressionsDelta: r.impressions_delta,
        clicksDelta: r.clicks_delta,
        costDelta: r.cost_delta,
        conversionsDelta: r.conversions_delta,
        revenueDelta: r.revenue_delta,
      }));
      updated = restatements.reduce((n, r) => n + r.rowsChanged, 0);
      await main.query('DELETE FROM fact_load_staging WHERE load_id = $1', [loadId]);
    }
    await main.query('COMMIT');
    return { read, inserted, updated, unchanged, restatements };
  } catch (err) {
    failed = err;
    throw err;
  } finally {
    if (failed) {
      // A failure may leave the connection mid-COPY: abandon it (the server rolls the load back, staged rows
      // included) rather than try to bring it back to a clean state.
      // (assigned inside closures, so TypeScript's narrowing cannot see it)
      (activeCopy as CopyStream | null)?.destroy(failed instanceof Error ? failed : new Error(String(failed)));
      main.release(true);
    } else {
      main.release();
    }
  }
}

/** 'YYYY-MM' of the month after `month` ('YYYY-MM'). */
function nextMonth(month: string): string {
  const y = Number(month.slice(0, 4));
  const m = Number(month.slice(5, 7));
  return m === 12 ? `${y + 1}-01` : `${y}-${String(m + 1).padStart(2, '0')}`;
}

/**
 * Creates the monthly partitions of [from, to] that are missing, in a transaction of their own. Two loads
 * that meet the same new month at once race to create it: the loser (duplicate table, or the catalog's
 * unique index) tries again and finds it there.
 */
async function ensurePartitions(client: pg.PoolClient, ctx: { text: string; values: unknown[] }, from: string, to: string): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    await client.query('BEGIN');
    try {
      await client.query(ctx.text, ctx.values);
      await client.query(`SELECT tributary_ensure_month_partitions('extracted_data', $1::date, $2::date)`, [from, to]);
      await client.query('COMMIT');
      return;
    } catch (err) {
      await client.query('ROLLBACK').catch(() => {});
      const code = (err as { code?: string }).code;
      if (attempt >= 5 || (code !== '42P07' && code !== '23505' && code !== '40P01')) throw err;
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
  if (w && (!DATE.test(w.start) || !DATE.test(w.end) || w.end < w.start)) throw new FactLoadError(`invalid load window ${w.start}..${w.end}`, 0);
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

/**
 * Applies a load's staged rows. Within one load the last version of a key wins (DISTINCT ON ... seq DESC).
 * The `before` CTE sees the table as it was before the UPDATE (all CTEs share one snapshot), which gives
 * the restatement deltas without a second pass.
 */
const APPLY_STAGED_SQL = `
WITH staged AS (
  SELECT DISTINCT ON (data_type, data_date, row_key) *
  FROM fact_load_staging WHERE load_id = $1
  ORDER BY data_type, data_date, row_key, seq DESC
),
before AS (
  SELECT t.data_type, t.data_date, t.row_key, t.impressions, t.clicks, t.cost, t.conversions, t.revenue
  FROM extracted_data t JOIN staged s
    ON t.data_source_id = $2 AND t.data_type = s.data_type AND t.data_date = s.data_date AND t.row_key = s.row_key
  WHERE t.content_hash <> s.content_hash
),
updated AS (
  UPDATE extracted_data t SET
    account_name = s.account_name, campaign_name = s.campaign_name, ad_group_name = s.ad_group_name, ad_name = s.ad_name,
    impressions = s.impressions, clicks = s.clicks, cost = s.cost, conversions = s.conversions, revenue = s.revenue,
    currency = s.currency, extra_metrics = s.extra_metrics, content_hash = s.content_hash,
    extraction_job_id = s.extraction_job_id, updated_at = now()
  FROM staged s
  WHERE t.data_source_id = $2 AND t.data_type = s.data_type AND t.data_date = s.data_date AND t.row_key = s.row_key
    AND t.content_hash <> s.content_hash
  RETURNING t.data_type, t.data_date, t.row_key, t.impressions, t.clicks, t.cost, t.conversions, t.revenue
)
SELECT u.data_date::text AS data_date, u.data_type, count(*) AS rows_changed,
       coalesce(sum(coalesce(u.impressions, 0) - coalesce(b.impressions, 0)), 0)::text AS impressions_delta,
       coalesce(sum(coalesce(u.clicks, 0) - coalesce(b.clicks, 0)), 0)::text AS clicks_delta,
       coalesce(sum(coalesce(u.cost, 0) - coalesce(b.cost, 0)), 0)::text AS cost_delta,
       coalesce(sum(coalesce(u.conversions, 0) - coalesce(b.conversions, 0)), 0)::text AS conversions_delta,
       coalesce(sum(coalesce(u.revenue, 0) - coalesce(b.revenue, 0)), 0)::text AS revenue_delta
FROM updated u JOIN before b USING (data_type, data_date, row_key)
GROUP BY u.data_date, u.data_type
ORDER BY u.data_date, u.data_type`;

type CopyStream = ReturnType<typeof copyFrom>;

async function writeAll(stream: CopyStream, data: string): Promise<void> {
  stream.on('error', () => {});
  stream.end(data);
  await onceFinished(stream);
}

function onceFinished(stream: CopyStream): Promise<void> {
  return new Promise((resolve, reject) => {
    stream.once('finish', () => resolve());
    stream.once('error', reject);
  });
}
