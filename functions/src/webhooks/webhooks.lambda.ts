// Lambda entry of the management API's webhooks routes (infra/lib/management-api.ts deploys it).
import { apiGroupLambda } from '../api-lambda';
import { webhookRoutes } from './webhook.handlers';

export const webhooksHandler = apiGroupLambda(webhookRoutes);
