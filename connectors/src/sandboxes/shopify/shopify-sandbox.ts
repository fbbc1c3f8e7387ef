// A local stand-in for Shopify's Admin GraphQL API (orders, shop, bulk operations), its OAuth (authorize page
// and token endpoint, expiring offline tokens with refresh) and its bulk result files, in the wire format of
// shared/PLATFORMS.md §5 and its 2026 corrections. Every shop lives under /shops/{shop}/ on one origin: the
// connector's client seam maps https://{shop} there (connectors/src/shopify/shopify-api.ts).
//
// What it reproduces: money as decimal strings ("120.5"), GIDs, cursor pages (first ≤ 250), the cost-based
// leaky bucket in extensions.cost.throttleStatus (THROTTLED as HTTP 200 with no data), the 401/403 bodies,
// read_all_orders (older orders silently left out without it), bulkOperationRunQuery → bulkOperation(id) →
// a JSONL file with __parentId children, currentBulkOperation gone from 2026-01, X-Shopify-API-Version.
// Truth (GET /__sandbox/truth?shop=…&report=orders_daily|orders_by_utm_daily&from=…&to=…) gives exact sums
// per day and dimension; ?report=operations counts GraphQL operations by kind.
import { randomBytes } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import { isDay } from '../base/days';
import { htmlPage, httpRedirectUri } from '../base/consent-page';
import { FaultBoard } from '../base/faults';
import {
  startSandbox,
  type RunningSandbox,
  type SandboxPlatform,
  type SandboxReply,
  type SandboxRequest,
  type SandboxRoute,
} from '../base/sandbox-server';
import { sandboxService } from '../base/sandbox-service';
import { sandboxSettings } from '../sandbox-settings';
import { ShopifyFaultSchema, type ShopifyFault, type ShopifyFaultInput } from './shopify-faults';
import { ShopifyWorld, shopifyDecimal, type SandboxOrder, type SandboxShop } from './shopify-world';

