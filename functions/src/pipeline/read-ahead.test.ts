// readAhead: the source is pulled before the consumer asks, one item ahead, errors arrive in order, and an
// early stop closes the source.
import { describe, expect, it } from 'vitest';
import { readAhead } from './read-ahead';

/** A source that records when each item was requested and when it was closed. */
function recordingSource(items: number[], failAt?: number) {
  const log: string[] = [];
  async function* gen() {
    try {
      for (let i = 0; i < items.length; i++) {
        log.push(`request ${i}`);
        await new Promise((r) => setTimeout(r, 1));
        if (i === failAt) throw new Error(`item ${i} failed`);
        yield items[i]!;
      }
    } finally {
      log.push('closed');
    }
  }
  return { log, source: gen() };
}

describe('readAhead', () => {
  it('when created, it requests the first item before the consumer asks', async () => {
    const { log, source } = recordingSource([1, 2, 3]);
    readAhead(source);
    await new Promise((r) => setTimeout(r, 0));
    expect(log).toEqual(['request 0']);
  });

  it('when the consumer takes an item, the next is already requested; all items arrive in order', async () => {
    const { log, source } = recordingSource([1, 2, 3]);
    const ahead = readAhead(source);
    const first = await ahead.next();
    expect(first).toEqual({ done: false, value: 1 });
    await new Promise((r) => setTimeout(r, 0));
    expect(log).toContain('request 1');
    const rest: number[] = [];
    for await (const v of ahead) rest.push(v);
    expect(rest).toEqual([2, 3]);
    expect(log.at(-1)).toBe('closed');
  });

  it('when the source fails, the items before arrive and the failure comes on the pull of the failed item', async () => {
    const { source } = recordingSource([1, 2, 3], 1);
    const ahead = readAhead(source);
    expect(await ahead.next()).toEqual({ done: false, value: 1 });
    await expect(ahead.next()).rejects.toThrow('item 1 failed');
    expect(await ahead.next()).toEqual({ done: true, value: undefined });
  });

  it('when the consumer stops early, the source is closed', async () => {
    const { log, source } = recordingSource([1, 2, 3, 4]);
    const ahead = readAhead(source);
    for await (const v of ahead) if (v === 2) break;
    await new Promise((r) => setTimeout(r, 5));
    expect(log.at(-1)).toBe('closed');
    expect(log).not.toContain('request 3');
  });
});
