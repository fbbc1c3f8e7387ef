// Covers the stream runtime between a connector's declared streams and runExtract: requests built from state,
// pages from the paginator, a job polled before its results are read, resumption from a page's cursor after a
// failure, and a request count that does not grow. The "platform" is an in-memory list of rows behind a counter.
import { describe, expect, it } from 'vitest';
import * as z from 'zod';
import { MemoryKeyValueStore } from '@tributary/shared/adapters/memory-key-value-store';
import type { Connector, ConnectorContext, ExtractRequest, RawPage, Stream } from '../contract';
import { ConnectorConfigError, TransientPlatformError } from '../contract';
import { asConnectorError, runExtract } from './call';
import { KeyValueRateLimiter } from './rate-limiter';
import { declareConnector } from './streams';
import { MemoryLogger, VirtualClock } from './test-support';

type Cred = { token: string };
interface Platform {
  rows: number[];
  requests: string[];
  /** fail the request with this number (1-based) once */
  failAt?: number;
  jobPolls: number;
}

/** A platform paged by offset (3 rows a page), and an async job, ready after two polls, read the same way. */
function connectorOver(p: Platform) {
  const page = (offset: number): Promise<{ rows: number[]; total: number }> => {
    p.requests.push(`page ${offset}`);
    if (p.requests.length === p.failAt) return Promise.reject(new TransientPlatformError('502', 'ga4'));
    return Promise.resolve({ rows: p.rows.slice(offset, offset + 3), total: p.rows.length });
  };
  const paged: Stream<Cred, undefined, { offset: number; job?: string }, { rows: number[]; total: number }> = {
    reportTypes: ['paged', 'job'],
    job: {
      wanted: (st, { request }) => request.reportType === 'job' && !st.job,
      start: (io) => io.call('start', async () => (p.requests.push('start'), 'job-1')),
      poll: (io) => io.call('poll', async () => (p.requests.push('poll'), ++p.jobPolls >= 2 ? true : undefined)),
      polling: { maxPolls: 5, delayMs: () => 1_000 },
      describe: (id) => `job ${id}`,
      ready: (st, id) => ({ ...st, job: id }),
    },
    resume: (cursor, { request }) => {
      if (cursor === 'done') return null;
      const m = cursor ? /^(?:(job-\d+)\|)?(\d+)$/.exec(cursor) : null;
      if (cursor && !m) throw new ConnectorConfigError(`bad resume cursor ${cursor}`, 'ga4');
      const job = m?.[1] ?? (request.reportType === 'job' && cursor ? 'job-1' : undefined);
      return { offset: m ? Number(m[2]) : 0, ...(job ? { job } : {}) };
    },
    request: ({ offset }) => ({ what: `page ${offset}`, send: () => page(offset) }),
    paginate: (res, st) => {
      const offset = st.offset + res.rows.length;
      const done = res.rows.length === 0 || offset >= res.total;
      const cursor = done ? 'done' : st.job ? `${st.job}|${offset}` : String(offset);
      return { page: { body: res.rows, cursor }, next: done ? null : { ...st, offset } };
    },
  };
  const connector: Connector<Cred> = declareConnector<Cred>({
    platform: 'ga4',
    displayName: 'Test platform',
    apiVersion: { version: 'v0', sunset: null, source: 'test' },
    auth: { kind: 'api_key', fields: ['token'] },
    credentialSchema: z.object({ token: z.string() }),
    rateLimits: [],
    reportTypes: [],
    maxConcurrency: 1,
    windowDays: 31,
    classifyError: (err) => asConnectorError(connector, err),
    async validate() {},
    async discover() {
      return { accounts: [], reportTypes: [] };
    },
    streams: [paged],
    normalize: () => [],
  });
  return connector;
}

function context(clock: VirtualClock): ConnectorContext<Cred> {
  return {
    credential: { token: 't' },
    baseUrls: {},
    rateLimiter: new KeyValueRateLimiter(new MemoryKeyValueStore(clock.now), [], {
      now: clock.now,
      sleep: clock.sleep,
    }),
    logger: new MemoryLogger(),
    now: clock.now,
    sleep: clock.sleep,
  };
}

const request = (reportType: string, resumeCursor?: string): ExtractRequest => ({
  account: { id: '1', name: 'a', currency: 'EUR', timeZone: 'UTC' },
  reportType,
  window: { start: '2026-01-01', end: '2026-01-31' },
  ...(resumeCursor ? { resumeCursor } : {}),
});

async function pages(source: AsyncIterable<RawPage>): Promise<RawPage[]> {
  const out: RawPage[] = [];
  for await (const p of source) out.push(p);
  return out;
}

describe('stream runtime', () => {
  it('when a paged stream is run, it yields every row once, one request a page, with its cursors', async () => {
    const p: Platform = { rows: [1, 2, 3, 4, 5, 6, 7], requests: [], jobPolls: 0 };
    const got = await pages(runExtract(connectorOver(p), context(new VirtualClock(0)), request('paged')));
    expect(got.flatMap((g) => g.body as number[])).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(got.map((g) => [g.index, g.cursor])).toEqual([
      [0, '3'],
      [1, '6'],
      [2, 'done'],
    ]);
    expect(p.requests).toEqual(['page 0', 'page 3', 'page 6']);
  });

  it('when a request fails mid-window, it resumes from the last cursor and repeats only that request', async () => {
    // Prepare: the second request fails once
    const p: Platform = { rows: [1, 2, 3, 4, 5, 6, 7], requests: [], jobPolls: 0, failAt: 2 };
    // Act
    const got = await pages(
      runExtract(connectorOver(p), context(new VirtualClock(0)), request('paged'), { random: () => 0 }),
    );
    // Assess
    expect(got.flatMap((g) => g.body as number[])).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(p.requests).toEqual(['page 0', 'page 3', 'page 3', 'page 6']);
  });

  it('when a stream declares a job, the runtime starts it, polls it until ready, then reads its pages', async () => {
    const clock = new VirtualClock(0);
    const p: Platform = { rows: [1, 2, 3, 4], requests: [], jobPolls: 0 };
    const got = await pages(runExtract(connectorOver(p), context(clock), request('job')));
    expect(p.requests).toEqual(['start', 'poll', 'poll', 'page 0', 'page 3']);
    expect(got.map((g) => g.cursor)).toEqual(['job-1|3', 'done']);
    // the wait between polls is the runtime's, on the injected clock
    expect(clock.now()).toBeGreaterThanOrEqual(1_000);
    // resumed from a page of the job's results: no new job, no poll
    p.requests = [];
    await pages(runExtract(connectorOver(p), context(clock), request('job', 'job-1|3')));
    expect(p.requests).toEqual(['page 3']);
  });

  it('when the report type has no stream, it fails with ConnectorConfigError naming it', async () => {
    const p: Platform = { rows: [], requests: [], jobPolls: 0 };
    const failure = pages(connectorOver(p).extract(context(new VirtualClock(0)), request('nope')));
    await expect(failure).rejects.toBeInstanceOf(ConnectorConfigError);
    await expect(failure).rejects.toThrow('unknown Test platform report type nope');
    expect(p.requests).toEqual([]);
  });
});
