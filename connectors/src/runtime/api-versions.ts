// Which pinned platform API versions are close to their sunset. Each connector declares its version and the
// date the platform stops serving it (Connector.apiVersion); `npm start` and the API's cold start log what
// this returns, so an upgrade is planned months ahead instead of discovered when every extraction fails.
// The clock is injected: tests pass a fixed day, so none fails because the calendar moved.
import type { ApiVersionPin } from '../contract';
import type { Platform } from '@tributary/shared/domain/platform';

/** Warn this many days before a sunset: Google ships a major version a quarter, so one release cycle. */
export const SUNSET_WARNING_DAYS = 90;

export interface ApiVersionWarning {
  platform: Platform;
  version: string;
  sunset: string;
  /** whole days from today until the sunset day; 0 or less: no longer served */
  daysLeft: number;
  message: string;
}

const DAY_MS = 86_400_000;

export function apiVersionWarnings(
  connectors: readonly { platform: Platform; displayName: string; apiVersion: ApiVersionPin }[],
  now: Date,
  warningDays = SUNSET_WARNING_DAYS,
): ApiVersionWarning[] {
  const today = Date.parse(now.toISOString().slice(0, 10));
  const warnings: ApiVersionWarning[] = [];
  for (const c of connectors) {
    const { version, sunset } = c.apiVersion;
    if (sunset === null) continue;
    const daysLeft = Math.round((Date.parse(sunset) - today) / DAY_MS);
    if (daysLeft > warningDays) continue;
    const message =
      daysLeft <= 0
        ? `${c.displayName} API ${version} is no longer served since ${sunset}: every ${c.displayName} extraction fails until the connector is upgraded`
        : `${c.displayName} API ${version} stops being served on ${sunset} (in ${daysLeft} days): upgrade the connector before then`;
    warnings.push({ platform: c.platform, version, sunset, daysLeft, message });
  }
  return warnings;
}

/** Logs each warning once, at warn level; returns them for callers that show them elsewhere. */
export function logApiVersionWarnings(
  logger: { warn(message: string, fields?: Record<string, unknown>): void },
  connectors: readonly { platform: Platform; displayName: string; apiVersion: ApiVersionPin }[],
  now: Date,
): ApiVersionWarning[] {
  const warnings = apiVersionWarnings(connectors, now);
  for (const w of warnings)
    logger.warn('platform API version near its sunset', {
      platform: w.platform,
      version: w.version,
      sunset: w.sunset,
      daysLeft: w.daysLeft,
      detail: w.message,
    });
  return warnings;
}
