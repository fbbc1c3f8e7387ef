// Runs one data request end to end and streams it into a response: the core shared by the data API and
// the webhook endpoint (an HTTP server locally, a streaming Lambda function URL in AWS; both are thin shells
// around a Node Writable).
//
// Order matters, because a streamed response cannot take its status back once bytes are out:
//   1. project settings, date range, scope (the caller's scope always narrows the request, never widens it);
//   2. one preflight aggregate over the same rows: data version (for the ETag), fact count (Excel's row
//      limit), currencies present, and the first day lacking an exchange rate. Any refusal happens here;
//   3. ETag / If-None-Match → 304, or the 200 head;
//   4. rows straight from PostgreSQL into the writer: COPY … CSV for CSV (PostgreSQL formats faster than
//      any JS serializer), a cursor read in batches for every other format. Both wait for the client to
//      drain, so memory stays flat whatever the size of the result.
// All of it runs in one transaction as tributary_app with the organization set, so RLS applies throughout.
import { createHash } from 'node:crypto';
import { Transform, type TransformCallback, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Kysely, PostgresDialect } from 'kysely';
import type pg from 'pg';
import Cursor from 'pg-cursor';
import { to as copyTo } from 'pg-copy-streams';
import { discardConnection, type Database } from '@tributary/shared/db/database';
import { NotFoundError, ValidationError } from '@tributary/shared/domain/errors';
import { resolveDateRange } from './date-range';
import { FxRateMissingError, ResultTooLargeError } from './data.errors';
import { CONTENT_TYPES, createRowWriter } from './formats';
import { BOM, drained, endStream, writeChunk, type RawRow, type ResultMeta } from './formats/row-writer';
import {
  asCopyStatement,
  buildFactQuery,
  compile,
  encodeCursor,
  fxUsageQuery,
  MAX_RESULT_ROWS,
  type FxUsageRow,
  type OutputColumn,
  type PreflightRow,
  type QueryScope,
} from './query-builder';
import type { Aggregation, DataQuery, Dimension, Filter, OutputFormat } from './query.schemas';

/** What an access scope (a webhook's settings) allows; undefined fields allow everything in the project. */
export interface AccessScope {
  dataSources?: readonly string[];
  platforms?: readonly string[];
  filters?: readonly Filter[];
}

export interface DataRequest {
  organizationId: string;
  projectId: string;
  query: DataQuery;
  scope?: AccessScope;
  format: OutputFormat;
  bom?: boolean;
  ifNoneMatch?: string;
  defaults?: { dimensions?: Dimension[]; aggregation?: Aggregation };
  /** Excel's sheet limit by default */
  maxRows?: number;
  /** extra response headers (rate limits) */
  headers?: Record<string, string>;
  now?: Date;
  /** a file name for Content-Disposition (attachment), e.g. for /data/export */
  attachmentName?: string;
  /** freshness and restatements, for the XLSX sheet "About this data" and the JSON meta */
  about?: ResultMeta['about'];
  /** the request's statement_timeout (the app role's 30 s by default); a streamed export sets a longer one */
  statementTimeoutMs?: number;
}

export interface ResponseSink {
  /** sends status and headers; returns where the body goes */
  head(status: number, headers: Record<string, string>): Writable;
}

export interface DataResponseSummary {
  status: number;
  rows: number;
  etag: string;
}

/** Rows fetched per cursor round trip: large enough to amortize it, small enough to keep memory flat. */
const CURSOR_BATCH_ROWS = 2_000;

export const CACHE_CONTROL = 'private, no-cache, must-revalidate';

interface ProjectSettings {
  reporting_currency: string;
  timezone: string;
}

