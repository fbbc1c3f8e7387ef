// The deployment's OAuth apps by platform (one Google app, one Meta app), from config. Handed to connectors
// per call as ConnectorContext.oauthClient and never copied into a tenant's stored credential.
import type { OAuthClientConfig } from '@tributary/connectors/contract';
import type { PlatformsConfig } from '@tributary/shared/config/config';
import type { Platform } from '@tributary/shared/domain/platform';

export type OAuthClients = Partial<Record<Platform, OAuthClientConfig>>;

export function oauthClientsFromConfig(platforms: PlatformsConfig): OAuthClients {
  const { google, meta } = platforms.oauthApps;
  return { ...(google ? { google_ads: google, ga4: google } : {}), ...(meta ? { meta_ads: meta, instagram: meta } : {}) };
}
