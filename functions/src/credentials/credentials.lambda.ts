// Lambda entry of the management API's credentials routes (infra/lib/management-api.ts deploys it).
import { apiGroupLambda } from '../api-lambda';
import { findConnector } from '@tributary/connectors/registry';
import { credentialRoutes } from './credential.handlers';

export const credentialsHandler = apiGroupLambda(credentialRoutes, { findConnector });
