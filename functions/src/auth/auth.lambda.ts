// Lambda entry of the management API's auth routes (infra/lib/management-api.ts deploys it).
import { apiGroupLambda } from '../api-lambda';
import { authRoutes } from './auth.handlers';

export const authHandler = apiGroupLambda(authRoutes);
