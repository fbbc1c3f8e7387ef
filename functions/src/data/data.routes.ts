import { z } from 'zod';
import { defineRoute } from '@tributary/shared/http/route';
import { ProjectParamsSchema, STANDARD_ERRORS } from '../common.schemas';
import { DataQuerySchema } from './query.schemas';

const tags = ['data'];
const base = '/api/v1/projects/{project_id}/data';
/** GET query strings are parsed by parseUrlQuery from the raw string (filters repeat), so any key passes here */
const RawQuerySchema = z.record(z.string(), z.string());
const DataResultSchema = z.object({
  meta: z.record(z.string(), z.unknown()),
  columns: z.array(z.object({ key: z.string(), name: z.string(), type: z.string() })),
  rows: z.array(z.record(z.string(), z.unknown())),
  row_count: z.number(),
  next_cursor: z.string().nullable(),
});
const CatalogSchema = z.object({ project_id: z.string(), platforms: z.array(z.string()), fields: z.array(z.record(z.string(), z.unknown())) });
const unprocessable = { description: 'FX_RATE_MISSING or RESULT_TOO_LARGE', schema: STANDARD_ERRORS[400].schema };

export const getDataRoute = defineRoute({ operationId: 'getData', method: 'get', path: base, summary: 'Rows by day (default) with the query-string filters of the webhook API; paged with limit and cursor', tags, auth: 'user', request: { params: ProjectParamsSchema, query: RawQuerySchema }, responses: { 200: { description: 'Rows', schema: DataResultSchema }, 304: { description: 'Not modified' }, 422: unprocessable, ...STANDARD_ERRORS } });
export const getDataSummaryRoute = defineRoute({ operationId: 'getDataSummary', method: 'get', path: `${base}/summary`, summary: 'Totals for the range (by platform unless dimensions say otherwise)', tags, auth: 'user', request: { params: ProjectParamsSchema, query: RawQuerySchema }, responses: { 200: { description: 'Totals', schema: DataResultSchema }, 304: { description: 'Not modified' }, 422: unprocessable, ...STANDARD_ERRORS } });
export const getDataMetricsRoute = defineRoute({ operationId: 'getDataMetrics', method: 'get', path: `${base}/metrics`, summary: "Every metric and dimension available for the project's platforms, with descriptions and units", tags, auth: 'user', request: { params: ProjectParamsSchema }, responses: { 200: { description: 'Catalog', schema: CatalogSchema }, ...STANDARD_ERRORS } });
export const postDataQueryRoute = defineRoute({ operationId: 'queryData', method: 'post', path: `${base}/query`, summary: 'The full query request (original design, section 4.2)', tags, auth: 'user', request: { params: ProjectParamsSchema, body: DataQuerySchema }, responses: { 200: { description: 'Rows', schema: DataResultSchema }, 422: unprocessable, ...STANDARD_ERRORS } });
export const exportDataRoute = defineRoute({ operationId: 'exportData', method: 'get', path: `${base}/export`, summary: 'The same rows as a file to download (format=csv|tsv|xlsx|json|ndjson|xml|html, default csv), up to what one API response carries; whole exports go through a webhook URL', tags, auth: 'user', request: { params: ProjectParamsSchema, query: RawQuerySchema }, responses: { 200: { description: 'The file (Content-Disposition: attachment)' }, 304: { description: 'Not modified' }, 422: { description: 'FX_RATE_MISSING, RESULT_TOO_LARGE or EXPORT_TOO_LARGE', schema: STANDARD_ERRORS[400].schema }, ...STANDARD_ERRORS } });
