// The deployment's OAuth apps by platform, for each connector that declares which one its consent flow uses.
// Handed to connectors per call as ConnectorContext.oauthClient and never copied into a tenant's credential.
import type { Connector, OAuthClientConfig } from '@tributary/connectors/contract';
import type { PlatformsConfig } from '@tributary/shared/config/config';
import { PLATFORMS, type Platform } from '@tributary/shared/domain/platform';

export type OAuthClients = Partial<Record<Platform, OAuthClientConfig>>;

/** `findConnector`: the caller's connector lookup (the registry's, where the caller carries it). */
export function oauthClientsFromConfig(
  platforms: PlatformsConfig,
  findConnector: (platform: Platform) => Connector<unknown> | undefined,
): OAuthClients {
  const clients: OAuthClients = {};
  for (const platform of PLATFORMS) {
    const app = findConnector(platform)?.oauthApp;
    const client = app ? platforms.oauthApps[app] : undefined;
    if (client) clients[platform] = client;
  }
  return clients;
}
