// Lambda entry of the management API's platform catalog route (infra/lib/management-api.ts deploys it).
import { listConnectors } from '@tributary/connectors/registry';
import type { Platform } from '@tributary/shared/domain/platform';
import { apiGroupLambda } from '../api-lambda';
import { platformRoutes } from './platform.handlers';

// the catalog describes the built connectors (versions, report types): this bundle carries the registry
const registered = (platform: Platform) => listConnectors().find((c) => c.platform === platform);

export const platformsHandler = apiGroupLambda(platformRoutes, { findConnector: registered });
