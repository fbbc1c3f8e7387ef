// Lambda entry of the management API's data-sources routes (infra/lib/management-api.ts deploys it).
import { apiGroupLambda } from '../api-lambda';
import { registeredConnector } from '../registered-connector';
import { dataSourceRoutes } from './data-source.handlers';

export const dataSourcesHandler = apiGroupLambda(dataSourceRoutes, { kind: 'api-extract', findConnector: registeredConnector });
