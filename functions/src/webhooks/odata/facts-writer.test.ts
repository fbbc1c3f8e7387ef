import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FactsPageWriter, roundedInteger, type WriterField } from './facts-writer';

/** A value as PostgreSQL's COPY text format writes it (copyto.c CopyAttributeOutText). */
function copyText(v: string | null): string {
  if (v === null) return '\\N';
  const named: Record<string, string> = {
    '\b': 'b',
    '\f': 'f',
    '\n': 'n',
    '\r': 'r',
    '\t': 't',
    '\v': 'v',
    '\\': '\\',
  };
  return [...v].map((c) => (named[c] ? `\\${named[c]}` : c)).join('');
}

const NAME_UNIT = fc.oneof(
  fc.constantFrom('"', '\\', '\t', '\n', '\r', '\b', '\f', '\v', '\u0001', '\u001f', '\u007f', '\u2028', 'é', '😀'),
  fc.string({ unit: 'grapheme', minLength: 1, maxLength: 1 }),
);

const FIELDS: WriterField[] = [
  { name: 'Date', index: 0, kind: 'text' },
  { name: 'Name', index: 1, kind: 'text' },
  { name: 'Clicks', index: 2, kind: 'int64' },
  { name: 'Cost', index: 3, kind: 'number' },
];

/** Runs lines (fields + 1 key column) through a writer in chunks of `chunk` bytes; returns the JSON and writer. */
async function write(lines: (string | null)[][], pageRows: number, chunk: number) {
  const text = Buffer.from(lines.map((l) => `${l.map(copyText).join('\t')}\n`).join(''));
  const chunks: Buffer[] = [];
  for (let i = 0; i < text.length; i += chunk) chunks.push(text.subarray(i, i + chunk));
  const writer = new FactsPageWriter(FIELDS, 5, 1, pageRows, '{"value":[');
  const out: Buffer[] = [];
  await pipeline(Readable.from(chunks), writer, async (source: AsyncIterable<Buffer>) => {
    for await (const b of source) out.push(b);
  });
  return { json: `${Buffer.concat(out).toString()}]}`, writer };
}

describe('FactsPageWriter', () => {
  it('when names hold quotes, backslashes, tabs, newlines and control characters, JSON.parse gives them back', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.option(fc.string({ unit: NAME_UNIT, maxLength: 30 })), { minLength: 1, maxLength: 20 }),
        fc.integer({ min: 1, max: 64 }),
        async (rows, chunk) => {
          const lines = rows.map((name, i) => ['2026-06-01', name, String(i), '12.340000', `k${i}`]);
          const { json, writer } = await write(lines, 100, chunk);
          const parsed = JSON.parse(json) as { value: Record<string, unknown>[] };
          expect(parsed.value.map((r) => r['Name'])).toEqual(rows);
          expect(parsed.value[0]).toEqual({ Date: '2026-06-01', Name: rows[0], Clicks: 0, Cost: 12.34 });
          expect(writer.rows).toBe(rows.length);
          expect(writer.more).toBe(false);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('when a page is full, the line past it only sets more, and the last row keys are decoded', async () => {
    const lines = [1, 2, 3].map((i) => ['2026-06-01', `n${i}`, '1', '2', i === 2 ? 'a\tb\\c' : `k${i}`]);
    const { json, writer } = await write(lines, 2, 7);
    expect((JSON.parse(json) as { value: unknown[] }).value).toHaveLength(2);
    expect(writer).toMatchObject({ rows: 2, more: true, lastKeys: ['a\tb\\c'] });
  });

  it('when numbers are null, NaN, infinite or fractional Int64, they come out as JSON null, strings and rounded', async () => {
    const lines = [
      ['2026-06-01', null, null, null, 'k'],
      ['2026-06-01', 'x', '12.5', 'NaN', 'k'],
      ['2026-06-01', 'x', '-12.5', '-Infinity', 'k'],
      ['2026-06-01', 'x', '7.49', '-0.000001', 'k'],
    ];
    const { json } = await write(lines, 10, 1000);
    expect((JSON.parse(json) as { value: unknown[] }).value).toEqual([
      { Date: '2026-06-01', Name: null, Clicks: null, Cost: null },
      { Date: '2026-06-01', Name: 'x', Clicks: 13, Cost: 'NaN' },
      { Date: '2026-06-01', Name: 'x', Clicks: -13, Cost: '-Infinity' },
      { Date: '2026-06-01', Name: 'x', Clicks: 7, Cost: -0.000001 },
    ]);
    expect(['0.4', '-0.5', '99999999999999999999.5'].map(roundedInteger)).toEqual(['0', '-1', '100000000000000000000']);
  });

  it('when no property is selected, each row is an empty object', async () => {
    const writer = new FactsPageWriter([], 2, 1, 10, '[');
    const out: Buffer[] = [];
    await pipeline(Readable.from([Buffer.from('a\tk1\nb\tk2\n')]), writer, async (source: AsyncIterable<Buffer>) => {
      for await (const b of source) out.push(b);
    });
    expect(JSON.parse(`${Buffer.concat(out).toString()}]`)).toEqual([{}, {}]);
  });

  it('when a line has the wrong number of fields, the page fails instead of shifting columns', async () => {
    await expect(write([['2026-06-01', 'x', '1', '2']], 10, 100)).rejects.toThrow(/unexpected COPY line/);
  });
});
