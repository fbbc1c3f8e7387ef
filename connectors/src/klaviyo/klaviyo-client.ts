// The Klaviyo API revision pin, hosts and error mapping. The klaviyo-api clients and their seam (our
// Session) are built in klaviyo.sdk.ts, imported on the connector's first platform call only
// (runtime/platform-sdk.ts).
import type { ApiVersionPin, ConnectorError } from '../contract';
import { classifyFailure, isNetworkError, parseRetryAfter } from '../runtime/classify';
import type { KlaviyoCredential } from './klaviyo-oauth';

/**
 * The Klaviyo API revision this connector sends, pinned here and nowhere else. Klaviyo ships a revision a
 * quarter and serves each for two years (one stable, one deprecated), then retires it: a retired revision
 * answers 410 instead of silently changing its answers, which is why the header is always sent explicitly.
 */
export const KLAVIYO_REVISION = '2026-10-15';
export const KLAVIYO_API_VERSION: ApiVersionPin = {
  version: KLAVIYO_REVISION,
  sunset: '2028-10-15',
  source: 'two years after its release (developers.klaviyo.com/en/docs/api_versioning_and_deprecation_policy)',
};
export const KLAVIYO_API_DEFAULT_URL = 'https://a.klaviyo.com';
export const KLAVIYO_OAUTH_DEFAULT_URL = 'https://www.klaviyo.com';
/** ConnectorContext.baseUrls keys the Klaviyo connector reads */
export const KLAVIYO_BASE_URL_KEYS = { api: 'klaviyo_api', oauth: 'klaviyo_oauth' } as const;
/** a Retry-After longer than Klaviyo's steady window (a minute) means the 225-a-day cap is spent */
const STEADY_WINDOW_MS = 60_000;

export function klaviyoApiUrl(baseUrls: Readonly<Record<string, string>>): string {
  return (baseUrls[KLAVIYO_BASE_URL_KEYS.api] ?? KLAVIYO_API_DEFAULT_URL).replace(/\/+$/, '');
}
export function klaviyoOAuthUrl(baseUrls: Readonly<Record<string, string>>): string {
  return (
    baseUrls[KLAVIYO_BASE_URL_KEYS.oauth] ??
    baseUrls[KLAVIYO_BASE_URL_KEYS.api] ??
    KLAVIYO_OAUTH_DEFAULT_URL
  ).replace(/\/+$/, '');
}

/** A body Klaviyo cut off (or that is not JSON): the page is malformed. */
export class MalformedKlaviyoResponse extends Error {
  constructor(
    readonly status: number,
    readonly length: number,
  ) {
    super(`Klaviyo returned a body that is not JSON (${length} bytes, HTTP ${status})`);
    this.name = 'MalformedKlaviyoResponse';
  }
}

export function authorizationOf(credential: KlaviyoCredential): string {
  return credential.apiKey ? `Klaviyo-API-Key ${credential.apiKey}` : `Bearer ${credential.accessToken ?? ''}`;
}

interface JsonApiError {
  status?: number | string;
  code?: string;
  title?: string;
  detail?: string;
}

/** What Klaviyo answered, as one of the contract's classes; `what` names the call (and the scope it needs). */
export function classifyKlaviyoError(raw: unknown, what: string, nowMs: number): ConnectorError {
  // an AxiosError carries the request's headers (the private key) in its config: only what is safe is kept
  const err = sanitized(raw);
  if (err instanceof MalformedKlaviyoResponse) {
    return classifyFailure('klaviyo', {
      message: `a malformed page for ${what} (${err.message})`,
      kind: 'fatal',
      cause: err,
    });
  }
  const res = (err as { response?: { status?: number; data?: unknown; headers?: Record<string, unknown> } }).response;
  if (!res || typeof res.status !== 'number') {
    if (isNetworkError(err) || (err as { code?: string }).code === 'ECONNABORTED') {
      return classifyFailure('klaviyo', { message: `${what}: ${(err as Error).message}`, cause: err });
    }
    return classifyFailure('klaviyo', {
      message: `${what}: ${err instanceof Error ? err.message : String(err)}`,
      kind: 'fatal',
      cause: err,
    });
  }
  const body = parseBody(res.data);
  const first = body?.errors?.[0];
  const code = first?.code;
  const detail = first?.detail ?? first?.title ?? `HTTP ${res.status}`;
  const message = `${what}: ${detail}`;
  if (res.status === 429) {
    const retryAfterMs = parseRetryAfter(headerOf(res.headers, 'retry-after'), nowMs) ?? parseSeconds(detail) ?? 60_000;
    // burst and steady windows free up within a minute; a longer wait is the day's quota (225 report calls)
    return classifyFailure('klaviyo', {
      status: 429,
      code,
      message,
      retryAfterMs,
      quotaExhausted: retryAfterMs > STEADY_WINDOW_MS,
      cause: err,
    });
  }
  if (res.status === 410) {
    return classifyFailure('klaviyo', {
      status: 410,
      code,
      message: `Klaviyo no longer serves API revision ${KLAVIYO_REVISION}: ${detail} Tributary's Klaviyo connector must be upgraded`,
      kind: 'fatal',
      cause: err,
    });
  }
  if (res.status === 403) {
    return classifyFailure('klaviyo', {
      status: 403,
      code,
      cause: err,
      message: `${detail} The private API key (or the app's grant) needs the read scopes accounts:read, metrics:read, campaigns:read and flows:read`,
    });
  }
  return classifyFailure('klaviyo', { status: res.status, code, message, cause: err });
}

function sanitized(err: unknown): unknown {
  const e = err as {
    name?: string;
    message?: string;
    code?: string;
    response?: { status?: number; data?: unknown; headers?: unknown };
    cause?: { code?: string };
  } | null;
  if (!e || typeof e !== 'object' || err instanceof MalformedKlaviyoResponse || !('config' in e || 'response' in e))
    return err;
  const safe = Object.assign(new Error(e.message ?? 'Klaviyo request failed'), {
    name: e.name ?? 'Error',
    code: e.code,
    cause: e.cause?.code ? { code: e.cause.code } : undefined,
  });
  return e.response
    ? Object.assign(safe, {
        response: { status: e.response.status, data: e.response.data, headers: e.response.headers },
      })
    : safe;
}

function parseBody(data: unknown): { errors?: JsonApiError[] } | null {
  if (data && typeof data === 'object') return data as { errors?: JsonApiError[] };
  if (typeof data === 'string') {
    try {
      return JSON.parse(data) as { errors?: JsonApiError[] };
    } catch {
      return null;
    }
  }
  return null;
}

function headerOf(headers: Record<string, unknown> | undefined, name: string): string | undefined {
  if (!headers) return undefined;
  const h = headers as { get?: (n: string) => unknown } & Record<string, unknown>;
  const value = typeof h.get === 'function' ? h.get(name) : (h[name] ?? h[name.toLowerCase()]);
  return value === undefined || value === null ? undefined : String(value);
}

/** "Expected available in 30 seconds." */
function parseSeconds(detail: string): number | undefined {
  const m = /available in (\d+) seconds?/i.exec(detail);
  return m ? Number(m[1]) * 1000 : undefined;
}
