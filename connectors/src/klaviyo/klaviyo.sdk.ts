// Klaviyo's platform SDK: the one place Tributary builds klaviyo-api clients, and the seam to the sandbox,
// imported by the connector on its first platform call only (runtime/platform-sdk.ts).
//
// klaviyo-api 23 takes a base URL (`api.basePath`, PLATFORMS.md §8) but pins its own revision (2026-07-15) in
// every Session's applyToRequest, and its sessions retry 429/503/504/524 themselves with real sleeps, reading
// Retry-After in a case axios never gives. Every API class takes a `Session` (an exported interface), so the
// seam is a Session of our own: it sets the credential's Authorization, the revision pinned here, a timeout
// and the abort signal, sends each request exactly once (the runtime retries), and reads the body as text so
// a page cut off mid-JSON is an error rather than a string the SDK would try to deserialize.
import axios, { type AxiosRequestConfig, type AxiosResponse } from 'axios';
import { AccountsApi, CampaignsApi, FlowsApi, MetricsApi, ReportingApi, type Session } from 'klaviyo-api';
import type { ConnectorContext } from '../contract';
import { KLAVIYO_REVISION, MalformedKlaviyoResponse, authorizationOf, klaviyoApiUrl } from './klaviyo-client';
import type { KlaviyoCredential } from './klaviyo-oauth';

const USER_AGENT = 'tributary-klaviyo (klaviyo-api-node/23)';

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
    config.headers = {
      ...(config.headers as Record<string, string>),
      Authorization: this.authorization,
      revision: this.revision,
      'User-Agent': USER_AGENT,
    };
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

export interface KlaviyoApis {
  reporting: ReportingApi;
  accounts: AccountsApi;
  metrics: MetricsApi;
  campaigns: CampaignsApi;
  flows: FlowsApi;
}

/** The SDK's API classes for one call context, pointed at the configured host (the sandbox locally). */
export function klaviyoApis(
  ctx: ConnectorContext<KlaviyoCredential>,
  timeoutMs: number,
  revision = KLAVIYO_REVISION,
): KlaviyoApis {
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
