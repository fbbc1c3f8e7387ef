// Lambda entry of the management API's members routes (infra/lib/management-api.ts deploys it).
import { apiGroupLambda } from '../api-lambda';
import { memberRoutes } from './member.handlers';

export const membersHandler = apiGroupLambda(memberRoutes);
