// What Meta Ads and Instagram share, declared once: one Facebook Login (OAuth, token refresh), one Graph
// client per call (the SDK seam in graph-client.ts), Meta's error mapping and usage headers, the cheap
// validate call, and paging through an SDK Cursor. Each connector adds its own streams and discovery.
import type { Cursor } from 'facebook-nodejs-business-sdk';
import type { Platform } from '@tributary/shared/domain/platform';
import type { Connector, ConnectorContext, PlatformRequest } from '../contract';
import { callPlatform } from '../runtime/call';
import { platformSdk } from '../runtime/platform-sdk';
import { META_GRAPH_API, classifyGraphError, graphBaseUrl, regainAccessMs, usagePercent } from './graph-client';
import type { GraphClient } from './meta.sdk';
import {
  MetaCredentialSchema,
  exchangeMetaCode,
  metaAccessTokenExpiresAt,
  metaAuthorizeUrl,
  metaOAuthSpec,
  refreshMetaToken,
  type MetaCredential,
} from './meta-oauth';

/**
 * Above this Business Use Case usage (percent) the credential pauses and lets the budget recover before Meta throttles
 * it.
 */
export const USAGE_PAUSE_PERCENT = 95;
const DEFAULT_USAGE_PAUSE_MS = 60_000;

type GraphDeclaration = Pick<
  Connector<MetaCredential>,
  | 'platform'
  | 'apiVersion'
  | 'auth'
  | 'credentialSchema'
  | 'oauthApp'
  | 'classifyError'
  | 'throttleHint'
  | 'validate'
  | 'buildAuthorizeUrl'
  | 'exchangeCode'
  | 'refresh'
  | 'accessTokenExpiresAt'
>;

/**
 * A Graph API connector's requests: one SDK client per context, each request budgeted and classified by the runtime.
 */
export interface GraphRequests {
  /** the SDK (meta.sdk.ts), loaded on first use */
  sdk(): Promise<MetaSdk>;
  client(ctx: ConnectorContext<MetaCredential>): Promise<GraphClient>;
  call<T>(ctx: ConnectorContext<MetaCredential>, g: GraphClient, what: string, fn: () => Promise<T>): Promise<T>;
  /** a stream's request: the runtime sends it (budgeted, classified) through the Graph client */
  request<T>(g: GraphClient, what: string, fn: () => Promise<T>): PlatformRequest<T>;
  /** every page of an edge, following the SDK Cursor; each page is one request */
  pages(
    ctx: ConnectorContext<MetaCredential>,
    g: GraphClient,
    what: string,
    first: () => Promise<Cursor>,
  ): AsyncGenerator<Cursor>;
}

export type MetaSdk = typeof import('./meta.sdk');

export function graphRequests(
  self: () => Connector<MetaCredential>,
  platform: Platform,
  callTimeoutMs: number,
): GraphRequests {
  const sdk = platformSdk(platform, () => import('./meta.sdk'));
  const requests: GraphRequests = {
    sdk,
    client: async (ctx) =>
      new (await sdk()).GraphClient(ctx.credential.accessToken, graphBaseUrl(ctx.baseUrls), platform, callTimeoutMs),
    call: (ctx, g, what, fn) => callPlatform(self(), ctx, what, () => g.run(what, fn)),
    request: (g, what, fn) => ({ what, send: () => g.run(what, fn) }),
    async *pages(ctx, g, what, first): AsyncGenerator<Cursor> {
      let cursor: Cursor = await requests.call(ctx, g, what, first);
      yield cursor;
      while (cursor.hasNext()) {
        const current: Cursor = cursor;
        cursor = await requests.call(ctx, g, what, () => current.next());
        yield cursor;
      }
    },
  };
  return requests;
}

/** The declaration both Meta connectors share; `scopes` are the product's own. */
export function graphDeclaration(
  platform: Platform,
  scopes: readonly string[],
  requests: GraphRequests,
): GraphDeclaration {
  const auth = metaOAuthSpec(scopes);
  return {
    platform,
    apiVersion: META_GRAPH_API,
    auth,
    credentialSchema: MetaCredentialSchema,
    oauthApp: 'meta',
    classifyError: (err, at) => classifyGraphError(platform, err, at.what),
    // Meta reports usage in X-Business-Use-Case-Usage on every answer (the SDK keeps headers with setShowHeader)
    throttleHint(result) {
      const headers = (result as { headers?: Record<string, unknown> } | null)?.headers;
      if (!headers || usagePercent(headers) < USAGE_PAUSE_PERCENT) return undefined;
      return regainAccessMs(headers) ?? DEFAULT_USAGE_PAUSE_MS;
    },
    async validate(ctx) {
      const g = await requests.client(ctx);
      const { User } = await requests.sdk();
      await requests.call(ctx, g, 'read the connected user', () =>
        new User('me', {}, undefined, g.api).read(['id', 'name']),
      );
    },
    buildAuthorizeUrl: (args) => metaAuthorizeUrl({ ...args, scopes: auth.scopes }),
    exchangeCode: (args) => exchangeMetaCode(platform, args),
    refresh: (ctx) => refreshMetaToken(platform, ctx.credential, ctx.baseUrls, ctx.now, ctx.oauthClient),
    accessTokenExpiresAt: metaAccessTokenExpiresAt,
  };
}
