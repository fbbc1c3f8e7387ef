// The key index alone: keys are found again by (scope, key) after any number of growths, the same key in
// another scope is another entry, contents are replaced in place, and its memory is what it says.
import { describe, expect, it } from 'vitest';
import { KeyIndex, SlotState } from './key-index';

/** a deterministic 32-bit sequence */
const lcg = (seed: number) => () => (seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0);

describe('key index', () => {
  it('when many keys are set over several scopes, each is found with its content and state, and absent ones are not', () => {
    const index = new KeyIndex(16);
    const next = lcg(7);
    const keys = Array.from({ length: 50_000 }, (_, n) => ({
      scope: n % 37,
      hi: next(),
      lo: next(),
      vhi: next(),
      vlo: next(),
    }));
    for (const [n, k] of keys.entries())
      index.set(k.scope, k.hi, k.lo, k.vhi, k.vlo, n % 2 ? SlotState.Existing : SlotState.Inserted);
    expect(index.count).toBe(50_000);
    const wrong = keys.filter(
      (k, n) =>
        index.lookup(k.scope, k.hi, k.lo) !== (n % 2 ? SlotState.Existing : SlotState.Inserted) ||
        index.lastHi !== k.vhi ||
        index.lastLo !== k.vlo,
    );
    expect(wrong).toEqual([]);
    // the same key in another scope, or another key, is absent
    expect(index.lookup(37, keys[0]!.hi, keys[0]!.lo)).toBe(SlotState.Empty);
    expect(index.lookup(0, keys[0]!.hi, keys[0]!.lo ^ 1)).toBe(SlotState.Empty);
    expect(index.byteSize).toBe(131_072 * 20); // the first power of two over twice the keys, 20 bytes a slot
  });

  it('when a key is set again after a lookup, its content and state change in place and the count does not', () => {
    const index = new KeyIndex();
    index.set(3, 0xffffffff, 0, 1, 2, SlotState.Existing);
    expect(index.lookup(3, 0xffffffff, 0)).toBe(SlotState.Existing);
    index.setLast(3, 0xffffffff, 0, 5, 6, SlotState.Existing);
    expect(index.count).toBe(1);
    expect(index.lookup(3, 0xffffffff, 0)).toBe(SlotState.Existing);
    expect([index.lastHi, index.lastLo]).toEqual([5, 6]);
    index.reserve(1_000_000);
    expect(index.lookup(3, 0xffffffff, 0)).toBe(SlotState.Existing);
    expect([index.lastHi, index.lastLo]).toEqual([5, 6]);
  });
});
