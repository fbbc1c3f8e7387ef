// Covers the shared rate budget over the KeyValueStore port: the sliding-window guarantee (never more than
// `limit` admissions in any span of intervalMs, whatever the arrival pattern, the platform window's phase or
// the number of racing workers), waits that are at most one sub-window longer than needed, several
// policies at once, a pause set by one worker honoured by another, and separate buckets per credential.
import { describe, expect, it } from 'vitest';
import { MemoryKeyValueStore } from '@tributary/shared/adapters/memory-key-value-store';
import type { KeyValueStore } from '@tributary/shared/ports/key-value-store';
import { RateBudgetSpentError, type RatePolicy } from '../contract';
import { KeyValueRateLimiter } from './rate-limiter';
import { VirtualClock } from './test-support';

/** the limiter's sub-window for a policy whose interval divides by 20 */
const sub = (intervalMs: number) => intervalMs / 40;
/** the clock's now and sleep, without the arrival margin: the tests of waits and windows compute exact times */
const exact = (clock: { now: () => number; sleep: (ms: number, signal?: AbortSignal) => Promise<void> }) => ({
  now: clock.now,
  sleep: clock.sleep,
  arrivalMarginMs: 0,
});

/**
 * A virtual clock for concurrent callers. VirtualClock advances the shared time by each sleep as it is
 * asked for, so two concurrent sleepers add up and a caller between two store calls can see time jump.
 * Here sleep() queues a timer, and run() moves time to the earliest timer only once every promise chain
 * has settled: a caller's decision is made and acted on at one instant, as with a real clock.
 */
class SchedulerClock {
  private readonly timers: { at: number; seq: number; resolve: () => void }[] = [];
  private seq = 0;
  constructor(public nowMs: number) {}
  now = (): number => this.nowMs;
  sleep = (ms: number, signal?: AbortSignal): Promise<void> => {
    signal?.throwIfAborted();
    return new Promise((resolve) => this.timers.push({ at: this.nowMs + ms, seq: this.seq++, resolve }));
  };
  async run<T>(work: Promise<T>): Promise<T> {
    let settled = false;
    work.then(
      () => (settled = true),
      () => (settled = true),
    );
    for (;;) {
      await new Promise((resolve) => setImmediate(resolve)); // the microtask queue drains before this resolves
      if (settled) return work;
      if (this.timers.length === 0) throw new Error('no timer left and the work is not done');
      this.timers.sort((a, b) => a.at - b.at || a.seq - b.seq);
      const next = this.timers.shift()!;
      this.nowMs = next.at;
      next.resolve();
    }
  }
}

/** mulberry32: a seeded PRNG, so every pattern is reproducible from its seed */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * The memory store with each operation delayed by a random number of microtask turns (no virtual time
 * passes), so racing callers' increments and reads interleave in every order a networked store allows.
 */
function jitteryStore(inner: MemoryKeyValueStore, random: () => number): KeyValueStore {
  const later = async <T>(op: () => Promise<T>): Promise<T> => {
    for (let turns = Math.floor(random() * 4); turns > 0; turns--) await Promise.resolve();
    return op();
  };
  const store: KeyValueStore = {
    get: (key) => later(() => inner.get(key)),
    put: (key, value, options) => later(() => inner.put(key, value, options)),
    take: (key) => later(() => inner.take(key)),
    delete: (key) => later(() => inner.delete(key)),
    increment: (key, by, options) => later(() => inner.increment(key, by, options)),
    getCounters: (keys) => later(() => inner.getCounters(keys)),
  };
  return store;
}

/**
 * The most admissions in any half-open span [t, t + intervalMs); checking spans that start at an admission suffices.
 */
function busiestSpan(admissions: readonly number[], intervalMs: number): number {
  const sorted = [...admissions].sort((a, b) => a - b);
  let most = 0;
  for (let i = 0, j = 0; i < sorted.length; i++) {
    while (j < sorted.length && sorted[j]! < sorted[i]! + intervalMs) j++;
    most = Math.max(most, j - i);
  }
  return most;
}

/**
 * Starts one acquire per arrival (offsets from the clock's start) on two limiters sharing a store; returns the
 * admission times.
 */
