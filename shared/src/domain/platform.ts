// Each platform has one id in data (`google_ads`) and one folder in connectors/ (`google-ads/`).
import * as z from 'zod';

export const PLATFORMS = [
  'google_ads',
  'meta_ads',
  'ga4',
  'instagram',
  'shopify',
  'amazon_ads',
  'metricool',
  'klaviyo',
] as const;
export const PlatformSchema = z.enum(PLATFORMS);
export type Platform = z.infer<typeof PlatformSchema>;

export const PLATFORM_DISPLAY_NAMES: Record<Platform, string> = {
  google_ads: 'Google Ads',
  meta_ads: 'Meta Ads',
  ga4: 'Google Analytics 4',
  instagram: 'Instagram',
  shopify: 'Shopify',
  amazon_ads: 'Amazon Ads',
  metricool: 'Metricool',
  klaviyo: 'Klaviyo',
};
