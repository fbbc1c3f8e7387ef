// The registry's lookup, for the API entries whose routes reach a platform or describe the built ones
// (credentials, data-sources, platforms): importing it puts the connectors into that entry's bundle.
import { listConnectors } from '@tributary/connectors/registry';
import type { Connector } from '@tributary/connectors/contract';
import type { Platform } from '@tributary/shared/domain/platform';

export function registeredConnector(platform: Platform): Connector<unknown> | undefined {
  return listConnectors().find((c) => c.platform === platform);
}
