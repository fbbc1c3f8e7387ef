// The public webhook endpoint, GET /webhook/v1/{key}/data | summary | metrics, as one function that writes
// a response to a Node Writable. The local runner wraps it in an HTTP server (chunked responses); AWS wraps
// it in a Lambda function URL with response streaming (webhook-lambda.ts). Neither shell does more than
// translate the request and hand over the stream.
//
// Every refusal of a credential (unknown, revoked, expired, rotated-away key; altered or expired signed URL)
// is the same 401, so probing tells nothing. The webhook's own scope (allowed data sources, default
// platforms and filters) is applied on top of whatever the URL asks: a URL can narrow, never widen.
import { Writable } from 'node:stream';
import type pg from 'pg';
import type { Database } from '@tributary/shared/db/database';
import {
  AppError,
  AuthenticationRequiredError,
  NotFoundError,
  RateLimitExceededError,
  ServiceUnavailableError,
  ValidationError,
} from '@tributary/shared/domain/errors';
import { classifyError, errorResponse } from '@tributary/shared/http/error-envelope';
import { projectCatalog } from '../data/catalog';
import { chooseFormat } from '../data/formats';
import {
  OUTPUT_FORMATS,
  parseUrlQuery,
  WebhookScopeSchema,
  type Filter,
  type OutputFormat,
} from '../data/query.schemas';
import { CACHE_CONTROL, streamData, type ResponseSink } from '../data/stream-data';
import { aboutData, freshnessHeaders, scopeFreshness, type ScopeFreshness } from './freshness';
import { constantTimeEqual, hashWebhookKey, looksLikeWebhookKey, urlSigningKey, verifySignature } from './webhook-keys';
import {
  countRequestsSince,
  countRunningRequests,
  enterOrganization,
  findWebhookById,
  findWebhookByKeyHash,
  finishAccessLog,
  insertAccessLog,
  lockWebhookCounter,
  type AccessLogEntry,
  type WebhookRow,
} from './webhook-access.repository';

export type { WebhookRow };

export interface WebhookDeps {
  db: Database;
  /** the deployment's URL-signing secret (Secrets Manager in AWS, .tributary/ locally); never in PostgreSQL */
  signingSecret: Buffer;
  now?: () => Date;
  /** where failures that are ours (5xx) are reported; the client only sees the request id */
  onServerError?: (error: unknown, requestId: string) => void;
  /** a webhook query's deadline, streaming included: under the function's 15 minutes by default */
  statementTimeoutMs?: number;
  /** MAX_CONCURRENT_PER_WEBHOOK unless set */
  maxConcurrentPerWebhook?: number;
}

/** An export streams for as long as the client reads, up to the Lambda's 15 minutes: the query stops before. */
export const WEBHOOK_STATEMENT_TIMEOUT_MS = 14 * 60_000;

export interface WebhookRequest {
  method: string;
  /** the path without the query string */
  path: string;
  /** the raw query string, without '?' */
  query: string;
  headers: Record<string, string | undefined>;
  sourceIp?: string;
  requestId: string;
}

export interface WebhookOutcome {
  status: number;
  bytes: number;
  webhookId?: string;
}

/** Requests of one webhook running at once, at most: one tenant cannot hold the function's whole concurrency. */
export const MAX_CONCURRENT_PER_WEBHOOK = 5;
const CONCURRENCY_RETRY_SECONDS = 5;

/** Signed URLs name the webhook, not its key: tws_<webhook id>. */
export const SIGNED_TAG = 'tws_';
const PATH = /^\/webhook\/v1\/([^/]{1,200})\/(data|summary|metrics)\/?$/;
const CONTROL_PARAMS = ['format', 'bom', 'exp', 'sig'];

const refused = () => new AuthenticationRequiredError('The webhook key or signed URL is invalid, expired or revoked');

