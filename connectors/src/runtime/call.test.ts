// Covers the retry runner between a connector and the pipeline: rate limits waited exactly as asked,
// transient failures backed off, an expired token refreshed once, and resumption that never repeats a page.
import { describe, expect, it } from 'vitest';
import * as z from 'zod';
import { MemoryKeyValueStore } from '@tributary/shared/adapters/memory-key-value-store';
import type { Connector, ConnectorContext, ExtractRequest, RawPage } from '../contract';
import {
  ConnectorAuthError,
  ConnectorConfigError,
  FatalConnectorError,
  RateLimitedError,
  ReportNotReadyError,
  TransientPlatformError,
} from '../contract';
import { KeyValueRateLimiter } from './rate-limiter';
import { asConnectorError, pollOrDefer, runExtract, withRetries } from './call';
import { MemoryLogger, VirtualClock } from './test-support';

interface Cred {
  token: string;
}

/** A connector whose calls fail with a scripted sequence of errors, then succeed. */
function scriptedConnector(failures: Error[], pages = 3): Connector<Cred> & { calls: string[]; refreshes: number } {
  const calls: string[] = [];
  const c = {
    calls,
    refreshes: 0,
    platform: 'google_ads' as const,
    displayName: 'Scripted',
    apiVersion: { version: 'v0', sunset: null, source: 'test' },
    auth: { kind: 'api_key' as const, fields: ['token'] },
    credentialSchema: z.object({ token: z.string() }),
    rateLimits: [],
    reportTypes: [],
    maxConcurrency: 1,
    windowDays: 31,
    // hand-written extract: this double scripts failures between pages for runExtract, beneath any stream
    streams: [],
    classifyError: (err: unknown) => asConnectorError(c as never, err),
    async validate(ctx: ConnectorContext<Cred>) {
      calls.push(ctx.credential.token);
      const f = failures.shift();
      if (f) throw f;
    },
    async discover() {
      return { accounts: [], reportTypes: [] };
    },
    async *extract(ctx: ConnectorContext<Cred>, req: ExtractRequest): AsyncIterable<RawPage> {
      let from = req.resumeCursor ? Number(req.resumeCursor) : 0;
      for (; from < pages; from++) {
        calls.push(`${ctx.credential.token}:page${from}`);
        const f = failures.shift();
        if (f) throw f;
        yield { body: { page: from }, cursor: String(from + 1), index: 0 };
      }
    },
    normalize() {
      return [];
    },
    async refresh() {
      c.refreshes++;
      return { token: 'fresh' };
    },
  };
  return c;
}

function context(clock: VirtualClock, logger = new MemoryLogger()): ConnectorContext<Cred> & { persisted: Cred[] } {
  const persisted: Cred[] = [];
  return {
    persisted,
    credential: { token: 'stale' },
    baseUrls: {},
    rateLimiter: new KeyValueRateLimiter(new MemoryKeyValueStore(clock.now), [], {
      now: clock.now,
      sleep: clock.sleep,
    }),
    logger,
    now: clock.now,
    sleep: clock.sleep,
    onTokensRefreshed: async (c) => {
      persisted.push(c);
    },
  };
}

const request: ExtractRequest = {
  account: { id: '1', name: 'a', currency: 'EUR', timeZone: 'UTC' },
  reportType: 'r',
  window: { start: '2026-01-01', end: '2026-01-31' },
};

describe('withRetries', () => {
  it('when the platform rate-limits with a wait, it sleeps exactly that long and then succeeds', async () => {
    const clock = new VirtualClock();
    const c = scriptedConnector([new RateLimitedError('slow down', 'google_ads', 30_000)]);
    await withRetries(c, context(clock), (ctx) => c.validate(ctx));
    expect(clock.sleeps).toEqual([30_000]);
    expect(c.calls).toHaveLength(2);
  });

  it('when transient failures repeat, it backs off with growing capped jitter, then succeeds', async () => {
    const clock = new VirtualClock();
    const c = scriptedConnector([1, 2, 3].map(() => new TransientPlatformError('503', 'google_ads')));
    await withRetries(c, context(clock), (ctx) => c.validate(ctx), { random: () => 0.5, baseDelayMs: 1000 });
    expect(clock.sleeps).toEqual([500, 1000, 2000]);
  });

  it('when the token expired, it refreshes once, persists the new credential, and retries with it', async () => {
    const clock = new VirtualClock();
    const ctx = context(clock);
    const c = scriptedConnector([new ConnectorAuthError('expired', 'google_ads')]);
    await withRetries(c, ctx, (x) => c.validate(x));
    expect(c.calls).toEqual(['stale', 'fresh']);
    expect(ctx.persisted).toEqual([{ token: 'fresh' }]);
  });

  it('when the refreshed token is rejected too, it gives up with the auth error', async () => {
    const clock = new VirtualClock();
    const c = scriptedConnector([
      new ConnectorAuthError('expired', 'google_ads'),
      new ConnectorAuthError('revoked', 'google_ads'),
    ]);
    await expect(withRetries(c, context(clock), (x) => c.validate(x))).rejects.toThrow(/revoked/);
    expect(c.refreshes).toBe(1);
  });

  it('when the request is invalid or the page malformed, it never retries', async () => {
    for (const err of [
      new ConnectorConfigError('bad field', 'google_ads'),
      new FatalConnectorError('bad page', 'google_ads'),
    ]) {
      const clock = new VirtualClock();
      const c = scriptedConnector([err]);
      await expect(withRetries(c, context(clock), (x) => c.validate(x))).rejects.toBe(err);
      expect(c.calls).toHaveLength(1);
    }
  });

  it('when failures outlast maxAttempts, it throws the last classified error', async () => {
    const clock = new VirtualClock();
    const c = scriptedConnector(Array.from({ length: 10 }, () => new TransientPlatformError('503', 'google_ads')));
    await expect(withRetries(c, context(clock), (x) => c.validate(x), { maxAttempts: 3 })).rejects.toBeInstanceOf(
      TransientPlatformError,
    );
    expect(c.calls).toHaveLength(3);
  });

  it('when a rate limit asks for a longer wait than allowed in-process, it hands the error to the pipeline', async () => {
    const clock = new VirtualClock();
    const c = scriptedConnector([new RateLimitedError('daily quota', 'google_ads', 3_600_000)]);
    await expect(withRetries(c, context(clock), (x) => c.validate(x))).rejects.toBeInstanceOf(RateLimitedError);
    expect(clock.sleeps).toEqual([]);
  });

  it('when a period quota is exhausted, it hands the error to the pipeline even for a short wait, and pauses the credential', async () => {
    const clock = new VirtualClock();
    const c = scriptedConnector([new RateLimitedError('hourly tokens', 'ga4', 5 * 60_000, { quotaExhausted: true })]);
    const ctx = context(clock);
    await expect(withRetries(c, ctx, (x) => c.validate(x))).rejects.toMatchObject({
      quotaExhausted: true,
      retryAfterMs: 300_000,
    });
    expect(clock.sleeps).toEqual([]);
    expect(c.calls).toHaveLength(1);
    // the next worker on the same credential waits out the pause before its call
    await ctx.rateLimiter.acquire(c.platform);
    expect(clock.sleeps).toEqual([300_000]);
  });

  it('when an unclassified network error escapes a connector, it is treated as transient', async () => {
    const clock = new VirtualClock();
    const reset = Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
    const c = scriptedConnector([reset]);
    await withRetries(c, context(clock), (x) => c.validate(x), { random: () => 0 });
    expect(c.calls).toHaveLength(2);
  });
});