async function admit(
  clock: SchedulerClock,
  store: KeyValueStore,
  policies: RatePolicy[],
  arrivals: { atMs: number; worker: 0 | 1 }[],
): Promise<number[]> {
  const limiters = [
    new KeyValueRateLimiter(store, policies, exact(clock)),
    new KeyValueRateLimiter(store, policies, exact(clock)),
  ];
  const start = clock.nowMs;
  const admissions: number[] = [];
  await clock.run(
    Promise.all(
      arrivals.map(async ({ atMs, worker }) => {
        if (atMs > 0) await clock.sleep(start + atMs - clock.nowMs);
        await limiters[worker]!.acquire('cred');
        admissions.push(clock.nowMs);
      }),
    ),
  );
  return admissions;
}

/** 30 arrivals over a few intervals, about a third of them at the same instant as the one before. */
function randomArrivals(random: () => number, intervalMs: number, count = 30): { atMs: number; worker: 0 | 1 }[] {
  let at = 0;
  return Array.from({ length: count }, () => {
    if (random() > 0.35) at += Math.floor(random() * random() * intervalMs * 0.6);
    return { atMs: at, worker: random() < 0.5 ? 0 : 1 };
  });
}

describe('KeyValueRateLimiter', () => {
  it('when the budget is spent, it waits until the oldest call leaves the interval, then lets the call through', async () => {
    const clock = new VirtualClock(1_000_000);
    const limiter = new KeyValueRateLimiter(
      new MemoryKeyValueStore(clock.now),
      [{ limit: 2, intervalMs: 1000 }],
      exact(clock),
    );
    await limiter.acquire('b');
    await limiter.acquire('b');
    expect(clock.sleeps).toEqual([]);
    await limiter.acquire('b');
    // was 1000 (the fixed window's end). The two calls at 1_000_000 are counted by their 25 ms sub-window,
    // which leaves the interval at 1_000_025 + 1000: one sub-window of conservative extra wait.
    expect(clock.sleeps).toEqual([1025]);
  });

  it('when two workers share a store, they share the budget; other buckets are independent', async () => {
    const clock = new VirtualClock(0);
    const store = new MemoryKeyValueStore(clock.now);
    const policies = [{ limit: 3, intervalMs: 60_000 }];
    const a = new KeyValueRateLimiter(store, policies, exact(clock));
    const b = new KeyValueRateLimiter(store, policies, exact(clock));
    await Promise.all([a.acquire('cred-1'), b.acquire('cred-1'), a.acquire('cred-1'), b.acquire('cred-2')]);
    expect(clock.sleeps).toEqual([]);
    await b.acquire('cred-1');
    // was 60_000: plus one 1.5 s sub-window, as above
    expect(clock.sleeps).toEqual([61_500]);
  });

  it('when several policies apply, the strictest spent budget decides the wait', async () => {
    const clock = new VirtualClock(0);
    const limiter = new KeyValueRateLimiter(
      new MemoryKeyValueStore(clock.now),
      [
        { limit: 10, intervalMs: 1000 },
        { limit: 2, intervalMs: 10_000 },
      ],
      exact(clock),
    );
    await limiter.acquire('b');
    await limiter.acquire('b');
    await limiter.acquire('b');
    // was 10_000: plus one 250 ms sub-window of the 10 s policy, as above
    expect(clock.sleeps).toEqual([10_250]);
  });

  it('when one policy refuses, the unit taken under the other is given back', async () => {
    const clock = new VirtualClock(0);
    const limiter = new KeyValueRateLimiter(
      new MemoryKeyValueStore(clock.now),
      [
        { limit: 3, intervalMs: 1000 },
        { limit: 1, intervalMs: 100 },
      ],
      exact(clock),
    );
    await limiter.acquire('b'); // t=0
    await limiter.acquire('b'); // refused by 1/100 ms at 0, admitted at 102 (2 ms sub-windows)
    await limiter.acquire('b'); // refused by 1/100 ms at 102, admitted at 204
    // had the refused attempts kept their units under 3/s, it would count 5 by 204 and refuse again
    expect(clock.sleeps).toEqual([102, 102]);
  });

  it('when a burst of `limit` calls comes at once, all go through; the next waits at most one interval and one sub-window', async () => {
    for (const [limit, intervalMs, startMs] of [
      [5, 1000, 1_700_000_000_730],
      [200, 60_000, 1_700_000_012_345],
      [1, 3_600_000, 1_700_000_000_000],
    ] as const) {
      const clock = new SchedulerClock(startMs);
      const admissions = await admit(
        clock,
        new MemoryKeyValueStore(clock.now),
        [{ limit, intervalMs }],
        Array.from({ length: limit + 1 }, (_, i) => ({ atMs: 0, worker: (i % 2) as 0 | 1 })),
      );
      admissions.sort((a, b) => a - b);
      expect(admissions.slice(0, limit)).toEqual(Array(limit).fill(startMs));
      expect(admissions[limit]! - startMs).toBeGreaterThanOrEqual(intervalMs);
      expect(admissions[limit]! - startMs).toBeLessThanOrEqual(intervalMs + sub(intervalMs));
    }
  });

  it('when calls arrive in any pattern on two workers, no span of the interval ever holds more than the limit', async () => {
    for (let pattern = 0; pattern < 200; pattern++) {
      const random = prng(0x5eed + pattern);
      const limit = 1 + Math.floor(random() * 6);
      const intervalMs = [1000, 1000, 60_000, 1234][Math.floor(random() * 4)]!; // 1234 does not divide into 20 whole-ms sub-windows
      const clock = new SchedulerClock(1_700_000_000_000 + Math.floor(random() * 10_000_000));
      const store = jitteryStore(new MemoryKeyValueStore(clock.now), random);
      const arrivals = randomArrivals(random, intervalMs);
      const admissions = await admit(clock, store, [{ limit, intervalMs }], arrivals);
      expect(admissions, `pattern ${pattern}`).toHaveLength(arrivals.length);
      expect(
        busiestSpan(admissions, intervalMs),
        `pattern ${pattern}: limit ${limit} per ${intervalMs} ms`,
      ).toBeLessThanOrEqual(limit);
    }
  }, 30_000);

  it('when the platform counts fixed windows from our first call, whatever its phase, it never sees more than the limit in one', async () => {
    for (const phaseMs of [0, 1, 49, 50, 700, 999]) {
      const clock = new VirtualClock(1_700_000_000_000 + phaseMs);
      const limiter = new KeyValueRateLimiter(
        new MemoryKeyValueStore(clock.now),
        [{ limit: 5, intervalMs: 1000 }],
        exact(clock),
      );
      const admissions: number[] = [];
      for (let i = 0; i < 40; i++) {
        await limiter.acquire('b');
        admissions.push(clock.nowMs);
      }
      // Google's window opens at our first call (x.700 s for phase 700) and runs a second from there
      const platformWindows = new Map<number, number>();
      for (const t of admissions) {
        const window = Math.floor((t - admissions[0]!) / 1000);
        platformWindows.set(window, (platformWindows.get(window) ?? 0) + 1);
      }
      expect(Math.max(...platformWindows.values()), `phase ${phaseMs}`).toBe(5);
      // and it is not starved: 40 calls at 5/s take at most 8 windows (7 s) plus a sub-window each
      expect(admissions.at(-1)! - admissions[0]!, `phase ${phaseMs}`).toBeLessThanOrEqual(7 * (1000 + sub(1000)));
    }
  });

  it('when the first calls reach the platform later than the ones after them, the arrival margin keeps its window under the limit', async () => {
    // the first burst opens connections (20 ms on the way), later calls reuse them (none): the platform's
    // window opens at the first arrival, and a call let go 1 s after the burst could arrive inside it
    const platformPeak = async (limiterOptions: { arrivalMarginMs?: number }, phaseMs: number) => {
      const clock = new VirtualClock(1_700_000_000_000 + phaseMs);
      const limiter = new KeyValueRateLimiter(new MemoryKeyValueStore(clock.now), [{ limit: 5, intervalMs: 1000 }], {
        now: clock.now,
        sleep: clock.sleep,
        ...limiterOptions,
      });
      const arrivals: number[] = [];
      for (let i = 0; i < 10; i++) {
        await limiter.acquire('b');
        arrivals.push(clock.nowMs + (i < 5 ? 20 : 0));
      }
      const first = Math.min(...arrivals);
      const windows = new Map<number, number>();
      for (const t of arrivals)
        windows.set(Math.floor((t - first) / 1000), (windows.get(Math.floor((t - first) / 1000)) ?? 0) + 1);
      return Math.max(...windows.values());
    };
    const phases = [0, 10, 25, 40, 49];
    for (const phase of phases) expect(await platformPeak({}, phase), `phase ${phase}`).toBe(5);
    // without the margin, in some phases the next burst lands inside the platform's first window
    const unguarded = await Promise.all(phases.map((phase) => platformPeak({ arrivalMarginMs: 0 }, phase)));
    expect(Math.max(...unguarded)).toBeGreaterThan(5);
  });

  it('when many calls on two workers race for one sub-window, exactly the limit go through at that instant', async () => {
    for (let round = 0; round < 50; round++) {
      const random = prng(0xace + round);
      const clock = new SchedulerClock(1_700_000_000_000 + Math.floor(random() * 1000));
      const store = jitteryStore(new MemoryKeyValueStore(clock.now), random);
      const arrivals = Array.from({ length: 23 }, () => ({ atMs: 0, worker: (random() < 0.5 ? 0 : 1) as 0 | 1 }));
      const start = clock.nowMs;
      const admissions = await admit(clock, store, [{ limit: 5, intervalMs: 1000 }], arrivals);
      expect(
        admissions.filter((t) => t === start),
        `round ${round}`,
      ).toHaveLength(5);
      expect(busiestSpan(admissions, 1000), `round ${round}`).toBeLessThanOrEqual(5);
      // 23 calls at 5/s: the last goes through in the fifth second, give or take a sub-window per wait
      expect(Math.max(...admissions) - start, `round ${round}`).toBeLessThanOrEqual(4 * (1000 + sub(1000)));
    }
  });

  it('when two policies apply (5/s and 8/10 s), admissions respect both in any arrival pattern', async () => {
    const policies = [
      { limit: 5, intervalMs: 1000 },
      { limit: 8, intervalMs: 10_000 },
    ];
    for (let pattern = 0; pattern < 100; pattern++) {
      const random = prng(0x2b0 + pattern);
      const clock = new SchedulerClock(1_700_000_000_000 + Math.floor(random() * 10_000_000));
      const store = jitteryStore(new MemoryKeyValueStore(clock.now), random);
      const arrivals = randomArrivals(random, 1000 + Math.floor(random() * 4000), 20);
      const admissions = await admit(clock, store, policies, arrivals);
      expect(admissions, `pattern ${pattern}`).toHaveLength(arrivals.length);
      expect(busiestSpan(admissions, 1000), `pattern ${pattern}`).toBeLessThanOrEqual(5);
      expect(busiestSpan(admissions, 10_000), `pattern ${pattern}`).toBeLessThanOrEqual(8);
    }
  });

  it('when one worker pauses the bucket, another waits until the pause ends', async () => {
    const clock = new VirtualClock(5_000);
    const store = new MemoryKeyValueStore(clock.now);
    const a = new KeyValueRateLimiter(store, [], exact(clock));
    const b = new KeyValueRateLimiter(store, [], exact(clock));
    await a.pauseUntil('cred', 35_000);
    await a.pauseUntil('cred', 20_000); // an earlier end never shortens a pause
    await b.acquire('cred');
    expect(clock.sleeps).toEqual([30_000]);
  });

  it('when policies carry a tag, only calls with that tag count against them; untagged policies count every call', async () => {
    const clock = new VirtualClock(1_000_000);
    const limiter = new KeyValueRateLimiter(
      new MemoryKeyValueStore(clock.now),
      [
        { limit: 10, intervalMs: 1_000 },
        { limit: 2, intervalMs: 60_000, tag: 'reports' },
      ],
      exact(clock),
    );
    for (let i = 0; i < 5; i++) await limiter.acquire('cred');
    await limiter.acquire('cred', undefined, 'reports');
    await limiter.acquire('cred', undefined, 'reports');
    expect(clock.sleeps).toEqual([]);
    await limiter.acquire('cred', undefined, 'reports');
    expect(clock.sleeps.reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(60_000 - sub(60_000));
  });

  it('when a quota policy is spent, or the bucket is paused for longer than a worker should sleep, acquire throws instead of sleeping', async () => {
    const clock = new VirtualClock(1_000_000);
    const store = new MemoryKeyValueStore(clock.now);
    const limiter = new KeyValueRateLimiter(store, [{ limit: 3, intervalMs: 86_400_000, quota: true }], exact(clock));
    for (let i = 0; i < 3; i++) await limiter.acquire('cred');
    const spent = await limiter.acquire('cred').catch((e: unknown) => e);
    expect(spent).toBeInstanceOf(RateBudgetSpentError);
    expect((spent as RateBudgetSpentError).retryAfterMs).toBeGreaterThan(86_400_000 - 2 * sub(86_400_000));
    expect(clock.sleeps).toEqual([]);
    await limiter.pauseUntil('other', clock.now() + 3 * 3_600_000);
    expect(await limiter.acquire('other').catch((e: unknown) => e)).toMatchObject({
      name: 'RateBudgetSpentError',
      retryAfterMs: 3 * 3_600_000,
    });
  });
});
