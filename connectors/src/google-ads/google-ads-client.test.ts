// The searchStream reader's splitter: any JSON array of objects, cut into chunks anywhere (inside strings,
// between a backslash and the byte it escapes, inside multi-byte characters), comes out as its elements'
// exact bytes; anything that is not a whole array of objects is refused.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { splitJsonArray, utf8Text } from './google-ads-client';

async function* chunked(bytes: Buffer, cuts: number[]): AsyncGenerator<Buffer> {
  let at = 0;
  for (const cut of [...new Set(cuts)].sort((a, b) => a - b)) {
    if (cut <= at || cut >= bytes.length) continue;
    yield bytes.subarray(at, cut);
    at = cut;
  }
  yield bytes.subarray(at);
}

async function split(bytes: Buffer, cuts: number[] = []): Promise<string[]> {
  const out: string[] = [];
  for await (const element of splitJsonArray(chunked(bytes, cuts))) out.push(utf8Text(element.bytes));
  return out;
}

// strings full of what a splitter can trip on: quotes, backslashes, brackets, unicode
const tricky = fc.string({ unit: fc.constantFrom('"', '\\', '{', '}', '[', ']', ',', 'a', 'é', '😀', '\n', ' ') });
const value = fc.letrec((tie) => ({
  v: fc.oneof(
    { depthSize: 'small' },
    tricky,
    fc.integer(),
    fc.double({ noNaN: true, noDefaultInfinity: true }).map((d) => (Object.is(d, -0) ? 0 : d)) /* JSON has no -0 */,
    fc.boolean(),
    fc.constant(null),
    fc.array(tie('v'), { maxLength: 3 }),
    fc.dictionary(tricky, tie('v'), { maxKeys: 3 }),
  ),
})).v;
const element = fc.dictionary(tricky, value, { maxKeys: 4 });

describe('splitJsonArray', () => {
  it('when an array of objects arrives cut anywhere, it yields each element exactly as sent', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(element, { maxLength: 6 }),
        fc.array(fc.nat(), { maxLength: 12 }),
        fc.boolean(),
        async (elements, cuts, pretty) => {
          const text = JSON.stringify(elements, null, pretty ? 2 : undefined);
          const bytes = Buffer.from(text);
          const got = await split(
            bytes,
            cuts.map((c) => c % (bytes.length + 1)),
          );
          expect(got.map((g) => JSON.parse(g))).toEqual(elements);
          // the bytes themselves, not a re-serialization: what the raw archive keeps
          expect(got).toEqual(
            elements.map((e) => JSON.stringify(e, null, pretty ? 2 : undefined).replace(/\n/g, '\n  ')),
          );
        },
      ),
      { numRuns: 300 },
    );
  });

  it("when elements arrive cut anywhere, each comes with the number of objects in its array members (a batch's row count)", async () => {
    const isObject = (v: unknown) => typeof v === 'object' && v !== null && !Array.isArray(v);
    const expected = (e: Record<string, unknown>) =>
      Object.values(e).reduce<number>((n, v) => n + (Array.isArray(v) ? v.filter(isObject).length : 0), 0);
    await fc.assert(
      fc.asyncProperty(
        fc.array(element, { maxLength: 6 }),
        fc.array(fc.nat(), { maxLength: 12 }),
        async (elements, cuts) => {
          const bytes = Buffer.from(JSON.stringify(elements));
          const counts: number[] = [];
          for await (const e of splitJsonArray(
            chunked(
              bytes,
              cuts.map((c) => c % (bytes.length + 1)),
            ),
          ))
            counts.push(e.arrayObjects);
          expect(counts).toEqual(elements.map(expected));
        },
      ),
      { numRuns: 300 },
    );
    // a searchStream message: its results count, not the summary row or an error's details
    const message = [
      {
        results: [{ campaign: { id: '1' } }, { campaign: { id: '2' } }],
        summaryRow: { metrics: { clicks: '3' } },
        fieldMask: 'campaign.id',
      },
      { error: { code: 429, details: [{ errors: [{}] }] } },
    ];
    const counts: number[] = [];
    for await (const e of splitJsonArray(chunked(Buffer.from(JSON.stringify(message)), [])))
      counts.push(e.arrayObjects);
    expect(counts).toEqual([2, 0]);
  });

  it('when the response is cut off before the array closes, it fails instead of yielding a short result', async () => {
    const bytes = Buffer.from(JSON.stringify([{ results: [{ a: '1' }] }, { results: [{ a: '2' }] }]));
    for (const end of [bytes.length - 1, bytes.length - 5, 20]) {
      await expect(split(bytes.subarray(0, end))).rejects.toThrow(/ended mid-JSON/);
    }
  });

  it('when the body is not an array of objects, it is refused', async () => {
    for (const text of ['{"results":[]}', '["text"]', '[1, 2]', '[{"a":1}] [{"b":2}]', ']']) {
      await expect(split(Buffer.from(text)), text).rejects.toThrow(/not a JSON array of objects/);
    }
  });

  it('when the array is empty, it yields nothing', async () => {
    expect(await split(Buffer.from(' [ ] '))).toEqual([]);
  });
});
