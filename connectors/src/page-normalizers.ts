// The connectors whose pages can be normalized on another thread, given only the page's raw bytes: those
// whose RawPage.raw is the JSON text of RawPage.body (Google Ads: each searchStream message), and whose
// normalize module is light to load (it imports no platform SDK). The extract worker's page encoder thread
// (functions/src/pipeline/page-encoder.ts) loads nothing else, so a thread costs megabytes, not the
// connector registry's 190 MB. Adding a platform here needs only that its raw bytes parse to its body.
import type { FactRow } from '@tributary/shared/domain/fact-row';
import type { Platform } from '@tributary/shared/domain/platform';
import type { RawPage, RecordMeta } from './contract';

export type PageNormalizer = (page: RawPage, meta: RecordMeta) => FactRow[];

export const RAW_PAGE_NORMALIZERS: Partial<Record<Platform, () => Promise<PageNormalizer>>> = {
  google_ads: async () => (await import('./google-ads/google-ads-normalize')).normalizeGoogleAdsPage,
};
