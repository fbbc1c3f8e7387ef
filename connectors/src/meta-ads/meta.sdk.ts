// The one place Tributary builds a facebook-nodejs-business-sdk client (Meta Ads and Instagram share it),
// imported by the connectors on their first platform call only (runtime/platform-sdk.ts). The seam on the
// SDK's host is described in graph-client.ts.
import { AsyncLocalStorage } from 'node:async_hooks';
import { FacebookAdsApi } from 'facebook-nodejs-business-sdk';
import type { Platform } from '@tributary/shared/domain/platform';
import { META_GRAPH_API_VERSION, META_GRAPH_DEFAULT_URL, classifyGraphError } from './graph-client';

export { AdAccount, AdReportRun, IGMedia, IGUser, User } from 'facebook-nodejs-business-sdk';

const graphRoute = new AsyncLocalStorage<{ baseUrl: string; version: string }>();
let seamInstalled = false;

function installGraphSeam(): void {
  if (seamInstalled) return;
  for (const key of ['GRAPH', 'VERSION'] as const) {
    if (!Object.getOwnPropertyDescriptor(FacebookAdsApi, key)?.configurable) {
      throw new Error(
        `facebook-nodejs-business-sdk no longer lets FacebookAdsApi.${key} be redefined; the Meta client seam needs review`,
      );
    }
  }
  Object.defineProperty(FacebookAdsApi, 'GRAPH', {
    get: () => graphRoute.getStore()?.baseUrl ?? META_GRAPH_DEFAULT_URL,
    configurable: true,
  });
  Object.defineProperty(FacebookAdsApi, 'VERSION', {
    get: () => graphRoute.getStore()?.version ?? META_GRAPH_API_VERSION,
    configurable: true,
  });
  seamInstalled = true;
}

/** One SDK api per access token and host. */
export class GraphClient {
  readonly api: FacebookAdsApi;

  constructor(
    accessToken: string,
    readonly baseUrl: string,
    private readonly platform: Platform,
    private readonly callTimeoutMs: number,
    /** the pinned version; another only in tests of how Meta answers an expired one */
    private readonly version: string = META_GRAPH_API_VERSION,
  ) {
    installGraphSeam();
    // crashLog=false: init with the default would hook uncaughtException and post our errors to Meta
    this.api = new FacebookAdsApi(accessToken, 'en_US', false);
    // keeps response headers on results: the usage headers tell us how close to throttling we are
    this.api.setShowHeader(true);
  }

  /** Runs SDK calls against this client's host and turns whatever fails into a classified ConnectorError. */
  async run<T>(what: string, fn: (api: FacebookAdsApi) => Promise<T>): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    // The SDK gives axios no timeout; a connection the platform never answers would hold the worker forever.
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () =>
          reject(
            Object.assign(new Error(`${what}: no answer within ${this.callTimeoutMs} ms`), { name: 'TimeoutError' }),
          ),
        this.callTimeoutMs,
      );
    });
    try {
      return await Promise.race([
        graphRoute.run({ baseUrl: this.baseUrl, version: this.version }, () => fn(this.api)),
        deadline,
      ]);
    } catch (err) {
      throw classifyGraphError(this.platform, err, what);
    } finally {
      clearTimeout(timer);
    }
  }
}
