// The page encoder: turns a page's raw bytes into fact rows ready to load (parsed, normalized, and encoded
// by the fact loader's encoder: hashed and written as the loader sends them) on worker threads, so the extract worker's
// own thread is left with fetching,
// archiving and the fact loader's lookups and writes.
//
// Why: a window's work is bound by one JavaScript thread. Parsing a Google Ads batch (a few MB of JSON),
// normalizing and hashing it costs more than loading it, and the garbage of the parsed batch is collected
// on the same thread. With a core to spare (the laptop runner; a Lambda of 2+ vCPUs) that work moves to a
// thread and overlaps with the load of the page before. Only platforms whose raw bytes parse to their page
// body qualify (their connector declares normalizesRawBytes); other pages are normalized on the worker's thread.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { FatalConnectorError, type RecordMeta } from '@tributary/connectors/contract';
import { rawBytesNormalizer } from '@tributary/connectors/normalizers';
import type { Platform } from '@tributary/shared/domain/platform';
import { receiveFactBatch, type FactBatch, type FactBatchTransfer } from '@tributary/shared/facts/fact-encoder';

export interface PageEncoder {
  /** whether pages of this platform can be encoded from their raw bytes */
  supports(platform: Platform): boolean;
  /** the page's rows, encoded for the fact loader */
  encode(platform: Platform, raw: readonly Buffer[], meta: RecordMeta): Promise<FactBatch>;
  close(): Promise<void>;
}

export interface EncodeRequest {
  id: number;
  platform: Platform;
  raw: Uint8Array;
  meta: RecordMeta;
}

export type EncodeReply =
  | { id: number; batch: FactBatchTransfer; error?: undefined }
  | { id: number; batch?: undefined; error: { name: string; message: string } };

/** The thread's source, from the repository root, and the file infra bundles it to beside a Lambda's index.mjs. */
export const PAGE_ENCODER_THREAD_ENTRY = 'functions/src/pipeline/page-encoder.thread.ts';
export const PAGE_ENCODER_THREAD_BUNDLE = 'page-encoder.thread.mjs';

/**
 * The thread's entry: the bundled page-encoder.thread.mjs beside this module in a Lambda bundle (infra
 * builds it next to index.mjs), else the TypeScript source through a boot module that registers tsx.
 */
function threadEntry(): { file: URL; workerData?: { entry: string } } {
  const bundled = new URL(`./${PAGE_ENCODER_THREAD_BUNDLE}`, import.meta.url);
  if (existsSync(fileURLToPath(bundled))) return { file: bundled };
  return {
    file: new URL('./page-encoder.thread-boot.mjs', import.meta.url),
    workerData: { entry: new URL('./page-encoder.thread.ts', import.meta.url).href },
  };
}

/** the encoder thread's young generation, MB */
const YOUNG_GENERATION_MB = 96;

/**
 * An encoder thread died with pages queued (out of memory, terminated). Like a worker process that exits,
 * the window is retried: the state machine's Extract Retry names this class.
 */
export class PageEncoderThreadError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

interface Pending {
  resolve(batch: FactBatch): void;
  reject(err: Error): void;
  platform: Platform;
}

interface Lane {
  worker: Worker;
  pending: Map<number, Pending>;
}

/**
 * A pool of `threads` encoder threads, started on first use. A page goes to the thread with the fewest
 * pages queued. The threads are unref'd: an idle pool never keeps a process alive. A thread that dies
 * fails its queued pages (their windows are retried) and is replaced on the next page.
 */
export function createPageEncoder(threads: number): PageEncoder {
  if (!Number.isInteger(threads) || threads < 1)
    throw new Error(`a page encoder needs at least one thread, got ${threads}`);
  const lanes: (Lane | null)[] = Array.from({ length: threads }, () => null);
  let nextId = 1;

  const start = (slot: number): Lane => {
    const entry = threadEntry();
    // A page's parsed JSON and its rows (tens of MB for a 10,000-row batch) are garbage once it is encoded:
    // a young generation that holds them dies young instead of being copied and promoted page after page.
    const worker = new Worker(entry.file, {
      ...(entry.workerData ? { workerData: entry.workerData } : {}),
      resourceLimits: { maxYoungGenerationSizeMb: YOUNG_GENERATION_MB },
    });
    worker.unref();
    const lane: Lane = { worker, pending: new Map() };
    const failAll = (err: Error) => {
      if (lanes[slot] === lane) lanes[slot] = null;
      for (const p of lane.pending.values()) p.reject(err);
      lane.pending.clear();
    };
    worker.on('message', (reply: EncodeReply) => {
      const p = lane.pending.get(reply.id);
      if (!p) return;
      lane.pending.delete(reply.id);
      if (lane.pending.size === 0) worker.unref();
      if (reply.batch) return p.resolve(receiveFactBatch(reply.batch));
      // what normalize says of a page it cannot read, and a page that is not JSON, are the connector's
      // "malformed page": retrying the same bytes cannot help
      const { name, message } = reply.error;
      p.reject(
        name === 'FatalConnectorError' || name === 'SyntaxError'
          ? new FatalConnectorError(name === 'SyntaxError' ? `page is not valid JSON: ${message}` : message, p.platform)
          : new Error(message),
      );
    });
    worker.on('error', (err) =>
      failAll(new PageEncoderThreadError(`the page encoder thread failed: ${err.message}`, { cause: err })),
    );
    worker.on('exit', (code) => failAll(new PageEncoderThreadError(`the page encoder thread exited (code ${code})`)));
    return lane;
  };

  return {
    // the light module of the connectors that declare normalizesRawBytes (the registry would load every SDK here)
    supports: (platform) => rawBytesNormalizer(platform) !== undefined,

    encode(platform, raw, meta) {
      let slot = 0;
      for (let i = 1; i < lanes.length; i++)
        if ((lanes[i]?.pending.size ?? 0) < (lanes[slot]?.pending.size ?? 0)) slot = i;
      const lane = lanes[slot] ?? (lanes[slot] = start(slot));
      // one buffer the thread owns: the pieces are views of socket reads, and a view would clone all of its
      // backing memory (or, transferred, take it from under other views)
      let size = 0;
      for (const piece of raw) size += piece.length;
      const bytes = new Uint8Array(size);
      let at = 0;
      for (const piece of raw) {
        bytes.set(piece, at);
        at += piece.length;
      }
      const id = nextId++;
      return new Promise<FactBatch>((resolve, reject) => {
        lane.pending.set(id, { resolve, reject, platform });
        // referenced while it has work: a window waiting on its page keeps the process alive
        lane.worker.ref();
        const request: EncodeRequest = { id, platform, raw: bytes, meta };
        lane.worker.postMessage(request, [bytes.buffer]);
      });
    },

    async close() {
      await Promise.all(
        lanes.map(async (lane, slot) => {
          if (!lane) return;
          lanes[slot] = null;
          await lane.worker.terminate();
        }),
      );
    },
  };
}
