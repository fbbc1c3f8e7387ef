import { defineRoute } from '@tributary/shared/http/route';
import { ProjectParamsSchema, STANDARD_ERRORS, conflict } from '../common.schemas';
import {
  CreateDataSourceBodySchema,
  DataSourceListSchema,
  DataSourceParamsSchema,
  DataSourceSchema,
  DataSourceStatusSchema,
  ExtractAcceptedSchema,
  ExtractBodySchema,
  JobParamsSchema,
  RunDetailsSchema,
  UpdateDataSourceBodySchema,
} from './data-source.schemas';

const tags = ['data-sources'];
const base = '/api/v1/projects/{project_id}/data-sources';

export const listDataSourcesRoute = defineRoute({
  operationId: 'listDataSources',
  method: 'get',
  path: base,
  summary: 'Data sources of a project',
  tags,
  auth: 'user',
  minimumRole: 'viewer',
  request: { params: ProjectParamsSchema },
  responses: { 200: { description: 'Data sources', schema: DataSourceListSchema }, ...STANDARD_ERRORS },
});
export const createDataSourceRoute = defineRoute({
  operationId: 'createDataSource',
  method: 'post',
  path: base,
  summary: "Configure an extraction (checked against the connector's catalog)",
  tags,
  auth: 'user',
  minimumRole: 'admin',
  request: { params: ProjectParamsSchema, body: CreateDataSourceBodySchema },
  responses: { 201: { description: 'Created', schema: DataSourceSchema }, 409: conflict, ...STANDARD_ERRORS },
});
export const getDataSourceRoute = defineRoute({
  operationId: 'getDataSource',
  method: 'get',
  path: `${base}/{source_id}`,
  summary: 'One data source',
  tags,
  auth: 'user',
  minimumRole: 'viewer',
  request: { params: DataSourceParamsSchema },
  responses: { 200: { description: 'Data source', schema: DataSourceSchema }, ...STANDARD_ERRORS },
});
export const updateDataSourceRoute = defineRoute({
  operationId: 'updateDataSource',
  method: 'put',
  path: `${base}/{source_id}`,
  summary: 'Update a data source',
  tags,
  auth: 'user',
  minimumRole: 'admin',
  request: { params: DataSourceParamsSchema, body: UpdateDataSourceBodySchema },
  responses: { 200: { description: 'Updated', schema: DataSourceSchema }, 409: conflict, ...STANDARD_ERRORS },
});
export const deleteDataSourceRoute = defineRoute({
  operationId: 'deleteDataSource',
  method: 'delete',
  path: `${base}/{source_id}`,
  summary: 'Delete a data source',
  tags,
  auth: 'user',
  minimumRole: 'admin',
  request: { params: DataSourceParamsSchema },
  responses: { 204: { description: 'Deleted' }, ...STANDARD_ERRORS },
});
export const extractDataSourceRoute = defineRoute({
  operationId: 'extractDataSource',
  method: 'post',
  path: `${base}/{source_id}/extract`,
  summary: 'Start an extraction now',
  tags,
  auth: 'user',
  minimumRole: 'analyst',
  request: { params: DataSourceParamsSchema, body: ExtractBodySchema },
  responses: { 202: { description: 'Queued', schema: ExtractAcceptedSchema }, 409: conflict, ...STANDARD_ERRORS },
});
export const dataSourceStatusRoute = defineRoute({
  operationId: 'getDataSourceStatus',
  method: 'get',
  path: `${base}/{source_id}/status`,
  summary: 'Latest jobs with progress',
  tags,
  auth: 'user',
  minimumRole: 'viewer',
  request: { params: DataSourceParamsSchema },
  responses: { 200: { description: 'Status', schema: DataSourceStatusSchema }, ...STANDARD_ERRORS },
});
export const getExtractionJobRoute = defineRoute({
  operationId: 'getExtractionJob',
  method: 'get',
  path: `${base}/{source_id}/jobs/{job_id}`,
  summary: 'One run: its per-window items with errors in plain words, and how much it restated per day',
  tags,
  auth: 'user',
  minimumRole: 'viewer',
  request: { params: JobParamsSchema },
  responses: { 200: { description: 'Run details', schema: RunDetailsSchema }, ...STANDARD_ERRORS },
});
