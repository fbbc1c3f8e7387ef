// Meta's Graph API as both Meta connectors see it without the SDK: the pinned version, base URLs and the
// error mapping. The SDK client and its seam (below) live in meta.sdk.ts, loaded on the first platform call.
//
// The SDK hard-codes its host: `call()` builds `[FacebookAdsApi.GRAPH, FacebookAdsApi.VERSION, …path]` from two
// static getters and never takes a base URL (PLATFORMS.md §2). The seam is made here, once: both getters are
// redefined, GRAPH to read the base URL of the call in flight from an AsyncLocalStorage (so two connectors, or
// two sandboxes in one test process, never see each other's host) and VERSION to our pinned constant. Pages
// after the first follow the absolute `paging.next` URL the server sent, which is why the sandbox writes its
// own origin there. Everything else (request building, axios, Cursor paging, error objects) is the SDK's own.
import type { Platform } from '@tributary/shared/domain/platform';
import { ConnectorError, TransientPlatformError, type ApiVersionPin } from '../contract';
import { DEFAULT_RATE_LIMIT_WAIT_MS, classifyFailure, isNetworkError } from '../runtime/classify';

/**
 * The Graph API version both Meta connectors speak, and the one place it is pinned. v24.0 stopped being served
 * on 2026-11-10 and v25.0 stops on 2027-02-23 (developers.facebook.com/docs/graph-api/changelog); v26.0 is
 * the oldest version still served without a published end. The installed SDK (24.x) was generated for v24:
 * it only builds paths and parses answers, and every field and metric we request exists unchanged in v26
 * (Instagram `views` replaced `impressions`; Page impression metrics, which we never request, are gone).
 */
export const META_GRAPH_API_VERSION = 'v26.0';
/**
 * The pin both Meta connectors declare. v26.0's sunset: Meta has not published it yet (it names a version's
 * end only once later versions ship), so null, and the platform catalog shows none. Set it when Meta's
 * changelog lists one.
 */
export const META_GRAPH_API: ApiVersionPin = {
  version: META_GRAPH_API_VERSION,
  sunset: null,
  source: 'not published by Meta yet (developers.facebook.com/docs/graph-api/changelog/versions)',
};
export const META_GRAPH_DEFAULT_URL = 'https://graph.facebook.com';
export const META_DIALOG_DEFAULT_URL = 'https://www.facebook.com';
/** ConnectorContext.baseUrls keys the Meta connectors read */
export const META_BASE_URL_KEYS = { graph: 'meta_graph', dialog: 'meta_oauth' } as const;

export function graphBaseUrl(baseUrls: Readonly<Record<string, string>>): string {
  return (baseUrls[META_BASE_URL_KEYS.graph] ?? META_GRAPH_DEFAULT_URL).replace(/\/+$/, '');
}
export function dialogBaseUrl(baseUrls: Readonly<Record<string, string>>): string {
  return (baseUrls[META_BASE_URL_KEYS.dialog] ?? baseUrls[META_BASE_URL_KEYS.graph] ?? META_DIALOG_DEFAULT_URL).replace(
    /\/+$/,
    '',
  );
}

// -------------------------------------------------------------------------------------------------
// Errors (PLATFORMS.md §2 "Errors": branch on error.code, not on the HTTP status)

export interface GraphErrorBody {
  message?: string;
  type?: string;
  code?: number;
  error_subcode?: number;
  is_transient?: boolean;
  error_user_msg?: string;
}

/** Meta's throttling codes: 4 app, 17 user, 32 page, 613 ad account, 800xx Business Use Case. */
const RATE_LIMIT_CODES = new Set([
  4, 17, 32, 613, 80000, 80001, 80002, 80003, 80004, 80005, 80006, 80008, 80009, 80014,
]);
/** Insights timeouts: ask for less data or retry (100/1504018, 2/1504038). */
const TIMEOUT_SUBCODES = new Set([1504018, 1504038]);

