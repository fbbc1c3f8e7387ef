// The page encoder thread's first module when running from source (tsx, vitest): worker threads do not
// inherit the parent's module loader hooks, so tsx's loader is registered before the TypeScript entry
// loads. A Lambda bundle runs its bundled page-encoder.thread.mjs directly instead.
import { workerData } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
await import(workerData.entry);
