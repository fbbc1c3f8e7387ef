// Lambda entry of the management API's credentials routes (infra/lib/management-api.ts deploys it).
import { apiGroupLambda } from '../api-lambda';
import { registeredConnector } from '../registered-connector';
import { credentialRoutes } from './credential.handlers';

export const credentialsHandler = apiGroupLambda(credentialRoutes, { findConnector: registeredConnector });
