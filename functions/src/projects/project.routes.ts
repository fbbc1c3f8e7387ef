import { defineRoute } from '@tributary/shared/http/route';
import { ProjectParamsSchema, STANDARD_ERRORS, conflict } from '../common.schemas';
import {
  ActivityQuerySchema,
  ActivitySchema,
  CreateProjectBodySchema,
  ListProjectsQuerySchema,
  ProjectListSchema,
  ProjectSchema,
  ProjectSummarySchema,
  UpdateProjectBodySchema,
} from './project.schemas';

const tags = ['projects'];
const base = '/api/v1/projects';

export const listProjectsRoute = defineRoute({
  operationId: 'listProjects',
  method: 'get',
  path: base,
  summary: 'Projects of your organizations',
  tags,
  auth: 'user',
  request: { query: ListProjectsQuerySchema },
  responses: { 200: { description: 'Projects', schema: ProjectListSchema }, ...STANDARD_ERRORS },
});
export const createProjectRoute = defineRoute({
  operationId: 'createProject',
  method: 'post',
  path: base,
  summary: 'Create a project',
  tags,
  auth: 'user',
  request: { body: CreateProjectBodySchema },
  responses: { 201: { description: 'Created', schema: ProjectSchema }, 409: conflict, ...STANDARD_ERRORS },
});
export const getProjectRoute = defineRoute({
  operationId: 'getProject',
  method: 'get',
  path: `${base}/{project_id}`,
  summary: 'One project',
  tags,
  auth: 'user',
  minimumRole: 'viewer',
  request: { params: ProjectParamsSchema },
  responses: { 200: { description: 'Project', schema: ProjectSchema }, ...STANDARD_ERRORS },
});
export const updateProjectRoute = defineRoute({
  operationId: 'updateProject',
  method: 'put',
  path: `${base}/{project_id}`,
  summary: 'Update a project',
  tags,
  auth: 'user',
  minimumRole: 'admin',
  request: { params: ProjectParamsSchema, body: UpdateProjectBodySchema },
  responses: { 200: { description: 'Updated', schema: ProjectSchema }, 409: conflict, ...STANDARD_ERRORS },
});
export const deleteProjectRoute = defineRoute({
  operationId: 'deleteProject',
  method: 'delete',
  path: `${base}/{project_id}`,
  summary: 'Delete a project and everything in it',
  tags,
  auth: 'user',
  minimumRole: 'admin',
  request: { params: ProjectParamsSchema },
  responses: { 204: { description: 'Deleted' }, ...STANDARD_ERRORS },
});
export const projectSummaryRoute = defineRoute({
  operationId: 'getProjectSummary',
  method: 'get',
  path: `${base}/{project_id}/summary`,
  summary: 'Data sources, last extraction, rows and 30-day spend by platform',
  tags,
  auth: 'user',
  minimumRole: 'viewer',
  request: { params: ProjectParamsSchema },
  responses: { 200: { description: 'Summary', schema: ProjectSummarySchema }, ...STANDARD_ERRORS },
});
export const projectActivityRoute = defineRoute({
  operationId: 'getProjectActivity',
  method: 'get',
  path: `${base}/{project_id}/activity`,
  summary: "The project's audit log, newest first",
  tags,
  auth: 'user',
  minimumRole: 'viewer',
  request: { params: ProjectParamsSchema, query: ActivityQuerySchema },
  responses: { 200: { description: 'Audit entries', schema: ActivitySchema }, ...STANDARD_ERRORS },
});