export const SHOPIFY_DEMO_CLIENT = { clientId: 'sandbox-shopify-app', clientSecret: 'sandbox-shopify-secret' } as const;
/** versions the sandbox serves; an unknown one is served as the oldest, as Shopify does */
export const SHOPIFY_SUPPORTED_VERSIONS = ['2026-01', '2026-04', '2026-07', '2026-10', 'unstable'] as const;
const BUCKET_MAX = 2000;
const RESTORE_PER_SECOND = 100;
const ACCESS_TOKEN_SECONDS = 3600;
const REFRESH_TOKEN_SECONDS = 90 * 86_400;
const SIXTY_DAYS_MS = 60 * 86_400_000;
const NODES = /\bnodes\s*\{/;
const INVALID_TOKEN = '[API] Invalid API key or access token (unrecognized login or wrong password)';

export interface ShopifySandboxOptions {
  seed?: string;
  /** the data clock: orders exist, and refunds apply, up to this instant (advance() moves it on by days) */
  now?: () => number;
  /** the leaky bucket's clock (default: the wall clock) */
  bucketNow?: () => number;
  /** bulkOperation(id) reads before a bulk operation is COMPLETED */
  bulkPollsToComplete?: number;
  faults?: ShopifyFaultInput[];
  port?: number;
}

export interface ShopifySandbox extends RunningSandbox {
  world: ShopifyWorld;
  faults: FaultBoard<ShopifyFault>;
  /** GraphQL operations answered, by kind (shop, orders, bulk_run, bulk_poll, bulk_list, bulk_download, oauth_token) */
  operations(): Record<string, number>;
  resetOperations(): void;
  now(): number;
}

interface TokenRecord {
  shop: string;
  serial: number;
  expiresAtMs: number | null;
  scopes: string[];
}
interface BulkOp {
  id: string;
  shop: SandboxShop;
  query: string;
  createdAtMs: number;
  polls: number;
  status: 'CREATED' | 'RUNNING' | 'COMPLETED' | 'FAILED';
  errorCode: string | null;
  lines: string[] | null;
  truncated: boolean;
  scopes: string[];
}

class ShopifyFaults extends FaultBoard<ShopifyFault> {
  constructor(private readonly onTokenFault: (kind: 'expired_token' | 'revoked' | 'clear') => void) {
    super();
  }
  // token faults act at once on what has been issued; clearing the board lets those tokens work again
  override arm(fault: ShopifyFault): void {
    if (fault.kind === 'expired_token' || fault.kind === 'revoked') this.onTokenFault(fault.kind);
    else super.arm(fault);
  }
  override clear(): void {
    this.onTokenFault('clear');
    super.clear();
  }
}

export function shopifySandboxPlatform(options: ShopifySandboxOptions = {}) {
  const world = new ShopifyWorld(options.seed ?? 'tributary-shopify');
  const baseNow = options.now ?? Date.now;
  let offsetMs = 0;
  const now = () => baseNow() + offsetMs;
  const bucketNow = options.bucketNow ?? Date.now;
  const pollsToComplete = options.bulkPollsToComplete ?? 2;

  let serial = 1;
  let expiredBefore = -1;
  let revokedBefore = -1;
  const tokens = new Map<string, TokenRecord>();
  const refreshTokens = new Map<string, { shop: string; serial: number; scopes: string[]; used: boolean }>();
  const codes = new Map<string, { shop: string; clientId: string; redirectUri: string; scopes: string[] }>();
  for (const s of world.shops)
    tokens.set(s.staticToken, {
      shop: s.domain,
      serial: 0,
      expiresAtMs: null,
      scopes: ['read_orders', 'read_all_orders'],
    });
  const buckets = new Map<string, { available: number; at: number }>();
  const bulkOps = new Map<string, BulkOp>();
  let ops: Record<string, number> = {};
  const count = (kind: string) => void (ops[kind] = (ops[kind] ?? 0) + 1);

  const faults = new ShopifyFaults((kind) => {
    if (kind === 'expired_token') expiredBefore = serial++;
    else if (kind === 'revoked') revokedBefore = serial++;
    else expiredBefore = revokedBefore = -1;
  });
  for (const f of options.faults ?? []) faults.arm(ShopifyFaultSchema.parse(f));

  // ------------------------------------------------------------------------------------------------
  // the leaky bucket: requested cost charged up front, the unused part refunded

  const bucket = (shop: string) => {
    const t = bucketNow();
    const b = buckets.get(shop) ?? { available: BUCKET_MAX, at: t };
    b.available = Math.min(BUCKET_MAX, b.available + ((t - b.at) / 1000) * RESTORE_PER_SECOND);
    b.at = t;
    buckets.set(shop, b);
    return b;
  };
  const costBlock = (requested: number, actual: number | null, available: number) => ({
    cost: {
      requestedQueryCost: requested,
      actualQueryCost: actual,
      throttleStatus: {
        maximumAvailable: BUCKET_MAX,
        currentlyAvailable: Math.floor(available),
        restoreRate: RESTORE_PER_SECOND,
      },
    },
  });
  const throttled = (requested: number, available: number): SandboxReply => ({
    status: 200,
    json: {
      errors: [
        {
          message: 'Throttled',
          extensions: { code: 'THROTTLED', documentation: 'https://shopify.dev/api/usage/rate-limits' },
        },
      ],
      extensions: costBlock(requested, null, available),
    },
  });

  // ------------------------------------------------------------------------------------------------
  // auth

  const authenticate = (req: SandboxRequest, shop: SandboxShop): TokenRecord | SandboxReply => {
    const token = String(req.headers['x-shopify-access-token'] ?? '');
    const record = tokens.get(token);
    if (
      !record ||
      record.shop !== shop.domain ||
      record.serial < expiredBefore ||
      (record.expiresAtMs !== null && record.expiresAtMs <= Date.now())
    ) {
      return { status: 401, json: { errors: INVALID_TOKEN } };
    }
    if (record.serial < revokedBefore)
      return { status: 403, json: { errors: '[API] This action requires merchant approval for read_orders scope.' } };
    return record;
  };

  const issue = (shop: string, scopes: string[]) => {
    const accessToken = `shpat_${randomBytes(16).toString('hex')}`;
    const refreshToken = `shprt_${randomBytes(16).toString('hex')}`;
    const s = serial++;
    tokens.set(accessToken, { shop, serial: s, expiresAtMs: Date.now() + ACCESS_TOKEN_SECONDS * 1000, scopes });
    refreshTokens.set(refreshToken, { shop, serial: s, scopes, used: false });
    return {
      access_token: accessToken,
      expires_in: ACCESS_TOKEN_SECONDS,
      refresh_token: refreshToken,
      refresh_token_expires_in: REFRESH_TOKEN_SECONDS,
      scope: scopes.join(','),
    };
  };

  const authorize = (req: SandboxRequest): SandboxReply => {
    const shop = world.shop(req.params[0]!);
    if (!shop) return htmlPage(404, 'There is no store at this address');
    const q = req.url.searchParams;
    const redirectUri = httpRedirectUri(q);
    if (q.get('client_id') !== SHOPIFY_DEMO_CLIENT.clientId)
      return htmlPage(400, 'Oauth error invalid_request: The client_id is invalid');
    if (!redirectUri)
      return htmlPage(400, 'Oauth error invalid_request: The redirect_uri is missing or not whitelisted');
    const code = randomBytes(16).toString('hex');
    codes.set(code, {
      shop: shop.domain,
      clientId: SHOPIFY_DEMO_CLIENT.clientId,
      redirectUri,
      scopes: (q.get('scope') ?? '').split(',').filter(Boolean),
    });
    const target = new URL(redirectUri);
    const ts = String(Math.floor(Date.now() / 1000));
    // what Shopify appends: code, hmac, host, shop, state, timestamp (the merchant approves at once here)
    target.searchParams.set('code', code);
    target.searchParams.set('hmac', randomBytes(32).toString('hex'));
    target.searchParams.set(
      'host',
      Buffer.from(`admin.shopify.com/store/${shop.domain.replace('.myshopify.com', '')}`).toString('base64url'),
    );
    target.searchParams.set('shop', shop.domain);
    if (q.get('state')) target.searchParams.set('state', q.get('state')!);
    target.searchParams.set('timestamp', ts);
    return { redirect: target.toString() };
  };

  const accessToken = (req: SandboxRequest): SandboxReply => {
    count('oauth_token');
    const shop = world.shop(req.params[0]!);
    if (!shop) return { status: 404, json: { errors: 'Not Found' } };
    const b = (req.body ?? {}) as Record<string, string | number | undefined>;
    if (b.client_id !== SHOPIFY_DEMO_CLIENT.clientId || b.client_secret !== SHOPIFY_DEMO_CLIENT.clientSecret) {
      return { status: 400, json: { error: 'invalid_client', error_description: 'Client authentication failed' } };
    }
    if (b.grant_type === 'refresh_token') {
      const r = refreshTokens.get(String(b.refresh_token ?? ''));
      if (!r || r.used || r.shop !== shop.domain || r.serial < revokedBefore)
        return {
          status: 400,
          json: { error: 'invalid_grant', error_description: 'The refresh token is invalid, expired or revoked' },
        };
      r.used = true; // refresh tokens rotate
      return { status: 200, json: issue(shop.domain, r.scopes) };
    }
    const pending = codes.get(String(b.code ?? ''));
    codes.delete(String(b.code ?? ''));
    if (!pending || pending.shop !== shop.domain)
      return {
        status: 400,
        json: {
          error: 'invalid_request',
          error_description: 'The authorization code was not found or was already used',
        },
      };
    const issued = issue(shop.domain, pending.scopes);
    if (String(b.expiring ?? '0') !== '1') {
      // a non-expiring offline token (what apps got before expiring tokens): no refresh token
      tokens.get(issued.access_token)!.expiresAtMs = null;
      return { status: 200, json: { access_token: issued.access_token, scope: issued.scope } };
    }
    return { status: 200, json: issued };
  };

  // ------------------------------------------------------------------------------------------------
  // GraphQL

  const graphql = async (req: SandboxRequest): Promise<SandboxReply> => {
    const shop = world.shop(req.params[0]!);
    if (!shop) return { status: 404, json: { errors: 'Not Found' } };
    const requested = req.params[1]!;
    const version = (SHOPIFY_SUPPORTED_VERSIONS as readonly string[]).includes(requested)
      ? requested
      : SHOPIFY_SUPPORTED_VERSIONS[0];
    const headers = { 'x-shopify-api-version': version };
    const timeout = faults.take('timeout');
    if (timeout) return { hangMs: timeout.hangMs };
    const err5 = faults.take('server_error');
    if (err5) return { status: err5.status, json: { errors: 'Internal Server Error' }, headers };
    const auth = authenticate(req, shop);
    if ('status' in auth || 'redirect' in auth || 'hangMs' in auth || 'write' in auth) return auth as SandboxReply;
    const r429 = faults.take('http_429');
    if (r429)
      return {
        status: 429,
        json: {
          errors: 'Exceeded 2 calls per second for api client. Reduce request rates to resume uninterrupted service.',
        },
        headers: { ...headers, 'retry-after': String(r429.retryAfterSeconds) },
      };
    const body = (req.body ?? {}) as { query?: unknown; variables?: Record<string, unknown> };
    if (typeof body.query !== 'string')
      return { status: 400, json: { errors: { query: 'Required parameter missing or invalid' } }, headers };
    const query = body.query;
    const variables = body.variables ?? {};
    const reply = (json: unknown): SandboxReply => ({ status: 200, json, headers });

    if (/\bcurrentBulkOperation\b/.test(query) && version !== 'unstable' && version >= '2026-01') {
      return reply({
        errors: [
          {
            message: "Field 'currentBulkOperation' doesn't exist on type 'QueryRoot'",
            locations: [{ line: 1, column: 3 }],
            path: ['query', 'currentBulkOperation'],
            extensions: { code: 'undefinedField', typeName: 'QueryRoot', fieldName: 'currentBulkOperation' },
          },
        ],
      });
    }
    if (/\bbulkOperationRunQuery\b/.test(query))
      return reply(charge(shop, 10, 10, () => runBulk(shop, query, variables, auth)));
    if (/\bbulkOperation\s*\(/.test(query))
      return reply(charge(shop, 1, 1, () => pollBulk(req, shop, query, variables)));
    if (/\bbulkOperations\s*\(/.test(query)) return reply(charge(shop, 12, 12, () => listBulk(req, shop)));
    if (/\borders\s*\(/.test(query)) return ordersPage(shop, query, variables, auth, headers);
    if (/\bshop\s*\{/.test(query)) {
      count('shop');
      return reply(
        charge(shop, 1, 1, () => ({
          shop: {
            id: shop.gid,
            name: shop.name,
            myshopifyDomain: shop.domain,
            currencyCode: shop.currency,
            ianaTimezone: shop.timeZone,
          },
        })),
      );
    }
    return reply({
      errors: [{ message: 'The sandbox does not serve this query', extensions: { code: 'undefinedField' } }],
    });
  };

  /** answers `data` from fn after charging the bucket, or THROTTLED */
  function charge(shop: SandboxShop, requested: number, actual: number, fn: () => unknown): unknown {
    const b = bucket(shop.domain);
    const fault = faults.take('throttled');
    if (fault) return (throttled(requested, fault.available) as { json: unknown }).json;
    if (b.available < requested) return (throttled(requested, b.available) as { json: unknown }).json;
    b.available -= actual;
    const data = fn();
    if (data && typeof data === 'object' && 'errors' in data)
      return { ...data, extensions: costBlock(requested, actual, b.available) };
    return { data, extensions: costBlock(requested, actual, b.available) };
  }

  function ordersPage(
    shop: SandboxShop,
    query: string,
    variables: Record<string, unknown>,
    auth: TokenRecord,
    headers: Record<string, string>,
  ): SandboxReply {
    count('orders');
    const args = argsOf(query, 'orders', variables);
    const first = Number(args.first ?? 0);
    if (!Number.isInteger(first) || first < 1 || first > 250) {
      return {
        status: 200,
        headers,
        json: {
          errors: [
            {
              message: 'The first argument must be between 1 and 250',
              extensions: { code: 'argumentLiteralsIncompatible' },
            },
          ],
        },
      };
    }
    const requested = first + 2;
    const b = bucket(shop.domain);
    const fault = faults.take('throttled');
    if (fault) return { ...throttled(requested, fault.available), headers } as SandboxReply;
    if (b.available < requested) return { ...throttled(requested, b.available), headers } as SandboxReply;
    if (faults.take('access_denied')) {
      return {
        status: 200,
        headers,
        json: {
          errors: [
            {
              message: 'Access denied for orders field. Required access: `read_orders` access scope.',
              extensions: {
                code: 'ACCESS_DENIED',
                documentation: 'https://shopify.dev/api/usage/access-scopes',
                requiredAccess: '`read_orders` access scope.',
              },
            },
          ],
          extensions: costBlock(requested, null, b.available),
        },
      };
    }
    const all = matching(shop, String(args.query ?? ''), auth.scopes);
    const after = typeof args.after === 'string' ? decodeCursor(args.after) : null;
    const start =
      after === null
        ? 0
        : all.findIndex((o) => o.createdAtMs > after.t || (o.createdAtMs === after.t && o.number > after.n));
    const slice = start < 0 ? [] : all.slice(start, start + first);
    const hasNext = start >= 0 && start + first < all.length;
    const last = slice[slice.length - 1];
    const actual = slice.length + 2;
    b.available -= actual;
    const asNodes = NODES.test(query.slice(query.indexOf('orders')));
    const list = asNodes
      ? { nodes: slice.map((o) => orderNode(shop, o, query)) }
      : { edges: slice.map((o) => ({ cursor: encodeCursor(o), node: orderNode(shop, o, query) })) };
    const json = {
      data: {
        orders: {
          ...list,
          pageInfo: { hasNextPage: hasNext, endCursor: last ? encodeCursor(last) : null },
        },
      },
      extensions: costBlock(requested, actual, b.available),
    };
    const pageIndex = after === null ? 0 : Math.ceil(start / first);
    const cut = faults.take('malformed_page', (f) => f.page === pageIndex);
    if (cut) return { write: (res) => cutOff(res, JSON.stringify(json), headers) };
    return { status: 200, json, headers };
  }

  /** orders matching a search query (created_at ranges), oldest first; without read_all_orders only the last 60 days */
  function matching(shop: SandboxShop, search: string, scopes: string[]): SandboxOrder[] {
    let from = Date.parse('2000-01-01T00:00:00Z');
    let to = Date.parse('2100-01-01T00:00:00Z');
    for (const m of search.matchAll(/created_at:(>=|<=|>|<)'?([0-9T:\-.+Z]+)'?/g)) {
      const t = Date.parse(m[2]!.length === 10 ? `${m[2]}T00:00:00Z` : m[2]!);
      if (Number.isNaN(t)) continue;
      if (m[1] === '>=') from = Math.max(from, t);
      else if (m[1] === '>') from = Math.max(from, t + 1);
      else if (m[1] === '<') to = Math.min(to, t);
      else to = Math.min(to, t + 1);
    }
    if (!scopes.includes('read_all_orders')) from = Math.max(from, now() - SIXTY_DAYS_MS);
    return world.orders(shop, from, to, now());
  }

  function orderNode(shop: SandboxShop, o: SandboxOrder, query: string, bulk = false): Record<string, unknown> {
    const s = world.state(o, shop, now());
    const money = (minor: bigint) => ({
      shopMoney: { amount: shopifyDecimal(minor, shop.exponent), currencyCode: shop.currency },
    });
    const has = (field: string) => query.includes(field);
    const node: Record<string, unknown> = { id: o.id };
    if (has('name')) node.name = o.name;
    if (has('createdAt')) node.createdAt = o.createdAt;
    if (has('sourceName')) node.sourceName = o.channel.sourceName;
    if (has('channelInformation')) node.channelInformation = { channelDefinition: { channelName: o.channel.name } };
    if (has('customerJourneySummary')) {
      node.customerJourneySummary =
        o.journey === 'none'
          ? null
          : {
              lastVisit: {
                utmParameters:
                  o.journey === 'utm'
                    ? { source: o.utm!.source, medium: o.utm!.medium, campaign: o.utm!.campaign }
                    : null,
              },
            };
    }
    if (has('currentSubtotalLineItemsQuantity')) node.currentSubtotalLineItemsQuantity = s.currentQuantity;
    if (has('subtotalPriceSet')) node.subtotalPriceSet = money(o.subtotalMinor);
    if (has('currentSubtotalPriceSet')) node.currentSubtotalPriceSet = money(s.currentSubtotalMinor);
    if (has('totalDiscountsSet')) node.totalDiscountsSet = money(o.discountMinor);
    if (has('currentShippingPriceSet')) node.currentShippingPriceSet = money(o.shippingMinor);
    if (has('currentTotalTaxSet')) node.currentTotalTaxSet = money(s.currentTaxMinor);
    if (has('currentTotalPriceSet')) node.currentTotalPriceSet = money(s.currentTotalMinor);
    if (!bulk && /lineItems\s*\(/.test(query))
      node.lineItems = { nodes: o.lines.map((l, i) => ({ id: l.id, currentQuantity: s.lineQuantities[i] })) };
    return node;
  }

  function runBulk(
    shop: SandboxShop,
    mutation: string,
    variables: Record<string, unknown>,
    auth: TokenRecord,
  ): unknown {
    count('bulk_run');
    const varName = /bulkOperationRunQuery\s*\(\s*query:\s*\$(\w+)/.exec(mutation)?.[1];
    const inner = varName ? variables[varName] : /"""([\s\S]*?)"""/.exec(mutation)?.[1];
    if (typeof inner !== 'string' || !/\borders\s*\(/.test(inner)) {
      return {
        bulkOperationRunQuery: {
          bulkOperation: null,
          userErrors: [
            {
              field: ['query'],
              message: 'Invalid bulk query: the sandbox serves bulk queries of orders',
              code: 'INVALID',
            },
          ],
        },
      };
    }
    if (!/\bedges\s*\{/.test(inner)) {
      return {
        bulkOperationRunQuery: {
          bulkOperation: null,
          userErrors: [
            {
              field: ['query'],
              message: "Bulk queries must contain at least one connection with 'edges' and 'node'",
              code: 'INVALID',
            },
          ],
        },
      };
    }
    const running = [...bulkOps.values()].filter(
      (op) => op.shop === shop && (op.status === 'CREATED' || op.status === 'RUNNING'),
    );
    if (running.length >= 5) {
      return {
        bulkOperationRunQuery: {
          bulkOperation: null,
          userErrors: [
            {
              field: null,
              message: 'A bulk query operation for this app and shop is already in progress (the limit is 5).',
              code: 'OPERATION_IN_PROGRESS',
            },
          ],
        },
      };
    }
    const id = `gid://shopify/BulkOperation/${720_000 + bulkOps.size + 1}`;
    bulkOps.set(id, {
      id,
      shop,
      query: inner,
      createdAtMs: now(),
      polls: 0,
      status: 'CREATED',
      errorCode: null,
      lines: null,
      truncated: false,
      scopes: auth.scopes,
    });
    return { bulkOperationRunQuery: { bulkOperation: { id, status: 'CREATED' }, userErrors: [] } };
  }

  function advanceBulk(op: BulkOp) {
    if (op.status === 'COMPLETED' || op.status === 'FAILED') return;
    op.polls++;
    if (op.polls < pollsToComplete) {
      op.status = 'RUNNING';
      return;
    }
    const failure = faults.take('bulk_failure');
    if (failure) {
      op.status = 'FAILED';
      op.errorCode = failure.errorCode;
      return;
    }
    // the file is written when the operation completes: numbers as of then
    const lines: string[] = [];
    for (const o of matching(
      op.shop,
      String(/orders\s*\(([^)]*)\)/.exec(op.query)?.[1] ?? '').replace(/\\"/g, '"'),
      op.scopes,
    )) {
      lines.push(JSON.stringify(orderNode(op.shop, o, op.query, true)));
      if (/lineItems\s*\{/.test(op.query)) {
        const s = world.state(o, op.shop, now());
        o.lines.forEach((l, i) =>
          lines.push(JSON.stringify({ id: l.id, currentQuantity: s.lineQuantities[i], __parentId: o.id })),
        );
      }
    }
    op.lines = lines;
    op.truncated = faults.take('malformed_page') !== undefined;
    op.status = 'COMPLETED';
  }

  function bulkNode(req: SandboxRequest, op: BulkOp) {
    const origin = `http://${req.headers.host ?? '127.0.0.1'}`;
    const objectCount = op.lines?.length ?? 0;
    return {
      id: op.id,
      status: op.status,
      errorCode: op.errorCode,
      createdAt: new Date(op.createdAtMs).toISOString(),
      completedAt: op.status === 'COMPLETED' || op.status === 'FAILED' ? new Date(now()).toISOString() : null,
      objectCount: String(objectCount),
      rootObjectCount: String(op.lines?.filter((l) => !l.includes('"__parentId"')).length ?? 0),
      fileSize: op.lines ? String(op.lines.reduce((n, l) => n + l.length + 1, 0)) : null,
      url:
        op.status === 'COMPLETED' && objectCount > 0
          ? `${origin}/bulk-results/${encodeURIComponent(op.id.split('/').pop()!)}.jsonl?X-Goog-Signature=${randomBytes(8).toString('hex')}`
          : null,
      partialDataUrl: null,
      query: op.query,
      type: 'QUERY',
    };
  }

  function pollBulk(
    req: SandboxRequest,
    shop: SandboxShop,
    query: string,
    variables: Record<string, unknown>,
  ): unknown {
    count('bulk_poll');
    const args = argsOf(query, 'bulkOperation', variables);
    const op = bulkOps.get(String(args.id ?? ''));
    if (!op || op.shop !== shop) return { bulkOperation: null };
    advanceBulk(op);
    return { bulkOperation: bulkNode(req, op) };
  }

  function listBulk(req: SandboxRequest, shop: SandboxShop): unknown {
    count('bulk_list');
    const nodes = [...bulkOps.values()]
      .filter((op) => op.shop === shop)
      .reverse()
      .slice(0, 10)
      .map((op) => bulkNode(req, op));
    return { bulkOperations: { nodes, pageInfo: { hasNextPage: false, endCursor: null } } };
  }

  const download = (req: SandboxRequest): SandboxReply => {
    count('bulk_download');
    const op = bulkOps.get(`gid://shopify/BulkOperation/${req.params[0]}`);
    if (!op?.lines || !req.url.searchParams.get('X-Goog-Signature'))
      return {
        status: 403,
        text: '<?xml version="1.0" encoding="UTF-8"?><Error><Code>AccessDenied</Code></Error>',
        contentType: 'application/xml',
      };
    const text = op.lines.map((l) => `${l}\n`).join('');
    if (op.truncated) return { write: (res) => cutOff(res, text, {}, 'application/jsonl') };
    return { status: 200, text, contentType: 'application/jsonl' };
  };

  const routes: SandboxRoute[] = [
    {
      name: 'graphql',
      method: 'POST',
      path: /^\/shops\/([^/]+)\/admin\/api\/([^/]+)\/graphql\.json$/,
      handle: graphql,
    },
    { name: 'oauth.authorize', method: 'GET', path: /^\/shops\/([^/]+)\/admin\/oauth\/authorize$/, handle: authorize },
    {
      name: 'oauth.access_token',
      method: 'POST',
      path: /^\/shops\/([^/]+)\/admin\/oauth\/access_token$/,
      handle: accessToken,
    },
    { name: 'bulk.download', method: 'GET', path: /^\/bulk-results\/(\d+)\.jsonl$/, handle: download },
  ];

  const platform: SandboxPlatform<ShopifyFault> = {
    name: 'shopify',
    routes,
    faults,
    faultSchema: ShopifyFaultSchema as never,
    advance(steps) {
      offsetMs += steps * 86_400_000;
      return offsetMs / 86_400_000;
    },
    truth(q) {
      if (q.get('report') === 'operations') return ops;
      if (q.get('report') === 'world')
        return {
          shops: world.shops.map((s) => ({
            domain: s.domain,
            name: s.name,
            currency: s.currency,
            time_zone: s.timeZone,
            static_token: s.staticToken,
          })),
        };
      const shop = world.shop(q.get('shop') ?? '');
      if (!shop) throw new Error('unknown shop');
      const from = q.get('from') ?? '';
      const to = q.get('to') ?? '';
      if (!isDay(from) || !isDay(to)) throw new Error('from and to (YYYY-MM-DD) are required');
      const report = q.get('report') ?? 'orders_daily';
      if (report !== 'orders_daily' && report !== 'orders_by_utm_daily')
        throw new Error('report is orders_daily, orders_by_utm_daily, operations or world');
      return {
        shop: shop.domain,
        currency: shop.currency,
        time_zone: shop.timeZone,
        rows: world.truth(shop, report, from, to, now()),
      };
    },
  };
  return {
    platform,
    world,
    faults,
    now,
    operations: () => ({ ...ops }),
    resetOperations: () => {
      ops = {};
    },
  };
}

export async function startShopifySandbox(options: ShopifySandboxOptions = {}): Promise<ShopifySandbox> {
  const p = shopifySandboxPlatform(options);
  const running = await startSandbox(p.platform, { port: options.port ?? 0 });
  return {
    ...running,
    world: p.world,
    faults: p.faults,
    operations: p.operations,
    resetOperations: p.resetOperations,
    now: p.now,
  };
}

/** Arguments of a field call (`orders(first: $first, query: $q)` or literals), variables resolved. */
function argsOf(query: string, field: string, variables: Record<string, unknown>): Record<string, unknown> {
  const m = new RegExp(`\\b${field}\\s*\\(([^)]*)\\)`).exec(query);
  const out: Record<string, unknown> = {};
  if (!m) return out;
  for (const a of m[1]!.matchAll(/(\w+)\s*:\s*(\$\w+|"(?:[^"\\]|\\.)*"|[\w.-]+)/g)) {
    const raw = a[2]!;
    out[a[1]!] = raw.startsWith('$')
      ? variables[raw.slice(1)]
      : raw.startsWith('"')
        ? JSON.parse(raw)
        : /^\d+$/.test(raw)
          ? Number(raw)
          : raw;
  }
  return out;
}

function encodeCursor(o: SandboxOrder): string {
  return Buffer.from(JSON.stringify({ last_id: o.number, last_value: o.createdAtMs })).toString('base64');
}
function decodeCursor(cursor: string): { n: number; t: number } | null {
  try {
    const c = JSON.parse(Buffer.from(cursor, 'base64').toString()) as { last_id: number; last_value: number };
    return { n: c.last_id, t: c.last_value };
  } catch {
    return null;
  }
}

/** sends the headers and half the body, then drops the connection */
function cutOff(
  res: ServerResponse,
  body: string,
  headers: Record<string, string>,
  contentType = 'application/json; charset=utf-8',
) {
  res.writeHead(200, { 'content-type': contentType, ...headers });
  res.end(body.slice(0, Math.floor(body.length / 2)));
}

/** `npm start`: the sandbox on port 4105, under `sandboxes.shopify` in local.json. */
export const shopifySandboxService = sandboxService({
  key: 'shopify',
  baseUrlKeys: ['shopify_admin'],
  defaultPort: 4105,
  start: (port) => startShopifySandbox({ port, faults: parseStartFaults(sandboxSettings('shopify').faults) }),
  env: {
    TRIBUTARY_SHOPIFY_CLIENT_ID: SHOPIFY_DEMO_CLIENT.clientId,
    TRIBUTARY_SHOPIFY_CLIENT_SECRET: SHOPIFY_DEMO_CLIENT.clientSecret,
  },
});

function parseStartFaults(raw: string | undefined): ShopifyFaultInput[] {
  if (!raw) return [];
  const parsed = JSON.parse(raw) as unknown;
  if (!Array.isArray(parsed)) throw new Error('TRIBUTARY_SANDBOX_SHOPIFY_FAULTS must be a JSON array of faults');
  return parsed.map((f) => ShopifyFaultSchema.parse(f));
}
