// Fact rows already hashed and written as COPY text, for a load that gets its rows from another thread.
// The fact loader spends most of its time on a row hashing it and writing its text; a batch encoded
// elsewhere (the extract worker's page encoder thread, see functions/src/pipeline/page-encoder.ts) leaves
// the loader's thread only the key-index lookups and the bytes to send. Everything in a batch is a typed
// array or a short list, so it crosses a thread boundary by transfer, not by a per-row clone.
import type { FactRow } from '../domain/fact-row';
import { FactRowError, factLine, hashFactRowKeys } from './row-hash';

export interface EncodedFacts {
  readonly kind: 'encoded_facts';
  /** rows encoded; a failure, if any, is at row `count` */
  count: number;
  /** four per row: key hash hi, lo, content hash hi, lo (unsigned 32-bit halves) */
  hashes: Uint32Array;
  /** the rows' COPY lines, UTF-8, each with the load's suffix (and so its line break) */
  lines: Uint8Array;
  /** per row, where its line ends in `lines` (it starts where the previous one ends) */
  lineEnds: Uint32Array;
  /** the suffix the lines were written with: the loader checks it is its own */
  suffix: string;
  /** rows come in runs of one data type and day: each run's data type, day and end row (exclusive) */
  runs: { dataType: string; date: string; end: number }[];
  /** the row that could not be encoded (at index `count`), as FactRowError said it */
  failure?: string;
}

export function isEncodedFacts(item: unknown): item is EncodedFacts {
  return typeof item === 'object' && item !== null && (item as { kind?: unknown }).kind === 'encoded_facts';
}

/** The buffers to transfer (not copy) when posting a batch to another thread. */
export function encodedFactsTransfer(batch: EncodedFacts): ArrayBuffer[] {
  return [batch.hashes.buffer as ArrayBuffer, batch.lines.buffer as ArrayBuffer, batch.lineEnds.buffer as ArrayBuffer];
}

/**
 * Hashes and writes rows as the fact loader would, each line followed by `suffix` (see factLineSuffix).
 * A row that fails its checks ends the batch: rows before it are encoded, and `failure` says why.
 */
export function encodeFactRows(rows: readonly FactRow[], suffix: string): EncodedFacts {
  const hashes = new Uint32Array(rows.length * 4);
  const lineEnds = new Uint32Array(rows.length);
  const runs: EncodedFacts['runs'] = [];
  const suffixBytes = Buffer.from(suffix);
  // a UTF-16 unit is at most 3 bytes of UTF-8; grown when a row does not fit
  let lines = Buffer.allocUnsafe(Math.max(1024, rows.length * 320));
  let used = 0;
  let count = 0;
  let failure: string | undefined;
  for (; count < rows.length; count++) {
    const row = rows[count]!;
    let line: string;
    try {
      const h = hashFactRowKeys(row);
      line = factLine(row, h);
      hashes[count * 4] = h.keyHi;
      hashes[count * 4 + 1] = h.keyLo;
      hashes[count * 4 + 2] = h.contentHi;
      hashes[count * 4 + 3] = h.contentLo;
    } catch (err) {
      if (!(err instanceof FactRowError)) throw err;
      failure = err.message;
      break;
    }
    const need = line.length * 3 + suffixBytes.length;
    if (used + need > lines.length) {
      const grown = Buffer.allocUnsafe(Math.max(lines.length * 2, used + need));
      lines.copy(grown, 0, 0, used);
      lines = grown;
    }
    used += lines.write(line, used);
    used += suffixBytes.copy(lines, used);
    lineEnds[count] = used;
    const last = runs[runs.length - 1];
    if (last && last.date === row.date && last.dataType === row.dataType) last.end = count + 1;
    else runs.push({ dataType: row.dataType, date: row.date, end: count + 1 });
  }
  // a copy of the used part: the batch then owns a buffer of its own to transfer (allocUnsafe's may be pooled)
  const owned = new Uint8Array(used);
  owned.set(lines.subarray(0, used));
  return { kind: 'encoded_facts', count, hashes, lines: owned, lineEnds, suffix, runs, ...(failure !== undefined ? { failure } : {}) };
}
