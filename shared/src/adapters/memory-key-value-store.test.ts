// Covers the in-memory KeyValueStore adapter: the port's semantics (TTL on reads, conditional put,
// single-use take, atomic increment) that the rate limiter and OAuth state rely on.
import { describe, expect, it } from 'vitest';
import { MemoryKeyValueStore } from './memory-key-value-store';

describe('MemoryKeyValueStore', () => {
  it('when a record outlives its TTL, it reads as absent', async () => {
    let now = 1_000_000;
    const kv = new MemoryKeyValueStore(() => now);
    await kv.put('a', { x: 1 }, { ttlSeconds: 10 });
    expect(await kv.get('a')).toEqual({ x: 1 });
    now += 10_000;
    expect(await kv.get('a')).toBeNull();
  });

  it('when putting onlyIfAbsent over a live record, it refuses; over an expired one, it writes', async () => {
    let now = 0;
    const kv = new MemoryKeyValueStore(() => now);
    expect(await kv.put('k', { v: 1 }, { ttlSeconds: 1, onlyIfAbsent: true })).toBe(true);
    expect(await kv.put('k', { v: 2 }, { onlyIfAbsent: true })).toBe(false);
    now = 1000;
    expect(await kv.put('k', { v: 3 }, { onlyIfAbsent: true })).toBe(true);
    expect(await kv.get('k')).toEqual({ v: 3 });
  });

  it('when a record is taken, it is returned once and gone after', async () => {
    const kv = new MemoryKeyValueStore();
    await kv.put('state', { verifier: 'abc' });
    expect(await kv.take('state')).toEqual({ verifier: 'abc' });
    expect(await kv.take('state')).toBeNull();
  });

  it('when a counter is incremented, it adds atomically and restarts after expiry', async () => {
    let now = 0;
    const kv = new MemoryKeyValueStore(() => now);
    const results = await Promise.all([1, 2, 3].map(() => kv.increment('c', 1, { ttlSeconds: 5 })));
    expect(results.sort()).toEqual([1, 2, 3]);
    now = 5000;
    expect(await kv.increment('c', 2, { ttlSeconds: 5 })).toBe(2);
  });

  it('when counters are read, each shows its live count, 0 when absent, expired or not a counter, and none is created', async () => {
    let now = 0;
    const kv = new MemoryKeyValueStore(() => now);
    expect(await kv.getCounters(['c', 'd'])).toEqual([0, 0]);
    expect(await kv.increment('c', 1, { ttlSeconds: 5 })).toBe(1); // the read did not create it
    await kv.increment('c', 2, { ttlSeconds: 5 });
    await kv.put('v', { n: 7 });
    expect(await kv.getCounters(['v', 'c', 'c'])).toEqual([0, 3, 3]);
    now = 5000;
    expect(await kv.getCounters(['c'])).toEqual([0]);
  });

  it('when the caller mutates a stored value, the stored record does not change', async () => {
    const kv = new MemoryKeyValueStore();
    const value = { n: 1 };
    await kv.put('m', value);
    value.n = 2;
    expect(await kv.get('m')).toEqual({ n: 1 });
  });
});
