// Covers the 64-bit hash text conversions against BigInt, on the edges where doubles stop being exact.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { int64Parts, int64Text } from './row-hash';

describe('int64Text', () => {
  it('when given any two 32-bit halves, it prints the same signed decimal as BigInt', () => {
    fc.assert(
      fc.property(fc.nat({ max: 0xffffffff }), fc.nat({ max: 0xffffffff }), (hi, lo) => {
        const expected = BigInt.asIntN(64, (BigInt(hi) << 32n) | BigInt(lo)).toString();
        expect(int64Text(hi, lo)).toBe(expected);
        expect(int64Parts(expected)).toEqual([hi, lo]);
      }),
      { numRuns: 20_000 },
    );
    for (const [hi, lo] of [
      [0, 0],
      [0x1fffff, 0xffffffff],
      [0x200000, 0],
      [0x7fffffff, 0xffffffff],
      [0x80000000, 0],
      [0xffffffff, 0xffffffff],
      [0xffffffff, 0],
    ]) {
      expect(int64Text(hi!, lo!)).toBe(BigInt.asIntN(64, (BigInt(hi!) << 32n) | BigInt(lo!)).toString());
    }
  });
});
