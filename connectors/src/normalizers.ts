// The page encoder thread's way to a connector's normalize (functions/src/pipeline/page-encoder.thread.ts).
// Which platforms qualify is the connector's declaration (`normalizesRawBytes` in registry.ts's connectors:
// a page's raw bytes are the JSON text of its body); this module only says where each one's pure normalize
// module is, imported lazily, so the thread loads this file and one normalize module (megabytes), never the
// registry with its platform SDKs (about 190 MB). normalizers.test.ts holds the two lists to each other.
import type { FactRow } from '@tributary/shared/domain/fact-row';
import type { Platform } from '@tributary/shared/domain/platform';
import type { RawPage, RecordMeta } from './contract';

export type PageNormalizer = (page: RawPage, meta: RecordMeta) => FactRow[];

const RAW_BYTES_NORMALIZERS: Partial<Record<Platform, () => Promise<PageNormalizer>>> = {
  google_ads: async () => (await import('./google-ads/google-ads-normalize')).normalizeGoogleAdsPage,
};

/** The normalize of a platform whose connector declares normalizesRawBytes; undefined for the others. */
export function rawBytesNormalizer(platform: Platform): (() => Promise<PageNormalizer>) | undefined {
  return RAW_BYTES_NORMALIZERS[platform];
}