describe('runExtract', () => {
  it('when a page fails mid-window, it resumes after the last yielded page and yields each page once', async () => {
    const clock = new VirtualClock();
    const c = scriptedConnector([]);
    // fail when page 2 is first requested
    const failures: Error[] = [];
    c.extract = async function* (ctx, req) {
      let from = req.resumeCursor ? Number(req.resumeCursor) : 0;
      for (; from < 4; from++) {
        c.calls.push(`page${from}`);
        if (from === 2 && failures.length === 0) {
          failures.push(new Error('once'));
          throw new TransientPlatformError('503', 'google_ads');
        }
        yield { body: { page: from }, cursor: String(from + 1), index: 0 };
      }
    };
    const pages: RawPage[] = [];
    for await (const p of runExtract(c, context(clock), request, { random: () => 0 })) pages.push(p);
    expect(pages.map((p) => (p.body as { page: number }).page)).toEqual([0, 1, 2, 3]);
    expect(pages.map((p) => p.index)).toEqual([0, 1, 2, 3]);
    expect(c.calls).toEqual(['page0', 'page1', 'page2', 'page2', 'page3']);
  });

  it('when the token expires mid-window, it refreshes once and continues with the new token', async () => {
    const clock = new VirtualClock();
    const ctx = context(clock);
    const c = scriptedConnector([]);
    let failed = false;
    c.extract = async function* (x, req) {
      let from = req.resumeCursor ? Number(req.resumeCursor) : 0;
      for (; from < 3; from++) {
        c.calls.push(`${x.credential.token}:${from}`);
        if (from === 1 && !failed) {
          failed = true;
          throw new ConnectorAuthError('expired', 'google_ads');
        }
        yield { body: {}, cursor: String(from + 1), index: 0 };
      }
    };
    const pages = [];
    for await (const p of runExtract(c, ctx, request)) pages.push(p);
    expect(pages).toHaveLength(3);
    expect(c.calls).toEqual(['stale:0', 'stale:1', 'fresh:1', 'fresh:2']);
  });
});

describe('pollOrDefer', () => {
  it("when a platform job finishes within the polls, it returns its result after the runtime's waits; when not, it hands the job's cursor to the pipeline without retrying", async () => {
    const clock = new VirtualClock();
    const c = scriptedConnector([]);
    let polls = 0;
    const job = (doneAt: number) => async () => (++polls >= doneAt ? 'done' : undefined);
    const o = {
      polls: 3,
      delayMs: (n: number) => 1_000 * 2 ** n,
      delayBeforeFirst: true,
      resumeCursor: 'job:42',
      retryAfterMs: 30_000,
    };
    expect(await pollOrDefer(c, context(clock), 'the job', o, job(3))).toBe('done');
    expect(clock.sleeps).toEqual([1_000, 2_000, 4_000]);
    polls = 0;
    const err = await pollOrDefer(c, context(clock), 'the job', { ...o, delayBeforeFirst: false }, job(10)).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ReportNotReadyError);
    expect(err).toMatchObject({
      kind: 'not_ready',
      resumeCursor: 'job:42',
      retryAfterMs: 30_000,
      name: 'ReportNotReadyError',
    });
    expect(polls).toBe(3);
    // runExtract passes it on at once: waiting is the state machine's, not a retry
    const waiting = {
      ...c,
      async *extract() {
        throw err;
      },
    } as Connector<Cred>;
    await expect(runExtract(waiting, context(clock), request)[Symbol.asyncIterator]().next()).rejects.toBe(err);
  });
});