export async function serveWebhook(
  deps: WebhookDeps,
  req: WebhookRequest,
  sink: ResponseSink,
): Promise<WebhookOutcome> {
  const now = deps.now?.() ?? new Date();
  const params = new URLSearchParams(req.query);
  // a webhook URL is its own credential, so any page may read it: the dashboard's live preview fetches it
  const exchange = openExchange(deps, req, sink, params, now, {
    'access-control-allow-origin': '*',
    'access-control-expose-headers': 'etag, x-ratelimit-limit, x-ratelimit-remaining',
  });
  const counted: ResponseSink = { head: exchange.head };
  const rateHeaders = exchange.headers;
  try {
    const match = PATH.exec(req.path);
    if (!match) throw new NotFoundError('Route');
    if (req.method !== 'GET' && req.method !== 'HEAD')
      throw new ValidationError('Webhook endpoints answer GET only', { method: req.method });
    const [, token, endpoint] = match as unknown as [string, string, 'data' | 'summary' | 'metrics'];
    const { row: hook, scope: feedScope } = await exchange.admit(token, req.path, params);
    const scope = {
      dataSources: hook.allowed_data_sources,
      platforms: feedScope.platforms,
      filters: feedScope.filters,
    };
    const freshness = exchange.freshness!;

    if (endpoint === 'metrics') {
      const catalog = await deps.db.withClient({ orgId: hook.organization_id, role: 'app' }, (client) =>
        projectCatalog(
          client,
          hook.project_id,
          scope.dataSources.length ? scope.dataSources : undefined,
          scope.platforms,
        ),
      );
      const body = JSON.stringify({
        project_id: hook.project_id,
        platforms: catalog.platforms,
        fields: catalog.entries,
        formats: OUTPUT_FORMATS,
      });
      const out = counted.head(200, {
        ...rateHeaders,
        'content-type': 'application/json; charset=utf-8',
        'cache-control': CACHE_CONTROL,
      });
      out.end(body);
      await finished(out);
      return exchange.outcome();
    }

    const query = parseUrlQuery(params, CONTROL_PARAMS);
    const format: OutputFormat = chooseFormat(
      params.get('format'),
      req.headers['accept'],
      (OUTPUT_FORMATS as readonly string[]).includes(hook.output_format)
        ? (hook.output_format as OutputFormat)
        : 'json',
    );
    const bom = params.get('bom');
    if (bom !== null && !['0', '1', 'true', 'false'].includes(bom))
      throw new ValidationError('bom is 1 or 0', { field: 'bom' });
    const wantsAbout = format === 'xlsx' || format === 'json';
    const about = wantsAbout
      ? await deps.db.withClient({ orgId: hook.organization_id, role: 'app' }, (c) =>
          aboutData(c, hook, feedScope, freshness, req.path),
        )
      : undefined;
    await streamData(
      deps.db,
      {
        about,
        organizationId: hook.organization_id,
        projectId: hook.project_id,
        query,
        scope,
        format,
        bom: bom === '1' || bom === 'true',
        ifNoneMatch: req.headers['if-none-match'],
        headers: rateHeaders,
        statementTimeoutMs: deps.statementTimeoutMs ?? WEBHOOK_STATEMENT_TIMEOUT_MS,
        now,
        defaults:
          endpoint === 'summary'
            ? { aggregation: 'total', dimensions: ['platform'] }
            : { aggregation: 'daily', dimensions: ['platform', 'campaign'] },
      },
      counted,
    );
  } catch (error) {
    if (exchange.outcome().status === 0) {
      const classified = classifyError(error);
      if (classified.status >= 500) deps.onServerError?.(error, req.requestId);
      const response = errorResponse(classified, req.requestId, now);
      const headers: Record<string, string> = {
        ...(response.headers as Record<string, string>),
        ...rateHeaders,
        'cache-control': 'no-store',
      };
      if (error instanceof RateLimitExceededError || error instanceof ServiceUnavailableError)
        headers['retry-after'] = String(error.retryAfterSeconds);
      const out = counted.head(classified.status, headers);
      out.end(response.body);
      await finished(out).catch(() => {});
    } else if (!(error instanceof AppError)) {
      deps.onServerError?.(error, req.requestId);
    }
  } finally {
    await exchange.end();
  }
  return exchange.outcome();
}

/** The stored scope of a webhook, narrowed by nothing yet: what every query of its requests starts from. */
export interface AdmittedScope {
  organizationId: string;
  projectId: string;
  dataSources?: readonly string[];
  platforms?: readonly string[];
  filters: readonly Filter[];
}

export interface WebhookExchange {
  /** the response's head; its body is counted, and the access log completed before its last byte goes out */
  head(status: number, headers: Record<string, string>): Writable;
  /**
   * One transaction: the key or signed URL, the organization context, the hourly rate limit, the concurrency
   * cap, the access-log row, the scope's freshness. Throws the 401 or 429 the caller renders.
   */
  admit(
    token: string,
    signedPath: string,
    signedParams: URLSearchParams,
  ): Promise<{ row: WebhookRow; scope: AdmittedScope }>;
  /** the rate-limit and freshness headers known so far (error responses carry them too) */
  headers: Record<string, string>;
  freshness?: ScopeFreshness;
  /** completes the access log once (at the end of the body, or here when nothing was sent) */
  end(): Promise<void>;
  outcome(): WebhookOutcome;
}

