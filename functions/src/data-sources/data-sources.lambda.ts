// Lambda entry of the management API's data-sources routes (infra/lib/management-api.ts deploys it).
import { listConnectors } from '@tributary/connectors/registry';
import type { Platform } from '@tributary/shared/domain/platform';
import { apiGroupLambda } from '../api-lambda';
import { dataSourceRoutes } from './data-source.handlers';

// these routes reach the platforms (validate, OAuth, catalog): this bundle carries the connectors
const registered = (platform: Platform) => listConnectors().find((c) => c.platform === platform);

export const dataSourcesHandler = apiGroupLambda(dataSourceRoutes, { kind: 'api-extract', findConnector: registered });
