// Lambda entry of the management API's credentials routes (infra/lib/management-api.ts deploys it).
import { listConnectors } from '@tributary/connectors/registry';
import type { Platform } from '@tributary/shared/domain/platform';
import { apiGroupLambda } from '../api-lambda';
import { credentialRoutes } from './credential.handlers';

// these routes reach the platforms (validate, OAuth, catalog): this bundle carries the connectors
const registered = (platform: Platform) => listConnectors().find((c) => c.platform === platform);

export const credentialsHandler = apiGroupLambda(credentialRoutes, { findConnector: registered });
