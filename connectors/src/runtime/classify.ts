// Turns what a platform answered (HTTP status, its own error code, its rate-limit signal) into one of the
// contract's error classes, once, so every connector's retries and user messages behave the same.
// Platform folders translate their error bodies into a `PlatformFailure` and call `classifyFailure`.
import {
  ConnectorAuthError,
  ConnectorConfigError,
  ConnectorError,
  FatalConnectorError,
  PermissionDeniedError,
  RateLimitedError,
  TransientPlatformError,
} from '../contract';
import type { Platform } from '@tributary/shared/domain/platform';
import { PLATFORM_DISPLAY_NAMES } from '@tributary/shared/domain/platform';

/** When a platform says "slow down" without saying for how long. */
export const DEFAULT_RATE_LIMIT_WAIT_MS = 60_000;

export interface PlatformFailure {
  /** HTTP status, if the platform answered at all */
  status?: number;
  /** the platform's own code, e.g. 'RESOURCE_EXHAUSTED', 'UNAUTHENTICATED', 80000 */
  code?: string | number;
  message: string;
  /** the wait the platform asked for, already in ms (see parseRetryAfter / parseDurationMs) */
  retryAfterMs?: number;
  /** rate limited because a period's quota is spent (not a burst): see RateLimitedError.quotaExhausted */
  quotaExhausted?: boolean;
  /** forces the kind when the platform's code says more than the status (e.g. Meta's 400 for rate limits) */
  kind?: ConnectorError['kind'];
  cause?: unknown;
}

const TRANSIENT_STATUSES = new Set([408, 425, 500, 502, 503, 504, 520, 522, 524]);
const NETWORK_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ETIMEDOUT',
  'ECONNABORTED',
  'EPIPE',
  'EAI_AGAIN',
  'ENOTFOUND',
  'UND_ERR_SOCKET',
  'ERR_NETWORK',
  'UND_ERR_CONNECT_TIMEOUT',
]);

export function classifyFailure(platform: Platform, failure: PlatformFailure): ConnectorError {
  const name = PLATFORM_DISPLAY_NAMES[platform];
  const opts = { cause: failure.cause };
  const kind = failure.kind ?? kindForStatus(failure.status);
  const detail = failure.code !== undefined ? `${failure.message} [${failure.code}]` : failure.message;
  switch (kind) {
    case 'rate_limited':
      return new RateLimitedError(
        `${name} rate limit reached: ${detail}`,
        platform,
        failure.retryAfterMs ?? DEFAULT_RATE_LIMIT_WAIT_MS,
        { ...opts, quotaExhausted: failure.quotaExhausted ?? false },
      );
    case 'transient':
      return new TransientPlatformError(
        `${name} is temporarily unavailable: ${detail}`,
        platform,
        `${name} did not answer properly; the extraction will retry.`,
        opts,
      );
    case 'auth_expired':
      return new ConnectorAuthError(
        `${name} rejected the access token: ${detail}`,
        platform,
        `${name} no longer accepts Tributary's access. Reconnect the ${name} credential (Credentials → Reconnect) to resume extractions.`,
        opts,
      );
    case 'permission_denied':
      return new PermissionDeniedError(
        `${name} denied access: ${detail}`,
        platform,
        `The connected ${name} login cannot read this account or report (${failure.message}). Ask an administrator of the account to grant access, or reconnect with a login that has it.`,
        opts,
      );
    case 'invalid_request':
      return new ConnectorConfigError(
        `${name} rejected the request: ${detail}`,
        platform,
        `${name} rejected the report request (${failure.message}). Check the account and report settings of this data source.`,
        opts,
      );
    default:
      return new FatalConnectorError(
        `${name} failed: ${detail}`,
        platform,
        `${name} returned something Tributary cannot read (${failure.message}).`,
        opts,
      );
  }
}

function kindForStatus(status: number | undefined): ConnectorError['kind'] {
  if (status === undefined) return 'transient'; // no answer at all: a network failure
  if (status === 429) return 'rate_limited';
  if (TRANSIENT_STATUSES.has(status)) return 'transient';
  if (status === 401) return 'auth_expired';
  if (status === 403) return 'permission_denied';
  if (status >= 400 && status < 500) return 'invalid_request';
  return 'fatal';
}

/** Dropped connections, timeouts and aborted sockets: transient, whatever library raised them. */
export function isNetworkError(err: unknown): boolean {
  const e = err as { code?: string; name?: string; cause?: { code?: string } } | null;
  if (!e) return false;
  if (e.name === 'AbortError' || e.name === 'TimeoutError') return true;
  return NETWORK_CODES.has(e.code ?? '') || NETWORK_CODES.has(e.cause?.code ?? '');
}

/** `Retry-After` is either delta-seconds or an HTTP date (RFC 9110 §10.2.3). */
export function parseRetryAfter(value: string | null | undefined, nowMs: number): number | undefined {
  if (!value) return undefined;
  const trimmed = value.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Math.round(Number(trimmed) * 1000);
  const at = Date.parse(trimmed);
  return Number.isNaN(at) ? undefined : Math.max(0, at - nowMs);
}

/** Google's protobuf Duration in JSON ("30s", "1.5s") and plain phrases ("Retry in 30 seconds"). */
export function parseDurationMs(value: string | null | undefined): number | undefined {
  if (!value) return undefined;
  const proto = /^(\d+(?:\.\d+)?)s$/.exec(value.trim());
  if (proto) return Math.round(Number(proto[1]) * 1000);
  const phrase = /(\d+(?:\.\d+)?)\s*(seconds?|secs?|minutes?|mins?)\b/i.exec(value);
  if (phrase) return Math.round(Number(phrase[1]) * (/^m/i.test(phrase[2]!) ? 60_000 : 1000));
  return undefined;
}

export function isConnectorError(err: unknown): err is ConnectorError {
  return err instanceof ConnectorError;
}
