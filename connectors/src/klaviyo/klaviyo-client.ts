// The one place Tributary builds klaviyo-api clients, and the seam to the sandbox.
//
// klaviyo-api 23 takes a base URL (`api.basePath`, PLATFORMS.md §8) but pins its own revision (2026-07-15) in
// every Session's applyToRequest, and its sessions retry 429/503/504/524 themselves with real sleeps, reading
// Retry-After in a case axios never gives. Every API class takes a `Session` (an exported interface), so the
// seam is a Session of our own: it sets the credential's Authorization, the revision pinned here, a timeout
// and the abort signal, sends each request exactly once (the runtime retries), and reads the body as text so
// a page cut off mid-JSON is an error rather than a string the SDK would try to deserialize.
import axios, { type AxiosRequestConfig, type AxiosResponse } from 'axios';
import { AccountsApi, CampaignsApi, FlowsApi, MetricsApi, ReportingApi, type Session } from 'klaviyo-api';
import type { ApiVersionPin, ConnectorContext, ConnectorError } from '../contract';
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
const USER_AGENT = 'tributary-klaviyo (klaviyo-api-node/23)';
/** a Retry-After longer than Klaviyo's steady window (a minute) means the 225-a-day cap is spent */
const STEADY_WINDOW_MS = 60_000;

export function klaviyoApiUrl(baseUrls: Readonly<Record<string, string>>): string {
  return (baseUrls[KLAVIYO_BASE_URL_KEYS.api] ?? KLAVIYO_API_DEFAULT_URL).replace(/\/+$/, '');
}
export function klaviyoOAuthUrl(baseUrls: Readonly<Record<string, string>>): string {
  return (baseUrls[KLAVIYO_BASE_URL_KEYS.oauth] ?? baseUrls[KLAVIYO_BASE_URL_KEYS.api] ?? KLAVIYO_OAUTH_DEFAULT_URL).replace(/\/+$/, '');
}

/** A body Klaviyo cut off (or that is not JSON): the page is malformed. */
export class MalformedKlaviyoResponse extends Error {
  constructor(readonly status: number, readonly length: number) {
    super(`Klaviyo returned a body that is not JSON (${length} bytes, HTTP ${status})`);
    this.name = 'MalformedKlaviyoResponse';
  }
}

/** Tributary's Session: our revision and credential, one attempt per request, the body parsed by us. */
export class PinnedSession implements Session {
  constructor(
    private readonly authorization: string,
    private readonly timeoutMs: number,
    private readonly signal?: AbortSignal,
    /** the pinned revision; another only in tests of how Klaviyo answers a retired one */
    private readonly revision: string = KLAVIYO_REVISION,
  ) {}

  applyToRequest(config: AxiosRequestConfig): void {
    config.headers = { ...(config.headers as Record<string, string>), Authorization: this.authorization, revision: this.revision, 'User-Agent': USER_AGENT };
    config.timeout = this.timeoutMs;
    config.responseType = 'text';
    config.transformResponse = [(data: unknown) => data];
    if (this.signal) config.signal = this.signal;
  }

  async requestWithRetry(config: AxiosRequestConfig): Promise<AxiosResponse> {
    const response = await axios.request<string>(config);
    const text = typeof response.data === 'string' ? response.data : '';
    try {
      return { ...response, data: text ? JSON.parse(text) : {} };
    } catch {
      throw new MalformedKlaviyoResponse(response.status, text.length);
    }
  }

  refreshAndRetry(): boolean {
    return false; // the runtime refreshes an expired token once, and persists it
  }
}

export function authorizationOf(credential: KlaviyoCredential): string {
  return credential.apiKey ? `Klaviyo-API-Key ${credential.apiKey}` : `Bearer ${credential.accessToken ?? ''}`;
}

export interface KlaviyoApis {
  reporting: ReportingApi;
  accounts: AccountsApi;
  metrics: MetricsApi;
  campaigns: CampaignsApi;
  flows: FlowsApi;
}

/** The SDK's API classes for one call context, pointed at the configured host (the sandbox locally). */
export function klaviyoApis(ctx: ConnectorContext<KlaviyoCredential>, timeoutMs: number, revision = KLAVIYO_REVISION): KlaviyoApis {
  const session = new PinnedSession(authorizationOf(ctx.credential), timeoutMs, ctx.signal, revision);
  const base = klaviyoApiUrl(ctx.baseUrls);
  const reporting = new ReportingApi(session);
  const accounts = new AccountsApi(session);
  const metrics = new MetricsApi(session);
  const campaigns = new CampaignsApi(session);
  const flows = new FlowsApi(session);
  for (const api of [reporting, accounts, metrics, campaigns, flows]) api.basePath = base;
  return { reporting, accounts, metrics, campaigns, flows };
}

interface JsonApiError {
  status?: number | string;
  code?: string;
  title?: string;
  detail?: string;
}

/** What Klaviyo answered, as one of the contract's classes; `what` names the call (and the scope it needs). */
export function classifyKlaviyoError(err: unknown, what: string, nowMs: number): ConnectorError {
  if (err instanceof MalformedKlaviyoResponse) {
    return classifyFailure('klaviyo', { message: `a malformed page for ${what} (${err.message})`, kind: 'fatal', cause: err });
  }
  const res = (err as { response?: { status?: number; data?: unknown; headers?: Record<string, unknown> } }).response;
  if (!res || typeof res.status !== 'number') {
    if (isNetworkError(err) || (err as { code?: string }).code === 'ECONNABORTED') {
      return classifyFailure('klaviyo', { message: `${what}: ${(err as Error).message}`, cause: err });
    }
    return classifyFailure('klaviyo', { message: `${what}: ${err instanceof Error ? err.message : String(err)}`, kind: 'fatal', cause: err });
  }
  const body = parseBody(res.data);
  const first = body?.errors?.[0];
  const code = first?.code;
  const detail = first?.detail ?? first?.title ?? `HTTP ${res.status}`;
  const message = `${what}: ${detail}`;
  if (res.status === 429) {
    const retryAfterMs = parseRetryAfter(headerOf(res.headers, 'retry-after'), nowMs) ?? parseSeconds(detail) ?? 60_000;
    // burst and steady windows free up within a minute; a longer wait is the day's quota (225 report calls)
    return classifyFailure('klaviyo', { status: 429, code, message, retryAfterMs, quotaExhausted: retryAfterMs > STEADY_WINDOW_MS, cause: err });
  }
  if (res.status === 410) {
    return classifyFailure('klaviyo', { status: 410, code, message: `Klaviyo no longer serves API revision ${KLAVIYO_REVISION}: ${detail} Tributary's Klaviyo connector must be upgraded`, kind: 'fatal', cause: err });
  }
  if (res.status === 403) {
    return classifyFailure('klaviyo', {
      status: 403, code, cause: err,
      message: `${detail} The private API key (or the app's grant) needs the read scopes accounts:read, metrics:read, campaigns:read and flows:read`,
    });
  }
  return classifyFailure('klaviyo', { status: res.status, code, message, cause: err });
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
