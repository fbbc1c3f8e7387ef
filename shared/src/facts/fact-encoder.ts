// The fact loader's encoder: the one way rows reach the loader. A batch holds, per row, its two 64-bit hashes
// (row-hash.ts) and its COPY text, in runs of one (data type, day). The text format belongs to the loader:
// callers hand batches on and never read or write COPY text themselves.
//
// Two encodings of the same batch, so that each row's text is written once and only where it pays:
//   encodeFacts          on the loading thread: hashes now, text only for the rows the loader sends (an
//                        unchanged row, recognised by its content hash, never gets its text built);
//   encodeFactsToTransfer on another thread (the extract worker's page encoder): hashes and text of every row
//                        into typed arrays, which cross the thread boundary by transfer, not by a per-row clone;
//                        the receiving thread turns them back into a batch with receiveFactBatch.
// A batch's lines carry no load: the columns a load decides (organization, project, data source, platform,
// job) are added by the loader as it sends each line.
import type { FactRow } from '../domain/fact-row';
import { FactRowError, factLineOf, hashFactRowInto } from './row-hash';

/** Rows of one data type and day: they end (exclusive) at row `end` of the batch. */
export interface FactRun {
  dataType: string;
  date: string;
  end: number;
}

export interface FactBatch {
  /** rows encoded; a failure, if any, is at row `count` */
  readonly count: number;
  /** four per row: key hash hi, lo, content hash hi, lo (unsigned 32-bit halves) */
  readonly hashes: Uint32Array;
  readonly runs: readonly FactRun[];
  /** why row `count` could not be encoded (FactRowError's message) */
  readonly failure?: string;
  /**
   * Writes row i's COPY text (UTF-8, without the load's columns or a line break) into out[at, end) and
   * returns where it ends; when it does not fit, writes nothing and returns minus the bytes it needs.
   * Throws FactRowError for a row whose numbers are not numbers (checked when the text is first built).
   */
  writeLine(i: number, out: Buffer, at: number, end: number): number;
  /** row i's COPY text, for tests and diagnostics */
  line(i: number): string;
}

/** What encodeFactsToTransfer makes: plain data and typed arrays, for postMessage. */
export interface FactBatchTransfer {
  count: number;
  hashes: Uint32Array;
  runs: FactRun[];
  failure?: string;
  /** every row's text, UTF-8, back to back */
  lines: Uint8Array;
  /** per row, where its text ends in `lines` (it starts where the previous one ends) */
  lineEnds: Uint32Array;
}

/** Hashes a batch's rows and keeps its rows: their text is written when the loader sends them. */
export function encodeFacts(rows: readonly FactRow[]): FactBatch {
  const hashed = hashRows(rows);
  return new RowBatch(rows, hashed.hashes, hashed.count, hashed.runs, hashed.failure);
}

/**
 * Hashes and writes every row. A row that fails its checks ends the batch: rows before it are encoded,
 * and `failure` says why.
 */
export function encodeFactsToTransfer(rows: readonly FactRow[]): FactBatchTransfer {
  const hashed = hashRows(rows);
  let { count, failure } = hashed;
  const { hashes } = hashed;
  const lineEnds = new Uint32Array(count);
  // a UTF-16 unit is at most 3 bytes of UTF-8; grown when a row does not fit
  let lines = Buffer.allocUnsafe(Math.max(1024, count * 320));
  let used = 0;
  for (let i = 0; i < count; i++) {
    let line: string;
    try {
      line = factLineOf(rows[i]!, hashes[i * 4]!, hashes[i * 4 + 1]!, hashes[i * 4 + 2]!, hashes[i * 4 + 3]!);
    } catch (err) {
      if (!(err instanceof FactRowError)) throw err;
      failure = err.message;
      count = i;
      break;
    }
    if (used + line.length * 3 > lines.length) {
      const grown = Buffer.allocUnsafe(Math.max(lines.length * 2, used + line.length * 3));
      lines.copy(grown, 0, 0, used);
      lines = grown;
    }
    used += lines.write(line, used);
    lineEnds[i] = used;
  }
  // a copy of the used part: the batch then owns a buffer of its own to transfer (allocUnsafe's may be pooled)
  const owned = new Uint8Array(used);
  owned.set(lines.subarray(0, used));
  return {
    count,
    hashes: count * 4 === hashes.length ? hashes : hashes.slice(0, count * 4),
    runs: cutRuns(hashed.runs, count),
    lines: owned,
    lineEnds: count === lineEnds.length ? lineEnds : lineEnds.slice(0, count),
    ...(failure !== undefined ? { failure } : {}),
  };
}

