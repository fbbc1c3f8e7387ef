// Google Ads failures → the contract's classes. google-ads-api turns an error body carrying a
// GoogleAdsFailure into that proto (its errors[].errorCode says what happened: quotaError,
// authenticationError, authorizationError, queryError…); a body without one (a bare 401 or 503) becomes an
// Error whose cause holds Google's {code, status, message}. A stream cut off mid-JSON raises the JSON
// parser's error: that page is malformed, and retrying the same window would not help.
import type { Platform } from '@tributary/shared/domain/platform';
import { ConnectorError } from '../contract';
import { DEFAULT_RATE_LIMIT_WAIT_MS, classifyFailure, isNetworkError, parseDurationMs } from '../runtime/classify';

const PLATFORM: Platform = 'google_ads';

interface AdsErrorEntry {
  errorCode?: Record<string, string>;
  error_code?: Record<string, string>;
  message?: string;
  details?: {
    quotaErrorDetails?: { retryDelay?: string | { seconds?: string | number } };
    quota_error_details?: { retry_delay?: { seconds?: string | number } };
  };
}

/** gRPC status names as Google's REST bodies carry them */
const GRPC_KIND: Record<string, ConnectorError['kind']> = {
  RESOURCE_EXHAUSTED: 'rate_limited',
  UNAVAILABLE: 'transient',
  INTERNAL: 'transient',
  DEADLINE_EXCEEDED: 'transient',
  ABORTED: 'transient',
  UNAUTHENTICATED: 'auth_expired',
  PERMISSION_DENIED: 'permission_denied',
  INVALID_ARGUMENT: 'invalid_request',
  NOT_FOUND: 'invalid_request',
  FAILED_PRECONDITION: 'invalid_request',
};

export function classifyGoogleAdsError(err: unknown): ConnectorError {
  if (err instanceof ConnectorError) return err;
  if (isNetworkError(err)) return classifyFailure(PLATFORM, { message: (err as Error).message, cause: err });
  const entries = (err as { errors?: AdsErrorEntry[] } | null)?.errors;
  if (Array.isArray(entries) && entries.length) return fromFailure(entries[0]!, err);
  const cause = (err as { cause?: { code?: number; status?: string; message?: string } }).cause;
  if (cause && (cause.status || cause.code)) {
    return classifyFailure(PLATFORM, {
      status: cause.code,
      code: cause.status,
      message: cause.message ?? 'Google Ads error',
      ...(cause.status && GRPC_KIND[cause.status] ? { kind: GRPC_KIND[cause.status] } : {}),
      cause: err,
    });
  }
  const axiosStatus = (err as { response?: { status?: number } }).response?.status;
  if (axiosStatus)
    return classifyFailure(PLATFORM, { status: axiosStatus, message: (err as Error).message, cause: err });
  const message = err instanceof Error ? err.message : String(err);
  if (/parser|unexpected end|JSON/i.test(message)) {
    return classifyFailure(PLATFORM, {
      message: `malformed searchStream response (${message})`,
      kind: 'fatal',
      cause: err,
    });
  }
  return classifyFailure(PLATFORM, { message, kind: 'fatal', cause: err });
}

function fromFailure(entry: AdsErrorEntry, err: unknown): ConnectorError {
  const code = entry.errorCode ?? entry.error_code ?? {};
  const [category = 'unknown', value = 'UNKNOWN'] = Object.entries(code)[0] ?? [];
  const normalized = category.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());
  const message = entry.message ?? value;
  const base = { code: `${normalized}.${value}`, message, cause: err };
  switch (normalized) {
    case 'quotaError': {
      const delay = entry.details?.quotaErrorDetails?.retryDelay ?? entry.details?.quota_error_details?.retry_delay;
      const retryAfterMs =
        typeof delay === 'string'
          ? parseDurationMs(delay)
          : delay?.seconds !== undefined
            ? Number(delay.seconds) * 1000
            : parseDurationMs(message);
      // RESOURCE_EXHAUSTED without a delay is the daily operations quota: tell the pipeline, don't sleep on it
      return classifyFailure(PLATFORM, {
        ...base,
        status: 429,
        kind: 'rate_limited',
        retryAfterMs: retryAfterMs ?? (value === 'RESOURCE_EXHAUSTED' ? 24 * 3_600_000 : DEFAULT_RATE_LIMIT_WAIT_MS),
      });
    }
    case 'authenticationError':
      if (value.startsWith('DEVELOPER_TOKEN'))
        return classifyFailure(PLATFORM, { ...base, status: 400, kind: 'invalid_request' });
      return classifyFailure(PLATFORM, { ...base, status: 401, kind: 'auth_expired' });
    case 'authorizationError':
      return classifyFailure(PLATFORM, { ...base, status: 403, kind: 'permission_denied' });
    case 'internalError':
      return classifyFailure(PLATFORM, { ...base, status: 500, kind: 'transient' });
    default:
      return classifyFailure(PLATFORM, { ...base, status: 400, kind: 'invalid_request' });
  }
}