export async function streamData(db: Database, request: DataRequest, sink: ResponseSink): Promise<DataResponseSummary> {
  return db.withClient(
    {
      orgId: request.organizationId,
      role: 'app',
      ...(request.statementTimeoutMs ? { statementTimeoutMs: request.statementTimeoutMs } : {}),
    },
    async (client) => {
      const project = (
        await client.query<ProjectSettings>('SELECT reporting_currency, timezone FROM projects WHERE id = $1::uuid', [
          request.projectId,
        ])
      ).rows[0];
      if (!project) throw new NotFoundError('project', request.projectId);
      const { query } = request;
      const dates = resolveDateRange(query.date_range, project.timezone, request.now ?? new Date());
      const scope: QueryScope = {
        organizationId: request.organizationId,
        projectId: request.projectId,
        from: dates.from,
        to: dates.to,
        dataSources: narrow(query.data_sources, request.scope?.dataSources),
        platforms: narrow(query.platforms, request.scope?.platforms),
        filters: request.scope?.filters ?? [],
        currency: query.currency ?? project.reporting_currency,
      };
      const built = buildFactQuery(query, scope, {
        spreadsheetSafeText:
          request.format === 'csv' && (query.aggregation ?? request.defaults?.aggregation) === 'none',
        defaultDimensions: request.defaults?.dimensions,
        defaultAggregation: request.defaults?.aggregation,
      });
      const maxRows = request.maxRows ?? MAX_RESULT_ROWS;
      const wanted = (n: number) => Math.max(0, Math.min(n - built.offset, built.limit ?? Infinity));
      const etagOf = (version: unknown, count: unknown) =>
        `"${createHash('sha256')
          .update(
            JSON.stringify([
              built.fingerprint,
              version ? new Date(version as string).toISOString() : null,
              String(count),
              request.format,
              Boolean(request.bom),
            ]),
          )
          .digest('base64url')
          .slice(0, 32)}"`;
      const baseHeaders = (etag: string) => ({
        ...request.headers,
        etag,
        'cache-control': CACHE_CONTROL,
        vary: 'Accept',
      });
      const notModified = (etag: string) =>
        Boolean(request.ifNoneMatch?.split(',').some((t) => t.trim().replace(/^W\//, '') === etag || t.trim() === '*'));
      const metaOf = (fxUsed: FxUsageRow[]): ResultMeta => ({
        project_id: request.projectId,
        date_range: { start_date: dates.from, end_date: dates.to },
        aggregation: built.aggregation,
        currency: scope.currency,
        fx_rates_used: fxUsed.map((r) => ({
          currency: r.currency,
          source: r.sources,
          method: r.how,
          rate_date: "each row's own date",
          first_date: r.first_date,
          last_date: r.last_date,
          days: Number(r.days),
        })),
        time_zone_note:
          "Dates are each account's reporting dates, in the account's own time zone, as the platform reports them.",
        generated_at: (request.now ?? new Date()).toISOString(),
        ...(request.about ? { about: request.about } : {}),
      });
      const headersOf = (etag: string, fxUsed: FxUsageRow[]): Record<string, string> => {
        const headers: Record<string, string> = {
          ...baseHeaders(etag),
          'content-type': CONTENT_TYPES[request.format],
          'x-tributary-currency': scope.currency,
          'x-tributary-date-range': `${dates.from}/${dates.to}`,
          'x-tributary-dates': 'account reporting dates (account time zone)',
        };
        if (fxUsed.length)
          headers['x-tributary-fx-rates'] = fxUsed
            .map((r) => `${r.currency}->${scope.currency} ${r.sources} ${r.how} daily ${r.first_date}..${r.last_date}`)
            .join('; ');
        if (request.attachmentName)
          headers['content-disposition'] =
            `attachment; filename="${request.attachmentName.replace(/[^A-Za-z0-9._-]/g, '_')}.${request.format}"`;
        return headers;
      };
      const nextCursor = (n: number) =>
        built.limit !== undefined && n === built.limit ? encodeCursor(built.offset + n, built.fingerprint) : null;

      if (built.rowsWithStats) {
        // Aggregated: one pass. PostgreSQL reads every input row before the first group comes out, so the
        // stats columns (and a missing rate, raised inside the query) arrive before anything is sent.
        const fxUsed = built.converting ? (await runRaw<FxUsageRow>(client, fxUsageQuery(scope, null))).rows : [];
        const { text, values } = compile(built.rowsWithStats, kyselyCompiler);
        const cursor = client.query(new Cursor<RawRow>(text, values, { rowMode: 'array' }));
        const width = built.columns.length;
        let out: Writable | undefined;
        try {
          let batch = await cursor.read(CURSOR_BATCH_ROWS).catch((e: unknown) => Promise.reject(fromPgError(e)));
          const firstRow = batch[0];
          const stats = firstRow
            ? { version: firstRow[width], facts: firstRow[width + 1], groups: Number(firstRow[width + 2]) }
            : { version: null, facts: 0, groups: built.offset };
          if (wanted(stats.groups) > maxRows) throw new ResultTooLargeError(wanted(stats.groups), maxRows);
          const etag = etagOf(stats.version, `${stats.facts}/${stats.groups}`);
          if (notModified(etag)) {
            await endStream(sink.head(304, baseHeaders(etag)));
            return { status: 304, rows: 0, etag };
          }
          out = sink.head(200, headersOf(etag, fxUsed));
          const writer = createRowWriter(request.format, out, {
            columns: built.columns,
            meta: metaOf(fxUsed),
            bom: request.bom,
          });
          await writer.start();
          let count = 0;
          while (batch.length) {
            count += batch.length;
            await writer.writeRows(batch.map((r) => r.slice(0, width)));
            if (out.destroyed) throw new Error('client went away');
            batch = await cursor.read(CURSOR_BATCH_ROWS);
          }
          await cursor.close();
          await writer.end({ rowCount: count, nextCursor: nextCursor(count) });
          return { status: 200, rows: count, etag };
        } catch (err) {
          // once the status line is gone, cutting the stream (no final chunk) is how the client learns it is incomplete
          out?.destroy(err instanceof Error ? err : new Error(String(err)));
          throw err;
        } finally {
          // on every path, the 304 included: a result longer than one read leaves the portal open, and the
          // transaction's COMMIT would queue behind it forever, holding the connection
          await cursor.close().catch(() => {});
        }
      }

      // Raw rows stream out as they are read, so everything that can refuse them is checked first.
      const pre = (await runRaw<PreflightRow>(client, built.preflight)).rows[0]!;
      if (pre.missing_fx) {
        const [date, currency] = pre.missing_fx.split(' ') as [string, string];
        throw new FxRateMissingError(date, currency, scope.currency);
      }
      if (wanted(Number(pre.fact_rows)) > maxRows)
        throw new ResultTooLargeError(wanted(Number(pre.fact_rows)), maxRows);
      const etag = etagOf(pre.version, pre.fact_rows);
      if (notModified(etag)) {
        await endStream(sink.head(304, baseHeaders(etag)));
        return { status: 304, rows: 0, etag };
      }
      const foreign = (pre.currencies ?? []).filter((c) => c !== scope.currency);
      const fxUsed =
        built.converting && foreign.length ? (await runRaw<FxUsageRow>(client, fxUsageQuery(scope, foreign))).rows : [];
      const out = sink.head(200, headersOf(etag, fxUsed));
      try {
        const rows =
          request.format === 'csv'
            ? await copyCsv(client, built.rows, built.columns, out, Boolean(request.bom))
            : await cursorRows(
                client,
                built.rows,
                out,
                createRowWriter(request.format, out, {
                  columns: built.columns,
                  meta: metaOf(fxUsed),
                  bom: request.bom,
                }),
                nextCursor,
              );
        return { status: 200, rows, etag };
      } catch (err) {
        out.destroy(err instanceof Error ? err : new Error(String(err)));
        throw err;
      }
    },
  );
}

/** SQLSTATE TRFX1 is tributary_fx_missing(); class 22 is a value PostgreSQL could not use. */
function fromPgError(error: unknown): unknown {
  const e = error as { code?: string; detail?: string };
  if (e?.code === 'TRFX1' && e.detail) {
    const [date, currency, target] = e.detail.split(' ') as [string, string, string];
    return new FxRateMissingError(date, currency, target);
  }
  if (typeof e?.code === 'string' && e.code.startsWith('22'))
    return new ValidationError('The query could not be run with these values', { sqlstate: e.code });
  return error;
}

/** The caller's scope wins: a request can pick a subset of what the scope allows, never more. */
function narrow(
  requested: readonly string[] | undefined,
  allowed: readonly string[] | undefined,
): readonly string[] | undefined {
  if (!allowed || allowed.length === 0) return requested;
  if (!requested) return allowed;
  const set = new Set(allowed);
  return requested.filter((x) => set.has(x));
}

async function runRaw<R extends pg.QueryResultRow>(
  client: pg.PoolClient,
  builder: Parameters<typeof compile>[0],
): Promise<pg.QueryResult<R>> {
  const { text, values } = compile(builder, kyselyCompiler);
  return client.query<R>(text, values);
}

async function cursorRows(
  client: pg.PoolClient,
  builder: Parameters<typeof compile>[0],
  out: Writable,
  writer: ReturnType<typeof createRowWriter>,
  nextCursor: (rows: number) => string | null,
): Promise<number> {
  const { text, values } = compile(builder, kyselyCompiler);
  const cursor = client.query(new Cursor<RawRow>(text, values, { rowMode: 'array' }));
  let count = 0;
  try {
    await writer.start();
    for (;;) {
      const rows = await cursor.read(CURSOR_BATCH_ROWS);
      if (!rows.length) break;
      count += rows.length;
      await writer.writeRows(rows);
      if (out.destroyed) throw new Error('client went away');
    }
  } finally {
    await cursor.close().catch(() => {});
  }
  await writer.end({ rowCount: count, nextCursor: nextCursor(count) });
  return count;
}

async function copyCsv(
  client: pg.PoolClient,
  builder: Parameters<typeof compile>[0],
  columns: readonly OutputColumn[],
  out: Writable,
  bom: boolean,
): Promise<number> {
  const { copy, settings } = asCopyStatement(compile(builder, kyselyCompiler));
  if (settings) await client.query(settings.text, settings.values);
  const header = columns
    .map((c) => (/[",\r\n]/.test(c.header) ? `"${c.header.replace(/"/g, '""')}"` : c.header))
    .join(',');
  await writeChunk(out, `${bom ? BOM : ''}${header}\r\n`);
  const lines = new CsvLineEndings();
  const source = client.query(copyTo(`COPY (${copy}) TO STDOUT WITH (FORMAT csv)`));
  // a COPY cut off mid-stream (the client went away) leaves the connection in copy mode: it is closed, not reused
  await pipeline(source, lines, out).catch((err: unknown) =>
    Promise.reject(discardConnection(err instanceof Error ? err : new Error(String(err)))),
  );
  await drained(out).catch(() => {});
  return lines.records;
}

/**
 * COPY ends records with LF; RFC 4180 (and Excel) want CRLF. In CSV mode COPY quotes every field that
 * holds a CR or LF, so an LF outside quotes always ends a record; quotes toggle the state ("" toggles twice).
 */
export class CsvLineEndings extends Transform {
  records = 0;
  private inQuotes = false;

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    const parts: Buffer[] = [];
    let start = 0;
    let pos = 0;
    const n = chunk.length;
    // the next quote is looked up once and reused until passed: most lines hold none
    let nextQuote = chunk.indexOf(0x22);
    while (pos < n) {
      if (nextQuote >= 0 && nextQuote < pos) nextQuote = chunk.indexOf(0x22, pos);
      if (this.inQuotes) {
        if (nextQuote < 0) break;
        this.inQuotes = false;
        pos = nextQuote + 1;
        continue;
      }
      const lf = chunk.indexOf(0x0a, pos);
      if (nextQuote >= 0 && (lf < 0 || nextQuote < lf)) {
        this.inQuotes = true;
        pos = nextQuote + 1;
        continue;
      }
      if (lf < 0) break;
      parts.push(chunk.subarray(start, lf), CRLF);
      this.records++;
      start = pos = lf + 1;
    }
    if (start < n) parts.push(chunk.subarray(start));
    done(null, parts.length === 1 ? parts[0] : Buffer.concat(parts));
  }
}
const CRLF = Buffer.from('\r\n');

// Compiling needs only Kysely's PostgreSQL dialect, not a connection: statements run on the raw client
// because cursors and COPY are outside what Kysely models.
const kyselyCompiler = new Kysely<any>({
  dialect: new PostgresDialect({ pool: { connect: () => Promise.reject(new Error('compile only')) } as never }),
});
