import * as z from 'zod';
import { defineRoute } from '@tributary/shared/http/route';
import { ProjectParamsSchema, STANDARD_ERRORS } from '../common.schemas';
import { DataQuerySchema } from './query.schemas';

const tags = ['data'];
const base = '/api/v1/projects/{project_id}/data';
/**
 * GET query strings are parsed by parseUrlQuery from the raw string (filter repeats), which also refuses
 * unknown names; this schema names the parameters for the OpenAPI document and lets the raw string decide.
 */
const param = (description: string) => z.string().optional().describe(description);
const RawQuerySchema = z
  .object({
    platform: param('comma-separated platforms, e.g. google_ads,meta_ads'),
    data_source: param('comma-separated data source ids'),
    start_date: param('YYYY-MM-DD'),
    end_date: param('YYYY-MM-DD'),
    date_range: param('relative range: today, yesterday, last_30_days, this_month, last_month, …'),
    metrics: param('comma-separated metrics (see /data/metrics)'),
    dimensions: param(
      'comma-separated dimensions: date, week, month, platform, account, campaign, ad_group, ad, extra.<key>',
    ),
    aggregate: param('none, daily, weekly, monthly or total'),
    filter: param('field:op:value, repeatable (eq, neq, in with |, gte, lte, between with |, contains)'),
    currency: param('ISO 4217 code or native (default: the project reporting currency)'),
    sort: param('comma-separated columns, - for descending'),
    limit: param('rows per page'),
    cursor: param('next_cursor of the previous page'),
    format: param('export only: csv, tsv, xlsx, json, ndjson, xml, html'),
    bom: param('export only: 1 for a UTF-8 byte order mark'),
  })
  .passthrough();
const DataResultSchema = z.object({
  meta: z.record(z.string(), z.unknown()),
  columns: z.array(z.object({ key: z.string(), name: z.string(), type: z.string() })),
  rows: z.array(z.record(z.string(), z.unknown())),
  row_count: z.number(),
  next_cursor: z.string().nullable(),
});
const CatalogSchema = z.object({
  project_id: z.string(),
  platforms: z.array(z.string()),
  fields: z.array(z.record(z.string(), z.unknown())),
});
const unprocessable = { description: 'FX_RATE_MISSING or RESULT_TOO_LARGE', schema: STANDARD_ERRORS[400].schema };

export const getDataRoute = defineRoute({
  operationId: 'getData',
  method: 'get',
  path: base,
  summary: 'Rows by day (default) with the query-string filters of the webhook API; paged with limit and cursor',
  tags,
  auth: 'user',
  minimumRole: 'viewer',
  request: { params: ProjectParamsSchema, query: RawQuerySchema },
  responses: {
    200: { description: 'Rows', schema: DataResultSchema },
    304: { description: 'Not modified' },
    422: unprocessable,
    ...STANDARD_ERRORS,
  },
});
export const getDataSummaryRoute = defineRoute({
  operationId: 'getDataSummary',
  method: 'get',
  path: `${base}/summary`,
  summary: 'Totals for the range (by platform unless dimensions say otherwise)',
  tags,
  auth: 'user',
  minimumRole: 'viewer',
  request: { params: ProjectParamsSchema, query: RawQuerySchema },
  responses: {
    200: { description: 'Totals', schema: DataResultSchema },
    304: { description: 'Not modified' },
    422: unprocessable,
    ...STANDARD_ERRORS,
  },
});
export const getDataMetricsRoute = defineRoute({
  operationId: 'getDataMetrics',
  method: 'get',
  path: `${base}/metrics`,
  summary: "Every metric and dimension available for the project's platforms, with descriptions and units",
  tags,
  auth: 'user',
  minimumRole: 'viewer',
  request: { params: ProjectParamsSchema },
  responses: { 200: { description: 'Catalog', schema: CatalogSchema }, ...STANDARD_ERRORS },
});
export const postDataQueryRoute = defineRoute({
  operationId: 'queryData',
  method: 'post',
  path: `${base}/query`,
  summary: 'The full query request (original design, section 4.2)',
  tags,
  auth: 'user',
  minimumRole: 'viewer',
  request: { params: ProjectParamsSchema, body: DataQuerySchema },
  responses: { 200: { description: 'Rows', schema: DataResultSchema }, 422: unprocessable, ...STANDARD_ERRORS },
});
export const exportDataRoute = defineRoute({
  operationId: 'exportData',
  method: 'get',
  path: `${base}/export`,
  summary:
    'The same rows as a file to download (format=csv|tsv|xlsx|json|ndjson|xml|html, default csv), up to what one API response carries; whole exports go through a webhook URL',
  tags,
  auth: 'user',
  minimumRole: 'viewer',
  request: { params: ProjectParamsSchema, query: RawQuerySchema },
  responses: {
    200: { description: 'The file (Content-Disposition: attachment)' },
    304: { description: 'Not modified' },
    422: { description: 'FX_RATE_MISSING, RESULT_TOO_LARGE or EXPORT_TOO_LARGE', schema: STANDARD_ERRORS[400].schema },
    ...STANDARD_ERRORS,
  },
});