export function classifyGraphError(platform: Platform, err: unknown, what: string): ConnectorError {
  if (err instanceof ConnectorError) return err;
  const e = err as {
    name?: string;
    status?: number | null;
    response?: GraphErrorBody | null;
    headers?: Record<string, string> | null;
    message?: string;
  } | null;
  if (e?.name === 'FacebookRequestError') {
    const body = e.response && typeof e.response === 'object' ? e.response : null;
    // The SDK's error keeps the request URL, access_token included: only status and body go on as the cause.
    err = { name: 'FacebookRequestError', status: e.status, error: body };
    if (!body || e.status === null || e.status === undefined) {
      // The SDK wraps everything that fails in its promise chain, so two cases hide here: no answer at all
      // (a dropped connection: transient), and an answer its own code could not read (a page cut off
      // mid-JSON arrives as a string and the SDK throws on it: retrying returns the same page, so fatal).
      if (/no response was received/i.test(e.message ?? '')) {
        return new TransientPlatformError(`${what}: ${e.message}`, platform, undefined, { cause: err });
      }
      return classifyFailure(platform, {
        kind: 'fatal',
        message: `${what}: Meta returned a page that is not a Graph API response`,
        cause: err,
      });
    }
    const code = body.code;
    const message = `${what}: ${body.message ?? e.message ?? 'Graph API error'}`;
    const failure = {
      status: e.status,
      code: body.error_subcode ? `${code}/${body.error_subcode}` : code,
      message,
      cause: err,
    };
    if (code !== undefined && RATE_LIMIT_CODES.has(code)) {
      return classifyFailure(platform, {
        ...failure,
        kind: 'rate_limited',
        retryAfterMs: regainAccessMs(e.headers ?? {}) ?? DEFAULT_RATE_LIMIT_WAIT_MS,
      });
    }
    if (code === 190 || code === 102 || code === 2500)
      return classifyFailure(platform, { ...failure, kind: 'auth_expired' });
    if (code === 10 || (code !== undefined && code >= 200 && code <= 299))
      return classifyFailure(platform, { ...failure, kind: 'permission_denied' });
    if (
      (body.error_subcode !== undefined && TIMEOUT_SUBCODES.has(body.error_subcode)) ||
      code === 1 ||
      code === 2 ||
      body.is_transient === true
    ) {
      return classifyFailure(platform, { ...failure, kind: 'transient' });
    }
    if (code === 100) return classifyFailure(platform, { ...failure, kind: 'invalid_request' });
    // (#2635) a Graph API version Meta no longer serves: every call fails until Tributary is upgraded
    if (code === 2635) return classifyFailure(platform, { ...failure, kind: 'fatal' });
    return classifyFailure(platform, failure);
  }
  if (isNetworkError(err))
    return new TransientPlatformError(`${what}: ${e?.message ?? 'network failure'}`, platform, undefined, {
      cause: err,
    });
  // What is left is the SDK choking on an answer it could not read (a page cut off mid-JSON becomes a string
  // and `response.data.map` throws): retrying the same page gives the same page, so it is fatal.
  return classifyFailure(platform, {
    kind: 'fatal',
    message: `${what}: Meta returned a page that is not a Graph API response (${e?.message ?? String(err)})`,
    cause: err,
  });
}

/**
 * The longest `estimated_time_to_regain_access` (minutes) in X-Business-Use-Case-Usage, in ms; undefined when none is
 * given.
 */
export function regainAccessMs(headers: Record<string, unknown>): number | undefined {
  const usage = parseUsage(headers);
  const minutes = Math.max(0, ...usage.map((u) => u.estimated_time_to_regain_access ?? 0));
  return minutes > 0 ? minutes * 60_000 : undefined;
}

export interface BusinessUseCaseUsage {
  type?: string;
  call_count?: number;
  total_cputime?: number;
  total_time?: number;
  estimated_time_to_regain_access?: number;
}

export function parseUsage(headers: Record<string, unknown>): BusinessUseCaseUsage[] {
  const raw = headerValue(headers, 'x-business-use-case-usage');
  if (!raw) return [];
  try {
    const parsed = JSON.parse(raw) as Record<string, BusinessUseCaseUsage[]>;
    return Object.values(parsed).flat();
  } catch {
    return [];
  }
}

/** Highest of call count, CPU time and total time across the Business Use Case entries, in percent. */
export function usagePercent(headers: Record<string, unknown>): number {
  return Math.max(
    0,
    ...parseUsage(headers).map((u) => Math.max(u.call_count ?? 0, u.total_cputime ?? 0, u.total_time ?? 0)),
  );
}

function headerValue(headers: Record<string, unknown>, name: string): string | undefined {
  const h = headers as { get?: (n: string) => unknown } & Record<string, unknown>;
  const v = typeof h.get === 'function' ? h.get(name) : (h[name] ?? h[name.toLowerCase()]);
  return typeof v === 'string' ? v : undefined;
}
