// Lambda entry of the management API's platform catalog route (infra/lib/management-api.ts deploys it).
// The catalog describes the built connectors (versions, report types): this bundle carries the registry.
import { findConnector } from '@tributary/connectors/registry';
import { apiGroupLambda } from '../api-lambda';
import { platformRoutes } from './platform.handlers';

export const platformsHandler = apiGroupLambda(platformRoutes, { findConnector });
