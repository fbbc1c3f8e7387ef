// Lambda entry of the management API's platform catalog route (infra/lib/management-api.ts deploys it).
import { apiGroupLambda } from '../api-lambda';
import { registeredConnector } from '../registered-connector';
import { platformRoutes } from './platform.handlers';

export const platformsHandler = apiGroupLambda(platformRoutes, { findConnector: registeredConnector });
