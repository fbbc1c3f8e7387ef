// The raw archive's page format: a platform's own bytes (in any number of pieces) become one NDJSON line,
// gzipped; a page without raw bytes is one line per record.
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { gzippedPage } from './worker';

describe('gzippedPage', () => {
  it('when the raw bytes arrive in pieces, with line breaks and a character split between pieces, the archive is that JSON as one line', async () => {
    const json = JSON.stringify({ results: [{ name: 'Café 😀' }], fieldMask: 'campaign.name' }, null, 2);
    const bytes = Buffer.from(json);
    const cut = bytes.indexOf(Buffer.from('😀')) + 2; // inside the 4-byte character
    const archived = gunzipSync(
      await gzippedPage({ body: null, raw: [bytes.subarray(0, 7), bytes.subarray(7, cut), bytes.subarray(cut)] }),
    ).toString('utf8');
    expect(archived.endsWith('\n')).toBe(true);
    expect(archived.trimEnd().includes('\n')).toBe(false);
    expect(JSON.parse(archived)).toEqual(JSON.parse(json));
  });

  it('when a page has no raw bytes, each record of its body is one line', async () => {
    const archived = gunzipSync(await gzippedPage({ body: [{ a: 1 }, { b: 'x\ny' }] })).toString('utf8');
    expect(archived.split('\n')).toEqual(['{"a":1}', '{"b":"x\\ny"}', '']);
  });
});
