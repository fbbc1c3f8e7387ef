// The loader's encoder: both encodings of a batch (hashes now and text when sent; or every row written for
// another thread) give the same hashes, runs and text; a malformed row ends or fails the batch where it is;
// a line that does not fit where it is asked to go is not written at all.
import { describe, expect, it } from 'vitest';
import type { FactRow } from '../domain/fact-row';
import { encodeFacts, encodeFactsToTransfer, receiveFactBatch, type FactBatch } from './fact-encoder';
import { FactRowError, hashFactRowKeys } from './row-hash';
import { syntheticFacts } from './synthetic-facts';

const rows = (): FactRow[] =>
  [...syntheticFacts({ days: 3, rowsPerDay: 40, startDate: '2026-02-27' })]
    .flat()
    .map((r, i) => (i % 7 === 0 ? { ...r, campaignName: `Rebajas – 夏季 🎄\t${i}\\n` } : r));
const lines = (b: FactBatch) => Array.from({ length: b.count }, (_, i) => b.line(i));

describe('fact encoder', () => {
  it('when a batch is encoded here and for another thread, hashes, runs and every line are the same', () => {
    const here = encodeFacts(rows());
    const there = receiveFactBatch(encodeFactsToTransfer(rows()));
    expect(here.count).toBe(120);
    expect(there.count).toBe(120);
    expect([...there.hashes]).toEqual([...here.hashes]);
    expect(there.runs).toEqual(here.runs);
    expect(here.runs).toEqual([
      { dataType: 'ad_daily', date: '2026-02-27', end: 40 },
      { dataType: 'ad_daily', date: '2026-02-28', end: 80 },
      { dataType: 'ad_daily', date: '2026-03-01', end: 120 },
    ]);
    expect(lines(there)).toEqual(lines(here));
    const h = hashFactRowKeys(rows()[7]!);
    expect([...here.hashes.subarray(28, 32)]).toEqual([h.keyHi, h.keyLo, h.contentHi, h.contentLo]);
    expect(here.line(7)).toContain('Rebajas – 夏季 🎄\\t7\\\\n'); // COPY escapes the tab and the backslash
  });

  it('when a line is written into a buffer, its bytes are the line in UTF-8, and one that does not fit is not written', () => {
    for (const batch of [encodeFacts(rows()), receiveFactBatch(encodeFactsToTransfer(rows()))]) {
      const out = Buffer.alloc(4096, 0x2a);
      const end = batch.writeLine(7, out, 10, out.length);
      expect(out.toString('utf8', 10, end)).toBe(batch.line(7));
      const small = Buffer.alloc(20, 0x2a);
      const refused = batch.writeLine(7, small, 0, small.length);
      expect(refused).toBeLessThan(-20);
      expect(small.every((b) => b === 0x2a)).toBe(true);
    }
  });

  it('when a row has no valid date, both encodings end the batch before it and say why', () => {
    const input = rows();
    input[50] = { ...input[50]!, date: '2026-02-30x' };
    for (const batch of [encodeFacts(input), receiveFactBatch(encodeFactsToTransfer(input))]) {
      expect(batch.count).toBe(50);
      expect(batch.failure).toMatch(/date must be YYYY-MM-DD/);
      expect(batch.runs.at(-1)).toEqual({ dataType: 'ad_daily', date: '2026-02-28', end: 50 });
    }
  });

  it("when a row's numbers are not numbers, the thread's batch ends before it, and a batch encoded here refuses its text", () => {
    const input = rows();
    input[61] = { ...input[61]!, cost: 'twelve' };
    const there = receiveFactBatch(encodeFactsToTransfer(input));
    expect(there.count).toBe(61);
    expect(there.failure).toMatch(/cost must be a decimal/);
    expect(there.runs.at(-1)!.end).toBe(61);
    const here = encodeFacts(input);
    expect(here.count).toBe(120); // hashes do not read the numbers' form
    expect(() => here.line(61)).toThrow(FactRowError);
    expect(here.line(60)).toBe(there.line(60));
  });
});
