// Lambda entry of the management API's projects routes (infra/lib/management-api.ts deploys it).
import { apiGroupLambda } from '../api-lambda';
import { projectRoutes } from './project.handlers';

export const projectsHandler = apiGroupLambda(projectRoutes);
