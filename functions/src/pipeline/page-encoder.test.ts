// The page encoder's threads: a Google Ads batch's raw bytes come back as exactly the batch the worker's
// own thread would build (normalize, then the loader's encodeFacts); a page normalize refuses, or that is not JSON,
// fails as the connector's fatal error; pages spread over threads each come back to their caller.
import { afterAll, describe, expect, it } from 'vitest';
import { EXTRACTION_DEFINITION } from '@tributary/shared/workflow/extraction-definition';
import { FatalConnectorError, type RecordMeta } from '@tributary/connectors/contract';
import { normalizeGoogleAdsPage } from '@tributary/connectors/google-ads/google-ads-normalize';
import { encodeFacts, type FactBatch } from '@tributary/shared/facts/fact-encoder';
import { createPageEncoder, PageEncoderThreadError } from './page-encoder';

const meta: RecordMeta = {
  account: { id: '1234567890', name: 'Acme – España', currency: 'EUR', timeZone: 'Europe/Madrid' },
  reportType: 'ad_daily',
  window: { start: '2026-11-01', end: '2026-11-30' },
};

/** what the loader reads of a batch: per row its hashes and text, and the batch's runs */
const contents = (b: FactBatch) => ({
  count: b.count,
  hashes: [...b.hashes.subarray(0, b.count * 4)],
  runs: b.runs,
  lines: Array.from({ length: b.count }, (_, i) => b.line(i)),
  failure: b.failure,
});

/** a searchStream message as Google sends it: rows of a day or two, names beyond ASCII in some */
function message(rows: number, firstDay = 1): object {
  return {
    results: Array.from({ length: rows }, (_, i) => ({
      campaign: { id: String(100 + (i % 7)), name: i % 5 === 0 ? `Rebajas – Navidad 🎄 ${i % 7}` : `Brand ${i % 7}` },
      adGroup: { id: String(1000 + (i % 13)), name: `Group ${i % 13}` },
      adGroupAd: { ad: { id: String(50_000 + i), name: `Ad ${i}` } },
      segments: { date: `2026-11-${String(firstDay + Math.floor(i / 40)).padStart(2, '0')}` },
      metrics: {
        impressions: String(100 + i),
        clicks: String(i % 11),
        costMicros: String(1_230_000 * (i % 4)),
        conversions: (i % 3) * 0.5,
        conversionsValue: i * 1.25,
        ctr: 0.01 * (i % 11),
        averageCpc: 12_345,
      },
    })),
    fieldMask:
      'campaign.id,campaign.name,adGroup.id,adGroup.name,adGroupAd.ad.id,adGroupAd.ad.name,segments.date,metrics.impressions',
    requestId: 'req-1',
  };
}

/** the message's bytes as they arrive: in pieces, cut anywhere (here inside a multi-byte character too) */
function pieces(value: object): Buffer[] {
  const bytes = Buffer.from(JSON.stringify(value));
  const cut = bytes.indexOf(Buffer.from('🎄')) + 2;
  return cut > 2 ? [bytes.subarray(0, cut), bytes.subarray(cut, cut + 1000), bytes.subarray(cut + 1000)] : [bytes];
}

const encoder = createPageEncoder(2);
afterAll(() => encoder.close());

describe('page encoder', () => {
  it('when a Google Ads batch is encoded on a thread, it equals what normalize and encodeFacts make on this one', async () => {
    const value = message(400);
    const here = encodeFacts(normalizeGoogleAdsPage({ body: value, cursor: null, index: 0 }, meta));
    const there = await encoder.encode('google_ads', pieces(value), meta);
    expect(there.count).toBe(400);
    expect(contents(there)).toEqual(contents(here));
    expect(there.line(0)).toContain('Rebajas – Navidad 🎄');
  });

  it('when many pages are encoded at once over two threads, each caller gets its own page back', async () => {
    const pages = Array.from({ length: 12 }, (_, n) => message(20 + n * 7, 1 + n));
    const batches = await Promise.all(pages.map((p) => encoder.encode('google_ads', pieces(p), meta)));
    expect(batches.map((b) => b.count)).toEqual(pages.map((_, n) => 20 + n * 7));
    expect(batches.map((b) => b.runs[0]!.date)).toEqual(
      pages.map((_, n) => `2026-11-${String(1 + n).padStart(2, '0')}`),
    );
  });

  it("when a page is not JSON or normalize refuses it, the encode fails with the connector's fatal error", async () => {
    const truncated = Buffer.from(JSON.stringify(message(3))).subarray(0, 120);
    const notJson = await encoder.encode('google_ads', [truncated], meta).catch((e: unknown) => e);
    expect(notJson).toBeInstanceOf(FatalConnectorError);
    expect((notJson as FatalConnectorError).message).toMatch(/not valid JSON/);
    expect((notJson as FatalConnectorError).platform).toBe('google_ads');

    const noDate = message(3) as { results: { segments: Record<string, unknown> }[] };
    delete noDate.results[1]!.segments.date;
    const refused = await encoder.encode('google_ads', pieces(noDate), meta).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(FatalConnectorError);
    expect((refused as Error).message).toMatch(/without segments\.date/);

    // the threads are still there for the next page
    expect((await encoder.encode('google_ads', pieces(message(5)), meta)).count).toBe(5);
  });

  it('when a thread dies with a page queued, that page fails as a thread error the state machine retries, and the next page gets a new thread', async () => {
    const own = createPageEncoder(1);
    const queued = own.encode('google_ads', pieces(message(2_000)), meta);
    await own.close(); // the thread is terminated under the page
    const err = await queued.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PageEncoderThreadError);
    expect((err as Error).name).toBe('PageEncoderThreadError');
    const asl = EXTRACTION_DEFINITION;
    expect(
      (
        JSON.parse(asl).States.ExtractWorkItems.ItemProcessor.States.Extract.Retry as { ErrorEquals: string[] }[]
      ).flatMap((r) => r.ErrorEquals),
    ).toContain('PageEncoderThreadError');
    expect((await own.encode('google_ads', pieces(message(5)), meta)).count).toBe(5);
    await own.close();
  });

  it("when a platform's raw bytes are not its page body, it is not offered to the threads", () => {
    expect(encoder.supports('google_ads')).toBe(true);
    for (const platform of ['meta_ads', 'ga4', 'instagram'] as const) expect(encoder.supports(platform)).toBe(false);
  });
});
