// Covers the shared rate budget over the KeyValueStore port: windows per policy, waits until a window
// ends, a pause set by one worker honoured by another, and separate buckets for separate credentials.
import { describe, expect, it } from 'vitest';
import { MemoryKeyValueStore } from '@tributary/shared/adapters/memory-key-value-store';
import { KeyValueRateLimiter } from './rate-limiter';
import { VirtualClock } from './test-support';

describe('KeyValueRateLimiter', () => {
  it('when a window is spent, it waits until the window ends, then lets the call through', async () => {
    const clock = new VirtualClock(1_000_000);
    const limiter = new KeyValueRateLimiter(new MemoryKeyValueStore(clock.now), [{ limit: 2, intervalMs: 1000 }], clock);
    await limiter.acquire('b');
    await limiter.acquire('b');
    expect(clock.sleeps).toEqual([]);
    await limiter.acquire('b');
    expect(clock.sleeps).toEqual([1000]);
  });

  it('when two workers share a store, they share the budget; other buckets are independent', async () => {
    const clock = new VirtualClock(0);
    const store = new MemoryKeyValueStore(clock.now);
    const policies = [{ limit: 3, intervalMs: 60_000 }];
    const a = new KeyValueRateLimiter(store, policies, clock);
    const b = new KeyValueRateLimiter(store, policies, clock);
    await Promise.all([a.acquire('cred-1'), b.acquire('cred-1'), a.acquire('cred-1'), b.acquire('cred-2')]);
    expect(clock.sleeps).toEqual([]);
    await b.acquire('cred-1');
    expect(clock.sleeps).toEqual([60_000]);
  });

  it('when several policies apply, the strictest spent window decides the wait', async () => {
    const clock = new VirtualClock(0);
    const limiter = new KeyValueRateLimiter(new MemoryKeyValueStore(clock.now), [{ limit: 10, intervalMs: 1000 }, { limit: 2, intervalMs: 10_000 }], clock);
    await limiter.acquire('b');
    await limiter.acquire('b');
    await limiter.acquire('b');
    expect(clock.sleeps).toEqual([10_000]);
  });

  it('when one worker pauses the bucket, another waits until the pause ends', async () => {
    const clock = new VirtualClock(5_000);
    const store = new MemoryKeyValueStore(clock.now);
    const a = new KeyValueRateLimiter(store, [], clock);
    const b = new KeyValueRateLimiter(store, [], clock);
    await a.pauseUntil('cred', 35_000);
    await a.pauseUntil('cred', 20_000); // an earlier end never shortens a pause
    await b.acquire('cred');
    expect(clock.sleeps).toEqual([30_000]);
  });
});
