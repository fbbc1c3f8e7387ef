// Covers the shared error classification: status and platform signal to the contract's error classes,
// and the parsers of the platforms' wait signals.
import { describe, expect, it } from 'vitest';
import {
  ConnectorAuthError,
  ConnectorConfigError,
  FatalConnectorError,
  PermissionDeniedError,
  RateLimitedError,
  TransientPlatformError,
} from '../contract';
import { classifyFailure, isNetworkError, parseDurationMs, parseRetryAfter } from './classify';

describe('classifyFailure', () => {
  it('when given each status, it picks the class the pipeline retries on', () => {
    const at = (status?: number) => classifyFailure('ga4', { status, message: 'm' });
    expect(at(429)).toBeInstanceOf(RateLimitedError);
    expect(at(503)).toBeInstanceOf(TransientPlatformError);
    expect(at(undefined)).toBeInstanceOf(TransientPlatformError);
    expect(at(401)).toBeInstanceOf(ConnectorAuthError);
    expect(at(403)).toBeInstanceOf(PermissionDeniedError);
    expect(at(400)).toBeInstanceOf(ConnectorConfigError);
    expect(at(302)).toBeInstanceOf(FatalConnectorError);
  });

  it('when the platform said how long to wait, the rate-limit error carries it; names match the class', () => {
    const err = classifyFailure('google_ads', { status: 429, message: 'quota', retryAfterMs: 30_000 });
    expect(err).toMatchObject({ retryAfterMs: 30_000, name: 'RateLimitedError', kind: 'rate_limited' });
  });

  it('when access is revoked, the user message says what to do', () => {
    const err = classifyFailure('google_ads', { status: 401, message: 'token revoked' });
    expect(err.userMessage).toMatch(/Reconnect the Google Ads credential/);
  });

  it('when a platform code overrides the status, the kind wins', () => {
    expect(
      classifyFailure('meta_ads', { status: 400, message: 'too many calls', kind: 'rate_limited' }),
    ).toBeInstanceOf(RateLimitedError);
  });
});

describe('wait signals', () => {
  it('when Retry-After is seconds or an HTTP date, it becomes milliseconds', () => {
    const now = Date.parse('2026-11-24T10:00:00Z');
    expect(parseRetryAfter('30', now)).toBe(30_000);
    expect(parseRetryAfter('Tue, 24 Nov 2026 10:01:00 GMT', now)).toBe(60_000);
    expect(parseRetryAfter('soon', now)).toBeUndefined();
  });

  it('when Google gives a protobuf Duration or a sentence, it becomes milliseconds', () => {
    expect(parseDurationMs('30s')).toBe(30_000);
    expect(parseDurationMs('1.5s')).toBe(1500);
    expect(parseDurationMs('Too many requests. Retry in 30 seconds.')).toBe(30_000);
    expect(parseDurationMs('Wait 2 minutes')).toBe(120_000);
  });

  it('when a socket drops, it is a network error', () => {
    expect(isNetworkError(Object.assign(new Error('x'), { code: 'ECONNRESET' }))).toBe(true);
    expect(isNetworkError(new Error('x'))).toBe(false);
  });
});
