// Unit: waiting for a slow client to drain, as every format writer does between batches.
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { writeChunk } from './row-writer';

/** A client that takes every chunk a moment later, so each write beyond the first waits for 'drain'. */
const slowClient = () =>
  new Writable({
    highWaterMark: 4,
    write: (_chunk, _enc, done) => void setImmediate(done),
  });

describe('row writer', () => {
  it('when a long export waits for the client to drain many times, the stream keeps no listener per wait', async () => {
    const out = slowClient();
    const before = { close: out.listenerCount('close'), error: out.listenerCount('error') };
    for (let i = 0; i < 50; i++) await writeChunk(out, 'a row of some length\r\n');
    // each wait left its 'close' (and 'error') listener behind: 50 of each, and Node's leak warning after 10
    expect(out.listenerCount('close')).toBe(before.close);
    expect(out.listenerCount('error')).toBe(before.error);
  });

  it('when the client goes away during a wait, the wait fails', async () => {
    const out = slowClient();
    out.write('fills the buffer');
    const waiting = writeChunk(out, 'more');
    out.destroy();
    await expect(waiting).rejects.toThrow('client went away');
  });
});