/** What every webhook and OData request goes through, said once: authenticate, rate-limit, access-log. */
export function openExchange(
  deps: WebhookDeps,
  req: WebhookRequest,
  sink: ResponseSink,
  params: URLSearchParams,
  now: Date,
  everyHead: Record<string, string>,
): WebhookExchange {
  const started = Date.now();
  let status = 0;
  let bytes = 0;
  let webhook: WebhookRow | undefined;
  let logged = false;
  let logId: string | undefined;
  // written before the last byte goes out, so a client that reads the response to its end and asks again
  // is counted against the rate limit (which reads these rows)
  const logOnce = async () => {
    if (logged || !webhook) return;
    logged = true;
    const hook = webhook;
    const done = logId
      ? deps.db.withClient({ orgId: hook.organization_id, role: 'app' }, (c) =>
          finishAccessLog(c, logId!, { status: status || 500, bytes, ms: Date.now() - started }),
        )
      : writeAccessLog(deps.db, hook, req, params, status || 500, bytes, Date.now() - started);
    await done.catch((e: unknown) => deps.onServerError?.(e, req.requestId));
  };
  const exchange: WebhookExchange = {
    headers: {},
    head(s, headers) {
      status = s;
      return countingWritable(sink.head(s, { ...headers, ...everyHead }), (n) => (bytes += n), logOnce);
    },
    async admit(token, signedPath, signedParams) {
      // one transaction for the key check and the hourly count: every round trip shows in a small refresh's time
      const { row, limit, freshness } = await deps.db.withClient({ role: 'app' }, async (client) => {
        const found = await authenticateWebhook(deps, client, token, signedPath, signedParams, now);
        await enterOrganization(client, found.organization_id);
        // one webhook's requests are counted one at a time, and each counts from the moment it starts
        await lockWebhookCounter(client, found.id);
        const checked = await checkRateLimit(client, found, now);
        if (checked.retryAfterSeconds !== null) return { row: found, limit: checked, freshness: undefined };
        const running = await countRunningRequests(client, found.id);
        if (running >= (deps.maxConcurrentPerWebhook ?? MAX_CONCURRENT_PER_WEBHOOK)) {
          webhook = found;
          throw new RateLimitExceededError(CONCURRENCY_RETRY_SECONDS, {
            concurrent_requests: running,
            limit_concurrent: deps.maxConcurrentPerWebhook ?? MAX_CONCURRENT_PER_WEBHOOK,
          });
        }
        logId = await insertAccessLog(client, logEntry(found, req, params));
        return { row: found, limit: checked, freshness: await scopeFreshness(client, scopeOf(found), now) };
      });
      webhook = row;
      Object.assign(exchange.headers, limit.headers);
      if (limit.retryAfterSeconds !== null)
        throw new RateLimitExceededError(limit.retryAfterSeconds, { limit_per_hour: row.rate_limit_per_hour });
      exchange.freshness = freshness;
      Object.assign(exchange.headers, freshnessHeaders(freshness!));
      return { row, scope: scopeOf(row) };
    },
    end: logOnce,
    outcome: () => ({ status, bytes, webhookId: webhook?.id }),
  };
  return exchange;
}

function scopeOf(hook: WebhookRow): AdmittedScope {
  const stored = WebhookScopeSchema.safeParse(hook.data_filters ?? {});
  if (!stored.success) throw new Error(`webhook ${hook.id} has an invalid stored scope`);
  return {
    organizationId: hook.organization_id,
    projectId: hook.project_id,
    dataSources: hook.allowed_data_sources.length ? hook.allowed_data_sources : undefined,
    platforms: stored.data.platforms,
    filters: stored.data.filters,
  };
}

export async function authenticateWebhook(
  deps: WebhookDeps,
  c: pg.PoolClient,
  token: string,
  path: string,
  params: URLSearchParams,
  now: Date,
): Promise<WebhookRow> {
  let row: WebhookRow | undefined;
  if (token.startsWith(SIGNED_TAG)) {
    const id = token.slice(SIGNED_TAG.length);
    if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(id)) throw refused();
    row = await findWebhookById(c, id);
    if (!row || !verifySignature(urlSigningKey(deps.signingSecret, row.id, row.key_hash), path, params, now.getTime()))
      throw refused();
  } else {
    if (!looksLikeWebhookKey(token)) throw refused();
    const hash = hashWebhookKey(token);
    row = await findWebhookByKeyHash(c, hash);
    if (!row || !constantTimeEqual(row.key_hash, hash)) throw refused();
  }
  if (!row.is_active || row.revoked_at || (row.expires_at && new Date(row.expires_at).getTime() <= now.getTime()))
    throw refused();
  return row;
}

/**
 * A fixed hourly window counted from api_access_logs, which every request writes anyway (and which is
 * indexed on (webhook_config_id, created_at)): no second store to keep in step.
 */
