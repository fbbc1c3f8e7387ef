// Every connector Tributary ships, by platform id. Adding a platform is one line here (and its folder).
import type { Connector } from './contract';
import type { Platform } from '@tributary/shared/domain/platform';
import { ConnectorConfigError } from './contract';
import { ga4Connector } from './ga4/ga4.connector';
import { googleAdsConnector } from './google-ads/google-ads.connector';
import { instagramConnector } from './instagram/instagram.connector';
import { klaviyoConnector } from './klaviyo/klaviyo.connector';
import { metaAdsConnector } from './meta-ads/meta-ads.connector';
import { metricoolConnector } from './metricool/metricool.connector';

const CONNECTORS: Partial<Record<Platform, Connector<any>>> = {
  google_ads: googleAdsConnector,
  ga4: ga4Connector,
  meta_ads: metaAdsConnector,
  instagram: instagramConnector,
  metricool: metricoolConnector,
  klaviyo: klaviyoConnector,
};

export function getConnector(platform: Platform): Connector<unknown> {
  const connector = CONNECTORS[platform];
  if (!connector) throw new ConnectorConfigError(`no connector is available for ${platform} yet`, platform);
  return connector as Connector<unknown>;
}

/** The platform's connector, or undefined while it has not been built (callers answer 501). */
export function findConnector(platform: Platform): Connector<unknown> | undefined {
  return CONNECTORS[platform] as Connector<unknown> | undefined;
}

export function listConnectors(): Connector<unknown>[] {
  return Object.values(CONNECTORS) as Connector<unknown>[];
}
