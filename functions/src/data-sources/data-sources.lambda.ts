// Lambda entry of the management API's data-sources routes (infra/lib/management-api.ts deploys it).
import { apiGroupLambda } from '../api-lambda';
import { findConnector } from '@tributary/connectors/registry';
import { dataSourceRoutes } from './data-source.handlers';

export const dataSourcesHandler = apiGroupLambda(dataSourceRoutes, { kind: 'api-extract', findConnector });