/** The buffers to transfer (not copy) when posting a batch to another thread. */
export function factBatchTransferList(batch: FactBatchTransfer): ArrayBuffer[] {
  return [batch.hashes.buffer as ArrayBuffer, batch.lines.buffer as ArrayBuffer, batch.lineEnds.buffer as ArrayBuffer];
}

/** A batch encoded on another thread, as the loader takes it. */
export function receiveFactBatch(data: FactBatchTransfer): FactBatch {
  return new TextBatch(data);
}

function hashRows(rows: readonly FactRow[]): { hashes: Uint32Array; count: number; runs: FactRun[]; failure?: string } {
  const hashes = new Uint32Array(rows.length * 4);
  const runs: FactRun[] = [];
  let count = 0;
  let failure: string | undefined;
  let last: FactRun | undefined;
  for (; count < rows.length; count++) {
    const row = rows[count]!;
    try {
      hashFactRowInto(row, hashes, count * 4);
    } catch (err) {
      if (!(err instanceof FactRowError)) throw err;
      failure = err.message;
      break;
    }
    if (last && last.date === row.date && last.dataType === row.dataType) last.end = count + 1;
    else runs.push((last = { dataType: row.dataType, date: row.date, end: count + 1 }));
  }
  return failure === undefined ? { hashes, count, runs } : { hashes, count, runs, failure };
}

/** the runs of the first `count` rows */
function cutRuns(runs: FactRun[], count: number): FactRun[] {
  const kept: FactRun[] = [];
  let start = 0;
  for (const run of runs) {
    if (start >= count) break;
    kept.push({ ...run, end: Math.min(run.end, count) });
    start = run.end;
  }
  return kept;
}

class RowBatch implements FactBatch {
  /** the last line built, kept for the retry after a full chunk */
  private lastIndex = -1;
  private lastLine = '';

  constructor(
    private readonly rows: readonly FactRow[],
    readonly hashes: Uint32Array,
    readonly count: number,
    readonly runs: readonly FactRun[],
    readonly failure?: string,
  ) {}

  line(i: number): string {
    if (i !== this.lastIndex) {
      const h = this.hashes;
      this.lastLine = factLineOf(this.rows[i]!, h[i * 4]!, h[i * 4 + 1]!, h[i * 4 + 2]!, h[i * 4 + 3]!);
      this.lastIndex = i;
    }
    return this.lastLine;
  }

  writeLine(i: number, out: Buffer, at: number, end: number): number {
    const line = this.line(i);
    // a UTF-16 unit is at most 3 bytes of UTF-8: the bound, not the exact length, decides (no second pass)
    if (at + line.length * 3 > end) return -(line.length * 3);
    return at + out.write(line, at);
  }
}

class TextBatch implements FactBatch {
  readonly count: number;
  readonly hashes: Uint32Array;
  readonly runs: readonly FactRun[];
  readonly failure?: string;
  private readonly lines: Buffer;
  private readonly lineEnds: Uint32Array;

  constructor(data: FactBatchTransfer) {
    this.count = data.count;
    this.hashes = data.hashes;
    this.runs = data.runs;
    if (data.failure !== undefined) this.failure = data.failure;
    this.lines = Buffer.from(data.lines.buffer, data.lines.byteOffset, data.lines.byteLength);
    this.lineEnds = data.lineEnds;
  }

  line(i: number): string {
    return this.lines.toString('utf8', i === 0 ? 0 : this.lineEnds[i - 1]!, this.lineEnds[i]!);
  }

  writeLine(i: number, out: Buffer, at: number, end: number): number {
    const start = i === 0 ? 0 : this.lineEnds[i - 1]!;
    const length = this.lineEnds[i]! - start;
    if (at + length > end) return -length;
    return at + this.lines.copy(out, at, start, start + length);
  }
}
