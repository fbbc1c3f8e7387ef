// The data API behind API Gateway: JSON, paged (API Gateway's HTTP API stops at 10 MB and 30 s, so a page
// is at most MAX_API_PAGE rows; whole exports go through the streamed webhook endpoint). The same core as
// the webhook, streamData, runs the query: the totals cannot differ.
import { Writable } from 'node:stream';
import { ValidationError } from '@tributary/shared/domain/errors';
import { header } from '@tributary/shared/http/http-event';
import { projectHandler, type ProjectScope } from '@tributary/shared/http/project-scope';
import type { BoundRoute } from '@tributary/shared/http/route-group';
import type { ApiDeps } from '../api-deps';
import { projectCatalog } from './catalog';
import { AppError } from '@tributary/shared/domain/errors';
import { chooseFormat } from './formats';
import {
  exportDataRoute,
  getDataMetricsRoute,
  getDataRoute,
  getDataSummaryRoute,
  postDataQueryRoute,
} from './data.routes';
import { parseUrlQuery, type Aggregation, type DataQuery, type Dimension } from './query.schemas';
import { streamData } from './stream-data';

export const DEFAULT_API_PAGE = 1_000;
export const MAX_API_PAGE = 10_000;

/**
 * A buffered Lambda response carries at most 6 MB, and API Gateway sends binary as base64 (4/3 larger):
 * an export file stops at 4 MiB and says where the whole result is (a webhook URL streams any size).
 */
export const MAX_EXPORT_BYTES = 4 * 1024 * 1024;

class Collect extends Writable {
  private chunks: Buffer[] = [];
  private size = 0;
  constructor(private readonly maxBytes = Infinity) {
    super();
  }
  override _write(chunk: Buffer, _e: BufferEncoding, done: (error?: Error) => void) {
    this.size += chunk.length;
    if (this.size > this.maxBytes) return done(new ExportTooLargeError(this.maxBytes));
    this.chunks.push(Buffer.from(chunk));
    done();
  }
  bytes() {
    return Buffer.concat(this.chunks);
  }
  text() {
    return this.bytes().toString('utf8');
  }
}

class ExportTooLargeError extends AppError {
  constructor(maxBytes: number) {
    super(
      'RESULT_TOO_LARGE',
      `The file would be larger than the ${Math.round(maxBytes / 1024 / 1024)} MiB one API response carries; use a webhook URL (it streams any size), aggregate, or narrow the date range`,
      422,
      {
        max_bytes: maxBytes,
        suggestions: [
          'a webhook URL: /webhook/v1/{key}/data?format=csv',
          'aggregate=weekly',
          'a narrower start_date/end_date',
        ],
      },
    );
  }
}

async function runJson(
  deps: ApiDeps,
  scope: ProjectScope,
  query: DataQuery,
  ifNoneMatch: string | undefined,
  defaults: { aggregation: Aggregation; dimensions: Dimension[] },
) {
  if (query.limit !== undefined && query.limit > MAX_API_PAGE) {
    throw new ValidationError(
      `A page holds at most ${MAX_API_PAGE} rows; page with cursor, or use a webhook URL for whole exports`,
      { field: 'limit' },
    );
  }
  const out = new Collect();
  let headers: Record<string, string> = {};
  const summary = await streamData(
    deps.db,
    {
      organizationId: scope.organizationId,
      projectId: scope.projectId,
      query: { ...query, limit: query.limit ?? DEFAULT_API_PAGE },
      format: 'json',
      ifNoneMatch,
      defaults,
      now: deps.clock.now(),
    },
    { head: (_status, h) => ((headers = h), out) },
  );
  const { 'content-type': _contentType, ...rest } = headers;
  if (summary.status === 304) return { status: 304, headers: rest };
  return { status: 200, headers: rest, body: JSON.parse(out.text()) as unknown };
}

const DATA_DEFAULTS = { aggregation: 'daily' as const, dimensions: ['platform', 'campaign'] as Dimension[] };
const SUMMARY_DEFAULTS = { aggregation: 'total' as const, dimensions: ['platform'] as Dimension[] };

export const makeGetData = (deps: ApiDeps) =>
  projectHandler(
    getDataRoute,
    async ({ event }, scope) =>
      runJson(
        deps,
        scope,
        parseUrlQuery(new URLSearchParams(event.rawQueryString ?? ''), ['format']),
        header(event, 'if-none-match'),
        DATA_DEFAULTS,
      ),
    deps,
  );

export const makeGetDataSummary = (deps: ApiDeps) =>
  projectHandler(
    getDataSummaryRoute,
    async ({ event }, scope) =>
      runJson(
        deps,
        scope,
        parseUrlQuery(new URLSearchParams(event.rawQueryString ?? ''), ['format']),
        header(event, 'if-none-match'),
        SUMMARY_DEFAULTS,
      ),
    deps,
  );

export const makePostDataQuery = (deps: ApiDeps) =>
  projectHandler(
    postDataQueryRoute,
    async ({ body }, scope) => runJson(deps, scope, body, undefined, DATA_DEFAULTS),
    deps,
  );

/**
 * The rows as a file: the webhook's formats, through the API (so at most MAX_EXPORT_BYTES; webhooks stream the rest).
 */
export const makeExportData = (deps: ApiDeps) =>
  projectHandler(
    exportDataRoute,
    async ({ params, event }, scope) => {
      const search = new URLSearchParams(event.rawQueryString ?? '');
      const query = parseUrlQuery(search, ['format', 'bom']);
      const format = chooseFormat(search.get('format'), undefined, 'csv');
      const bom = search.get('bom');
      if (bom !== null && !['0', '1', 'true', 'false'].includes(bom))
        throw new ValidationError('bom is 1 or 0', { field: 'bom' });
      const out = new Collect(MAX_EXPORT_BYTES);
      let headers: Record<string, string> = {};
      let failed: unknown;
      out.on('error', (e) => (failed = e));
      const summary = await streamData(
        deps.db,
        {
          organizationId: scope.organizationId,
          projectId: params.project_id,
          query,
          format,
          bom: bom === '1' || bom === 'true',
          ifNoneMatch: header(event, 'if-none-match'),
          defaults: DATA_DEFAULTS,
          now: deps.clock.now(),
          attachmentName: `tributary-${params.project_id.slice(0, 8)}-${deps.clock.now().toISOString().slice(0, 10)}`,
        },
        { head: (_status, h) => ((headers = h), out) },
      ).catch((error: unknown) => Promise.reject(failed ?? error));
      if (failed) throw failed;
      if (summary.status === 304) return { status: 304, headers };
      return { status: 200, headers, rawBody: out.bytes() };
    },
    deps,
  );

export const makeGetDataMetrics = (deps: ApiDeps) =>
  projectHandler(
    getDataMetricsRoute,
    async ({ params }, scope) => {
      const catalog = await scope.withClient((client) =>
        projectCatalog(client, params.project_id, undefined, undefined),
      );
      return {
        status: 200,
        body: { project_id: params.project_id, platforms: catalog.platforms, fields: catalog.entries },
      };
    },
    deps,
  );

export function dataRoutes(deps: ApiDeps): BoundRoute[] {
  return [
    { route: getDataRoute, handler: makeGetData(deps) },
    { route: getDataSummaryRoute, handler: makeGetDataSummary(deps) },
    { route: getDataMetricsRoute, handler: makeGetDataMetrics(deps) },
    { route: postDataQueryRoute, handler: makePostDataQuery(deps) },
    { route: exportDataRoute, handler: makeExportData(deps) },
  ];
}
