// The OData v4 feed of one webhook, beside its CSV/XLSX endpoints and through the same key check, scope,
// rate limit and access log (serve-webhook.ts):
//   /odata/v1/{key}/                     service document       /odata/v1/?key={key}   the same, for Power
//   /odata/v1/{key}/$metadata            CSDL 4.0                 Query's Web API key credential (ApiKeyName=key)
//   /odata/v1/{key}/Facts | Restatements | Freshness
// A signed feed URL (tws_<webhook id> with exp and sig) signs the service root and its expiry: it opens the
// whole feed, within the webhook's scope, until it expires or the key is rotated.
import { createHash } from 'node:crypto';
import type { Writable } from 'node:stream';
import {
  AuthenticationRequiredError,
  NotFoundError,
  RateLimitExceededError,
  ServiceUnavailableError,
} from '@tributary/shared/domain/errors';
import { WebhookScopeSchema } from '../../data/query.schemas';
import type { ResponseSink } from '../../data/stream-data';
import { freshnessHeaders, scopeFreshness } from '../freshness';
import { signPath, urlSigningKey } from '../webhook-keys';
import {
  openExchange,
  type WebhookDeps,
  type WebhookExchange,
  type WebhookOutcome,
  type WebhookRequest,
} from '../serve-webhook';
import { odataErrorBody, ODataError } from './odata-errors';
import { DEFAULT_PAGE_ROWS, MAX_PAGE_ROWS, serveFactsPage, type FeedScope } from './odata-facts';
import { ENTITY_SET_BY_NAME, metadataXml, serviceDocument } from './odata-model';
import { parseODataOptions } from './odata-query';
import { applyOptions, freshnessRows, restatementRows, SMALL_SETS } from './odata-sources';

import { ODATA_PREFIX } from './odata-path';

export { isODataPath, ODATA_PREFIX } from './odata-path';
const KEY_PARAM = 'key';
const JSON_TYPE = 'application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8';
const CACHE = 'private, no-cache, must-revalidate';

export interface ODataDeps extends WebhookDeps {
  /** where clients reach the feed (CloudFront in AWS): links are built on it rather than the Host header */
  publicBaseUrl?: string;
}

