// What every output format implements: a header, batches of rows as pg returns them (array mode, in the
// order of `columns`), and an end. Writers write to a Node Writable and wait for it to drain, so a slow
// client slows the database cursor down instead of growing memory.
import { once } from 'node:events';
import type { Writable } from 'node:stream';
import type { OutputColumn } from '../query-builder';

/** One row as pg gives it in array mode: numeric as string (every digit kept), date as YYYY-MM-DD, text, or null. */
export type RawRow = readonly (string | number | null)[];

export interface ResultMeta {
  project_id: string;
  date_range: { start_date: string; end_date: string };
  aggregation: string;
  currency: string;
  /** which exchange rates converted the money, per original currency */
  fx_rates_used: {
    currency: string;
    source: string;
    method: string;
    rate_date: string;
    first_date: string;
    last_date: string;
    days: number;
  }[];
  /** dates are the account's reporting dates, in its own time zone, as the platform gives them */
  time_zone_note: string;
  generated_at: string;
  /** where the sources stand and what the platforms restated (webhooks: freshness.ts) */
  about?: AboutData;
}

export interface AboutData {
  as_of: string | null;
  oldest_complete_day: string | null;
  sources: {
    name: string;
    platform: string;
    account: string | null;
    last_complete_day: string | null;
    last_successful_run: string | null;
    status: string;
    stale: boolean;
  }[];
  /** the previous download of this URL's endpoint with the same key, if any */
  restatements_since: string | null;
  restatements: {
    date: string;
    report: string;
    metric: string;
    delta: string;
    rows_changed: number;
    source: string;
    run_completed_at: string | null;
  }[];
}

export interface EndInfo {
  rowCount: number;
  nextCursor?: string | null;
}

export interface RowWriter {
  readonly contentType: string;
  readonly fileExtension: string;
  start(): Promise<void>;
  writeRows(rows: readonly RawRow[]): Promise<void>;
  end(info: EndInfo): Promise<void>;
}

export interface WriterOptions {
  columns: readonly OutputColumn[];
  meta: ResultMeta;
  /** CSV/TSV: start with a UTF-8 byte order mark so Excel reads the file as UTF-8 */
  bom?: boolean;
}

/** Writes and, when the stream's buffer is full, waits for it to drain. */
export async function writeChunk(out: Writable, chunk: string | Buffer): Promise<void> {
  if (!out.write(chunk)) await drained(out);
}

export async function drained(out: Writable): Promise<void> {
  if (!out.writableNeedDrain) return;
  if (out.destroyed) throw new Error('client went away');
  // the wait that loses the race is taken off again: left on, each drain of a long export added its listeners
  const settled = new AbortController();
  try {
    await Promise.race([
      once(out, 'drain', { signal: settled.signal }),
      once(out, 'close', { signal: settled.signal }).then(() => {
        throw new Error('client went away');
      }),
    ]);
  } finally {
    settled.abort();
  }
}

export async function endStream(out: Writable): Promise<void> {
  if (out.writableFinished) return;
  const finished = once(out, 'finish');
  out.end();
  await finished;
}

export const BOM = '\uFEFF';
