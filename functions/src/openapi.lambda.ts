// Lambda entry of the management API's openapi routes (infra/lib/management-api.ts deploys it).
import { apiGroupLambda } from './api-lambda';
import { openApiRoutes } from './openapi';

export const openApiHandler = apiGroupLambda(openApiRoutes);