/** Resource part of the path and the credential, from the path segment or ?key=. */
function route(path: string, params: URLSearchParams): { token: string | null; root: string; resource: string } {
  const rest = path.slice(ODATA_PREFIX.length - 1).replace(/^\//, '');
  const [first = '', ...others] = rest.split('/');
  if (/^tw[ks]_/.test(first)) return { token: first, root: `${ODATA_PREFIX}${first}/`, resource: others.join('/') };
  const keys = [...new Set(params.getAll(KEY_PARAM))];
  if (keys.length > 1) throw new ODataError(400, 'BadRequest', 'key is given more than once', KEY_PARAM);
  return { token: keys[0] ?? null, root: ODATA_PREFIX, resource: rest };
}

export async function serveOData(deps: ODataDeps, req: WebhookRequest, sink: ResponseSink): Promise<WebhookOutcome> {
  const now = deps.now?.() ?? new Date();
  const params = new URLSearchParams(req.query);
  const exchange = openExchange(deps, req, sink, params, now, { 'odata-version': '4.0' });
  const head = exchange.head;
  try {
    if (req.method !== 'GET' && req.method !== 'HEAD')
      throw new ODataError(405, 'MethodNotAllowed', 'The feed is read-only: GET only');
    const { token, root, resource } = route(req.path, params);
    if (!token)
      throw new AuthenticationRequiredError('The feed needs a webhook key: in the path (/odata/v1/twk_…/) or as ?key=');
    const signed = token.startsWith('tws_')
      ? new URLSearchParams([...params].filter(([k]) => k === 'exp' || k === 'sig'))
      : params;
    const { row, scope } = await exchange.admit(token, root, signed);

    const host = req.headers['x-forwarded-host'] ?? req.headers['host'] ?? 'localhost';
    const proto = req.headers['x-forwarded-proto'] ?? 'http';
    const base = `${deps.publicBaseUrl ? deps.publicBaseUrl.replace(/\/$/, '') : `${proto}://${host}`}${root}`;
    // the credential and signature a client came with go on into every link it is given
    const carried = new URLSearchParams([...params].filter(([k]) => k === KEY_PARAM || k === 'exp' || k === 'sig'));
    const withCarried = (url: string) =>
      carried.size ? `${url}${url.includes('?') ? '&' : '?'}${carried.toString()}` : url;
    const common = { ...exchange.headers, 'cache-control': CACHE };

    if (resource === '') {
      const body = serviceDocument(base);
      return await finish(head(200, { ...common, 'content-type': JSON_TYPE }), body, exchange);
    }
    if (resource === '$metadata') {
      const xml = metadataXml();
      const etag = `"${createHash('sha256').update(xml).digest('base64url').slice(0, 32)}"`;
      if (matches(req.headers['if-none-match'], etag))
        return await finish(head(304, { ...common, etag }), '', exchange);
      return await finish(
        head(200, { ...common, etag, 'content-type': 'application/xml;charset=utf-8' }),
        xml,
        exchange,
      );
    }
    const set = ENTITY_SET_BY_NAME.get(resource);
    if (!set) throw new NotFoundError('OData resource', resource.slice(0, 100));
    const options = parseODataOptions(new URLSearchParams([...params].filter(([k]) => k.startsWith('$'))));
    const pageSize = preferredPageSize(req.headers['prefer']);
    const pageHeaders: Record<string, string> = {
      ...common,
      'content-type': JSON_TYPE,
      'x-tributary-dates': "account reporting dates, each in its account's time zone",
    };
    if (pageSize.applied) pageHeaders['preference-applied'] = `odata.maxpagesize=${pageSize.rows}`;

    if (set.name === 'Facts') {
      const fingerprintParams = [...params]
        .filter(([k]) => k.startsWith('$') && k !== '$skiptoken')
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
      const fingerprint = createHash('sha256')
        .update(JSON.stringify([row.id, fingerprintParams, scope]))
        .digest('base64url')
        .slice(0, 22);
      // a page is small: the role's own timeout, unless the deployment sets the webhook's
      const timeout = deps.statementTimeoutMs ? { statementTimeoutMs: deps.statementTimeoutMs } : {};
      await deps.db.withClient({ orgId: row.organization_id, role: 'app', ...timeout }, (client) =>
        serveFactsPage(
          client,
          {
            scope,
            options,
            fingerprint,
            pageSize: pageSize.rows,
            ifNoneMatch: req.headers['if-none-match'],
            context: `${base}$metadata#Facts`,
            headers: pageHeaders,
            nextLink: (skipToken) => {
              const next = new URLSearchParams(fingerprintParams);
              next.set('$skiptoken', skipToken);
              return withCarried(`${base}Facts?${next.toString()}`);
            },
          },
          head,
        ),
      );
      return exchange.outcome();
    }

    const today = now.toISOString().slice(0, 10);
    const rows = await deps.db.withClient({ orgId: row.organization_id, role: 'app' }, (client) =>
      set.name === 'Freshness' ? freshnessRows(client, scope, today) : restatementRows(client, scope),
    );
    const result = applyOptions(rows, SMALL_SETS[set.name as keyof typeof SMALL_SETS], options);
    const selectPart = options.select ? `(${options.select.join(',')})` : '';
    const body = JSON.stringify({
      '@odata.context': `${base}$metadata#${set.name}${selectPart}`,
      ...(options.count ? { '@odata.count': result.count } : {}),
      value: result.rows,
    });
    const etag = `"${createHash('sha256').update(body).digest('base64url').slice(0, 32)}"`;
    if (matches(req.headers['if-none-match'], etag))
      return await finish(head(304, { ...pageHeaders, etag }), '', exchange);
    return await finish(head(200, { ...pageHeaders, etag }), body, exchange);
  } catch (error) {
    if (exchange.outcome().status === 0) {
      const { status: code, body } = odataErrorBody(error, req.requestId, now);
      if (code >= 500) deps.onServerError?.(error, req.requestId);
      const headers: Record<string, string> = {
        ...exchange.headers,
        'content-type': 'application/json;charset=utf-8',
        'cache-control': 'no-store',
      };
      if (error instanceof RateLimitExceededError || error instanceof ServiceUnavailableError)
        headers['retry-after'] = String(error.retryAfterSeconds);
      if (code === 401) headers['www-authenticate'] = 'Bearer realm="tributary-odata"';
      const out = head(code, headers);
      await new Promise<void>((resolve) => out.end(body, () => resolve()));
    } else {
      deps.onServerError?.(error, req.requestId);
    }
  } finally {
    await exchange.end();
  }
  return exchange.outcome();
}

async function finish(out: Writable, body: string, exchange: WebhookExchange): Promise<WebhookOutcome> {
  await new Promise<void>((resolve, reject) => {
    out.once('error', reject);
    out.end(body, () => resolve());
  });
  return exchange.outcome();
}

function matches(ifNoneMatch: string | undefined, etag: string): boolean {
  return Boolean(ifNoneMatch?.split(',').some((t) => t.trim().replace(/^W\//, '') === etag || t.trim() === '*'));
}

/** Prefer: odata.maxpagesize=N (Power Query sends it); the server's page is the cap. */
export function preferredPageSize(prefer: string | undefined): { rows: number; applied: boolean } {
  const m = prefer ? /(?:^|[,;\s])odata\.maxpagesize\s*=\s*"?(\d{1,9})"?/i.exec(prefer) : null;
  if (!m) return { rows: DEFAULT_PAGE_ROWS, applied: false };
  const n = Number(m[1]);
  if (n < 1) return { rows: DEFAULT_PAGE_ROWS, applied: false };
  return { rows: Math.min(n, MAX_PAGE_ROWS), applied: true };
}

/** A time-limited feed root for sharing: signs the root path and the expiry only (see the header). */
export function mintFeedUrl(
  baseUrl: string,
  signingSecret: Buffer,
  webhook: { id: string; keyHash: string },
  expiresAt: Date,
): string {
  const root = `${ODATA_PREFIX}tws_${webhook.id}/`;
  const params = new URLSearchParams({ exp: String(Math.floor(expiresAt.getTime() / 1000)) });
  params.set('sig', signPath(urlSigningKey(signingSecret, webhook.id, webhook.keyHash), root, params));
  return `${baseUrl.replace(/\/$/, '')}${root}?${params.toString()}`;
}
