// Lambda entry of the management API's data routes (infra/lib/management-api.ts deploys it).
import { apiGroupLambda } from '../api-lambda';
import { dataRoutes } from './data.handlers';

export const dataHandler = apiGroupLambda(dataRoutes);