export async function checkRateLimit(
  c: pg.PoolClient,
  hook: WebhookRow,
  now: Date,
): Promise<{ headers: Record<string, string>; retryAfterSeconds: number | null }> {
  const windowStart = new Date(now);
  windowStart.setUTCMinutes(0, 0, 0);
  const resetAt = Math.floor(windowStart.getTime() / 1000) + 3600;
  const used = await countRequestsSince(c, hook.id, windowStart);
  const headers = {
    'x-ratelimit-limit': String(hook.rate_limit_per_hour),
    'x-ratelimit-remaining': String(Math.max(0, hook.rate_limit_per_hour - used - 1)),
    'x-ratelimit-reset': String(resetAt),
  };
  return {
    headers,
    retryAfterSeconds:
      used >= hook.rate_limit_per_hour ? Math.max(1, resetAt - Math.floor(now.getTime() / 1000)) : null,
  };
}

/**
 * What jsonb can store: it refuses \u0000 and a lone surrogate (a cut pair, or %ED%A0%80 decoded), both U+FFFD here.
 */
const storable = (text: string, max: number) =>
  text
    .slice(0, max)
    .replace(/\u0000|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, '\ufffd');

/** The log keeps what was asked and how it went, never the key or a signature. */
function logEntry(
  hook: WebhookRow,
  req: WebhookRequest,
  params: URLSearchParams,
  outcome?: { status: number; bytes: number; ms: number },
): AccessLogEntry {
  const safeParams: Record<string, string | string[]> = {};
  for (const key of new Set(params.keys())) {
    if (key === 'sig' || key === 'key') continue;
    const all = params.getAll(key).map((v) => storable(v, 500));
    safeParams[storable(key, 100)] = all.length === 1 ? all[0]! : all.slice(0, 50);
  }
  const safePath = req.path
    .replace(/^\/webhook\/v1\/[^/]+/, `/webhook/v1/${hook.key_prefix}…`)
    .replace(/^\/odata\/v1\/tw[ks]_[^/]*/, `/odata/v1/${hook.key_prefix}…`)
    .slice(0, 500);
  const ip = req.sourceIp && /^[0-9a-fA-F:.]{2,45}$/.test(req.sourceIp) ? req.sourceIp : null;
  return {
    organizationId: hook.organization_id,
    projectId: hook.project_id,
    webhookConfigId: hook.id,
    ipAddress: ip,
    userAgent: req.headers['user-agent']?.slice(0, 1000) ?? null,
    requestMethod: req.method.slice(0, 10),
    requestPath: safePath,
    requestParams: safeParams,
    responseStatus: outcome?.status ?? null,
    responseSize: outcome?.bytes ?? null,
    processingTimeMs: outcome?.ms ?? null,
  };
}

/** A request refused before it started (rate limit, concurrency cap): logged whole at once. */
export async function writeAccessLog(
  db: Database,
  hook: WebhookRow,
  req: WebhookRequest,
  params: URLSearchParams,
  status: number,
  bytes: number,
  ms: number,
): Promise<void> {
  await db.withClient({ orgId: hook.organization_id, role: 'app' }, (c) =>
    insertAccessLog(c, logEntry(hook, req, params, { status, bytes, ms })),
  );
}

/**
 * Passes writes through and counts the bytes, keeping the target's backpressure. A target that closes before
 * it finished (the client went away, the socket timed out) destroys this stream too, so whatever is waiting
 * to write (a cursor read loop, a COPY pipeline) fails at once and gives its connection back.
 */
export function countingWritable(
  target: Writable,
  count: (n: number) => void,
  beforeEnd: () => Promise<void>,
): Writable {
  const gone = () => new Error('client went away');
  const out: Writable = new Writable({
    highWaterMark: 64 * 1024,
    write(chunk: Buffer, _enc, done) {
      if (target.destroyed || target.writableEnded) return done(gone());
      count(chunk.length);
      if (target.write(chunk)) return done();
      const resume = () => {
        target.off('close', resume);
        target.off('drain', resume);
        done(target.destroyed && !target.writableFinished ? gone() : undefined);
      };
      target.once('drain', resume);
      target.once('close', resume);
    },
    final(done) {
      if (target.destroyed) return done(gone());
      void beforeEnd().finally(() => target.end(() => done()));
    },
    destroy(err, done) {
      target.off('close', onTargetClose);
      if (!target.destroyed) target.destroy(err ?? undefined);
      done(err);
    },
  });
  const onTargetClose = () => {
    if (!target.writableFinished && !out.destroyed) out.destroy(gone());
  };
  target.once('close', onTargetClose);
  // the error is the client's doing, not ours: observed here so it is never an unhandled 'error' event
  out.on('error', () => {});
  return out;
}

function finished(out: Writable): Promise<void> {
  return new Promise((resolve, reject) => {
    if (out.writableFinished) return resolve();
    out.once('finish', () => resolve());
    out.once('error', reject);
  });
}
