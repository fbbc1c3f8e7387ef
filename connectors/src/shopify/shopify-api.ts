// The Shopify Admin API's version pin, its request and error mapping. The @shopify/admin-api-client client
// itself is built in shopify.sdk.ts, imported on the connector's first platform call only
// (runtime/platform-sdk.ts): here the SDK is a type.
import type { AdminApiClient } from '@shopify/admin-api-client';
import type { ApiVersionPin, ConnectorError } from '../contract';
import { classifyFailure, isNetworkError, parseRetryAfter } from '../runtime/classify';

/**
 * Shopify releases an Admin API version each quarter and supports each for at least twelve months
 * (shopify.dev/docs/api/usage/versioning): 2026-10 is the latest stable, served until 2027-10-01 at least.
 */
export const SHOPIFY_API_VERSION = '2026-10';
export const SHOPIFY_API: ApiVersionPin = {
  version: SHOPIFY_API_VERSION,
  sunset: '2027-10-01',
  source:
    'shopify.dev/docs/api/usage/versioning: each stable version is supported for at least 12 months after its release (2026-10 → 2027-10-01)',
};
/** ConnectorContext.baseUrls key: where https://{shop} goes instead (the sandbox serves /shops/{shop}/…) */
export const SHOPIFY_BASE_URL_KEY = 'shopify_admin';
const PLATFORM = 'shopify' as const;

/** The shop's origin: https://{shop}, or the configured stand-in's /shops/{shop}. */
export function shopOrigin(baseUrls: Readonly<Record<string, string>>, shop: string): string {
  const base = baseUrls[SHOPIFY_BASE_URL_KEY];
  return base ? `${base.replace(/\/+$/, '')}/shops/${shop}` : `https://${shop}`;
}

export interface ThrottleStatus {
  maximumAvailable: number;
  currentlyAvailable: number;
  restoreRate: number;
}
export interface QueryCost {
  requestedQueryCost?: number;
  actualQueryCost?: number | null;
  throttleStatus?: ThrottleStatus;
}
/** What a successful GraphQL call gives back: the body as Shopify sent it. */
export interface GraphQLAnswer<T> {
  data: T;
  extensions?: { cost?: QueryCost };
  /** the version Shopify says it served (it falls back to the oldest supported for an unknown one) */
  servedVersion: string | null;
}

/** A failed Admin API call as the client reported it; classifyShopifyError maps it to a contract error. */
export class ShopifyFailure extends Error {
  constructor(
    message: string,
    readonly status: number | undefined,
    readonly body: unknown,
    readonly graphQLErrors: readonly { message?: string; extensions?: { code?: string } }[],
    readonly cost: QueryCost | undefined,
    readonly retryAfter: string | null,
  ) {
    super(message);
    this.name = 'ShopifyFailure';
  }
}

/** One GraphQL request through the client; anything but data comes back as a thrown ShopifyFailure. */
export async function graphqlRequest<T>(
  client: AdminApiClient,
  query: string,
  variables: Record<string, unknown>,
  signal: AbortSignal,
): Promise<GraphQLAnswer<T>> {
  const res = await client.request(query, { variables, signal } as never);
  const errors = res.errors as
    | {
        networkStatusCode?: number;
        message?: string;
        graphQLErrors?: { message?: string; extensions?: { code?: string } }[];
        response?: Response;
      }
    | undefined;
  const extensions = res.extensions as { cost?: QueryCost } | undefined;
  const servedVersion = (res as { headers?: Headers }).headers?.get?.('x-shopify-api-version') ?? null;
  if (errors || res.data === undefined) {
    const response = errors?.response;
    let body: unknown = null;
    if (response && !response.bodyUsed) {
      const text = await response.text().catch(() => '');
      try {
        body = JSON.parse(text);
      } catch {
        body = text.slice(0, 300);
      }
    }
    const graphQLErrors = errors?.graphQLErrors ?? [];
    const bodyMessage =
      typeof (body as { errors?: unknown } | null)?.errors === 'string'
        ? (body as { errors: string }).errors
        : undefined;
    const message =
      graphQLErrors
        .map((e) => e.message)
        .filter(Boolean)
        .join('; ') ||
      bodyMessage ||
      errors?.message ||
      'no data in the answer';
    throw new ShopifyFailure(
      message,
      errors?.networkStatusCode,
      body,
      graphQLErrors,
      extensions?.cost,
      response?.headers.get('retry-after') ?? null,
    );
  }
  return { data: res.data as T, ...(extensions ? { extensions } : {}), servedVersion };
}

/** How long until the bucket holds `needed` points again, in ms. */
export function bucketWaitMs(needed: number, status: ThrottleStatus): number {
  const missing = needed - status.currentlyAvailable;
  if (missing <= 0) return 0;
  return Math.ceil((missing / Math.max(1, status.restoreRate)) * 1000);
}

const UNREADABLE = /JSON|Unexpected (end|token)|Unterminated|content-type/i;

export function classifyShopifyError(err: unknown, what: string, nowMs: number): ConnectorError {
  if (err instanceof ShopifyFailure) {
    const code = err.graphQLErrors.find((e) => e.extensions?.code)?.extensions?.code;
    const message = `${what}: ${err.message}`;
    if (code === 'THROTTLED') {
      // a THROTTLED error is HTTP 200 with no data: wait until the bucket holds what the query asked for
      const status = err.cost?.throttleStatus;
      const retryAfterMs = status
        ? Math.max(1000, bucketWaitMs(err.cost?.requestedQueryCost ?? status.maximumAvailable / 2, status))
        : 1000;
      return classifyFailure(PLATFORM, {
        status: err.status,
        code,
        message,
        kind: 'rate_limited',
        retryAfterMs,
        cause: err,
      });
    }
    if (err.status === 429) {
      return classifyFailure(PLATFORM, {
        status: 429,
        message,
        retryAfterMs: parseRetryAfter(err.retryAfter, nowMs) ?? 1000,
        cause: err,
      });
    }
    if (code === 'ACCESS_DENIED')
      return classifyFailure(PLATFORM, { status: err.status, code, message, kind: 'permission_denied', cause: err });
    if (code === 'INTERNAL_SERVER_ERROR')
      return classifyFailure(PLATFORM, { status: err.status, code, message, kind: 'transient', cause: err });
    if (code)
      return classifyFailure(PLATFORM, { status: err.status, code, message, kind: 'invalid_request', cause: err });
    if (err.status === undefined) {
      // the client swallows the thrown error and keeps its message: no status means no answer at all
      return classifyFailure(PLATFORM, { message, kind: 'transient', cause: err });
    }
    // 402: the shop is frozen (unpaid); 423: locked by Shopify. The merchant has to act, not Tributary.
    if (err.status === 402 || err.status === 423)
      return classifyFailure(PLATFORM, {
        status: err.status,
        message: `${message} (the shop is frozen or locked)`,
        kind: 'permission_denied',
        cause: err,
      });
    if (err.status === 200 && UNREADABLE.test(err.message)) {
      return classifyFailure(PLATFORM, {
        status: 200,
        message: `${what}: Shopify returned a page that is not a GraphQL response (${err.message})`,
        kind: 'fatal',
        cause: err,
      });
    }
    return classifyFailure(PLATFORM, { status: err.status, message, cause: err });
  }
  if (isNetworkError(err))
    return classifyFailure(PLATFORM, { message: `${what}: ${(err as Error).message}`, kind: 'transient', cause: err });
  return classifyFailure(PLATFORM, {
    message: `${what}: ${err instanceof Error ? err.message : String(err)}`,
    kind: 'fatal',
    cause: err,
  });
}
