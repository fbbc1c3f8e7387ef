// The deployment's OAuth apps by platform, for each connector that declares which one its consent flow uses.
// Handed to connectors per call as ConnectorContext.oauthClient and never copied into a tenant's credential.
import type { OAuthClientConfig } from '@tributary/connectors/contract';
import { listConnectors } from '@tributary/connectors/registry';
import type { PlatformsConfig } from '@tributary/shared/config/config';
import type { Platform } from '@tributary/shared/domain/platform';

export type OAuthClients = Partial<Record<Platform, OAuthClientConfig>>;

export function oauthClientsFromConfig(platforms: PlatformsConfig): OAuthClients {
  const clients: OAuthClients = {};
  for (const c of listConnectors()) {
    const app = c.oauthApp ? platforms.oauthApps[c.oauthApp] : undefined;
    if (app) clients[c.platform] = app;
  }
  return clients;
}
