// Shopify through @shopify/admin-api-client (Admin GraphQL API 2026-10): the shop (one account per
// credential) and its orders as daily sales by channel and by the last visit's UTM parameters.
//
// Short windows (recent days, the lookback) are read with paged queries (orders, first 250, cursor); long
// windows (backfills) through a bulk operation: bulkOperationRunQuery, then bulkOperation(id) polled by the
// runtime (the bulk stream's job) until COMPLETED, then the JSONL file (children carry __parentId; groupObjects is
// false, so children are matched to their parents by id, not by position). Bulk operations are exempt from
// the cost limit; up to five may run per shop, and each must finish within ten days.
//
// A page is cut on day boundaries (a day never spans two pages), since normalize sums a day's orders:
//  - paged: the GraphQL responses (as Shopify sent them) are grouped until a response starts on a later day
//    than the group ends (cursor: Shopify's endCursor of its last response), or until the group holds about
//    maxPageOrders: then it ends before the day its last response stopped in (cursor d|day: normalize leaves
//    that day out) and that day is read again from its start, so a busy shop's window is never one page;
//  - bulk: the file's records grouped by the shop-local day of their order; the cursor names the operation
//    and the last day yielded, so a retry downloads the same file again and goes on after that day.
// Retries, rate-limit waits and token refresh are the runtime's (../runtime/call.ts).
import type { Platform } from '@tributary/shared/domain/platform';
import {
  ConnectorConfigError,
  FatalConnectorError,
  PermissionDeniedError,
  TransientPlatformError,
  type Catalog,
  type Connector,
  type ConnectorContext,
  type ExtractRequest,
  type PageOut,
  type ReportTypeInfo,
  type Stream,
} from '../contract';
import { callPlatform } from '../runtime/call';
import { declareConnector } from '../runtime/streams';
import { platformSdk } from '../runtime/platform-sdk';
import {
  SHOPIFY_API,
  SHOPIFY_API_VERSION,
  ShopifyFailure,
  bucketWaitMs,
  classifyShopifyError,
  graphqlRequest,
  type GraphQLAnswer,
} from './shopify-api';
import { ORDER_METRICS, localDay, localMidnightUtc, normalizeShopifyPage, type OrderNode } from './shopify-normalize';
import {
  ShopifyCredentialSchema,
  buildShopifyAuthorizeUrl,
  exchangeShopifyCode,
  refreshShopifyToken,
  shopifyAccessTokenExpiresAt,
  shopifyOAuthSpec,
  type ShopifyCredential,
} from './shopify-oauth';

const PLATFORM: Platform = 'shopify';
// the @shopify/admin-api-client client: loaded on the first platform call (runtime/platform-sdk.ts)
const sdk = platformSdk(PLATFORM, () => import('./shopify.sdk'));
const DAY_MS = 86_400_000;

// Refunds and order edits change an order's current totals for weeks (most return windows are 30 days).
const LOOKBACK_DAYS = 30;
const REPORTS: readonly ReportTypeInfo[] = [
  {
    id: 'orders_daily',
    name: 'Orders and sales by day and sales channel',
    dimensions: ['date', 'sales_channel'],
    metrics: [...ORDER_METRICS],
    lookbackDays: LOOKBACK_DAYS,
  },
  {
    id: 'orders_by_utm_daily',
    name: 'Orders and sales by day and last visit UTM source, medium and campaign',
    dimensions: ['date', 'utm_source', 'utm_medium', 'utm_campaign'],
    metrics: [...ORDER_METRICS],
    lookbackDays: LOOKBACK_DAYS,
  },
];

const ORDER_FIELDS = `id createdAt sourceName
  channelInformation { channelDefinition { channelName } }
  customerJourneySummary { lastVisit { utmParameters { source medium campaign } } }
  subtotalPriceSet { shopMoney { amount currencyCode } }
  currentSubtotalPriceSet { shopMoney { amount } }
  totalDiscountsSet { shopMoney { amount } }
  currentShippingPriceSet { shopMoney { amount } }
  currentTotalTaxSet { shopMoney { amount } }
  currentTotalPriceSet { shopMoney { amount } }`;

const ORDERS_QUERY = `query TributaryOrders($first: Int!, $after: String, $filter: String!) {
  orders(first: $first, after: $after, query: $filter, sortKey: CREATED_AT) {
    nodes { ${ORDER_FIELDS} currentSubtotalLineItemsQuantity }
    pageInfo { hasNextPage endCursor }
  }
}`;
const SHOP_QUERY = 'query TributaryShop { shop { id name myshopifyDomain currencyCode ianaTimezone } }';
const BULK_RUN = `mutation TributaryBulkOrders($query: String!) {
  bulkOperationRunQuery(query: $query, groupObjects: false) { bulkOperation { id status } userErrors { field message code } }
}`;
const BULK_POLL =
  'query TributaryBulkStatus($id: ID!) { bulkOperation(id: $id) { id status errorCode objectCount url partialDataUrl } }';

/** orders created from the shop-local start of `fromDay` to the end of `lastDay` */
function ordersFilter(fromDay: string, lastDay: string, timeZone: string): string {
  const from = new Date(localMidnightUtc(fromDay, timeZone)).toISOString();
  const to = new Date(
    localMidnightUtc(new Date(Date.parse(`${lastDay}T00:00:00Z`) + DAY_MS).toISOString().slice(0, 10), timeZone),
  ).toISOString();
  return `created_at:>='${from}' created_at:<'${to}'`;
}

function bulkQuery(filter: string): string {
  // items sold come from the line items, JSONL children of their order (__parentId)
  return `{ orders(query: ${JSON.stringify(filter)}, sortKey: CREATED_AT) { edges { node { ${ORDER_FIELDS} lineItems { edges { node { id currentQuantity } } } } } } }`;
}

export interface ShopifyOptions {
  /** orders per paged query (Shopify: at most 250) */
  pageSize?: number;
  /** windows of more days than this go through a bulk operation */
  pagedMaxDays?: number;
  /** about how many orders a page of a paged read holds before it is cut at a day's start */
  maxPageOrders?: number;
  bulkPollIntervalMs?: number;
  bulkMaxPolls?: number;
  callTimeoutMs?: number;
}

interface BulkNode {
  id: string;
  status: string;
  errorCode: string | null;
  url: string | null;
}

type OrdersAnswer = GraphQLAnswer<{
  orders: { nodes: OrderNode[]; pageInfo: { hasNextPage: boolean; endCursor: string | null } };
}>;
interface PagedState {
  /** the shop-local day the orders query starts at */
  fromDay: string;
  after: string | null;
  /** the answers of the page being gathered */
  group: {
    answers: unknown[];
    /** the end cursor after which the gathered page's successor starts */
    end: string | null;
    firstDay: string | null;
    lastDay: string | null;
    orders: number;
  };
}
interface BulkJob {
  id: string;
  key: string;
}
interface BulkState {
  /** the operation a cursor names, and the last day read from its file */
  id?: string;
  through?: string;
  key?: string;
  /** the operation's file once it completed; null when it wrote none */
  url?: string | null;
}
type Mode = { kind: 'done' } | { kind: 'paged'; state: PagedState } | { kind: 'bulk'; state: BulkState };

/** A bulk result file (JSONL) by the shop-local day of each record's order; children follow their parent's day. */
function bulkDays(text: string, request: ExtractRequest): Map<string, Record<string, unknown>[]> {
  const what = `${request.reportType} ${request.window.start}..${request.window.end}`;
  const records: Record<string, unknown>[] = [];
  let lineNo = 0;
  for (const line of text.split('\n')) {
    lineNo++;
    if (line === '') continue;
    try {
      records.push(JSON.parse(line) as Record<string, unknown>);
    } catch {
      throw new FatalConnectorError(
        `${what}: line ${lineNo} of Shopify's bulk result file is not JSON (the file is cut off or malformed)`,
        PLATFORM,
        'Shopify returned an export file Tributary cannot read.',
      );
    }
  }
  const dayOf = new Map<string, string>();
  for (const r of records)
    if (typeof r.__parentId !== 'string' && typeof r.createdAt === 'string')
      dayOf.set(String(r.id), localDay(r.createdAt, request.account.timeZone));
  const byDay = new Map<string, Record<string, unknown>[]>();
  for (const r of records) {
    const day = dayOf.get(String(typeof r.__parentId === 'string' ? r.__parentId : r.id));
    if (day === undefined)
      throw new FatalConnectorError(
        `${what}: a record of the bulk result file has no order`,
        PLATFORM,
        'Shopify returned an export file Tributary cannot read.',
      );
    const list = byDay.get(day);
    if (list) list.push(r);
    else byDay.set(day, [r]);
  }
  return byDay;
}

export function createShopifyConnector(options: ShopifyOptions = {}): Connector<ShopifyCredential> {
  const pageSize = options.pageSize ?? 250;
  const pagedMaxDays = options.pagedMaxDays ?? 31;
  const maxPageOrders = options.maxPageOrders ?? 2_500;
  const pollIntervalMs = options.bulkPollIntervalMs ?? 2_000;
  const maxPolls = options.bulkMaxPolls ?? 180;
  const callTimeoutMs = options.callTimeoutMs ?? 120_000;
  /** bulk operations started by this process and not read to the end: a retried extract polls the same one */
  const inflight = new Map<string, string>();

  const signalOf = (ctx: ConnectorContext<ShopifyCredential>) =>
    ctx.signal ? AbortSignal.any([ctx.signal, AbortSignal.timeout(callTimeoutMs)]) : AbortSignal.timeout(callTimeoutMs);
  /** One Admin API GraphQL request, the I/O only: the runtime budgets and classifies it. */
  const gqlSend = async <T>(
    ctx: ConnectorContext<ShopifyCredential>,
    query: string,
    variables: Record<string, unknown> = {},
  ): Promise<GraphQLAnswer<T>> => {
    const answer = await graphqlRequest<T>((await sdk()).adminClient(ctx), query, variables, signalOf(ctx));
    if (answer.servedVersion && answer.servedVersion !== SHOPIFY_API_VERSION) {
      ctx.logger.warn('Shopify served another Admin API version than the pinned one', {
        pinned: SHOPIFY_API_VERSION,
        served: answer.servedVersion,
      });
    }
    return answer;
  };
  const gql = <T>(
    ctx: ConnectorContext<ShopifyCredential>,
    what: string,
    query: string,
    variables: Record<string, unknown> = {},
  ) => callPlatform(connector, ctx, what, () => gqlSend<T>(ctx, query, variables));

  async function shopInfo(ctx: ConnectorContext<ShopifyCredential>) {
    const { data } = await gql<{
      shop: { id: string; name: string; myshopifyDomain: string; currencyCode: string; ianaTimezone: string };
    }>(ctx, 'read the shop', SHOP_QUERY);
    return {
      id: data.shop.myshopifyDomain,
      name: data.shop.name,
      currency: data.shop.currencyCode,
      timeZone: data.shop.ianaTimezone,
    };
  }

  const filterOf = (request: ExtractRequest, fromDay = request.window.start) =>
    ordersFilter(fromDay, request.window.end, request.account.timeZone);
  const whatOf = (request: ExtractRequest) => `${request.reportType} ${request.window.start}..${request.window.end}`;
  const empty = (): PagedState['group'] => ({ answers: [], end: null, firstDay: null, lastDay: null, orders: 0 });

  /**
   * Windows of up to pagedMaxDays: the orders query paged by endCursor. A page is a group of answers that ends
   * with a whole day (cursor `p|<from day>|<end cursor>`), or, once it holds about maxPageOrders, before the
   * day the last answer stopped in (cursor `d|<that day>`: it is read again from its start). `done` at the end.
   */
  const pagedStream: Stream<ShopifyCredential, Mode, PagedState, OrdersAnswer> = {
    reportTypes: REPORTS.map((r) => r.id),
    when: (request) => mode(request).kind !== 'bulk',
    plan: async (io, request) => checkedMode(io.ctx, request),
    resume: (_cursor, { plan }) => (plan.kind === 'paged' ? plan.state : null),
    request: (st, { ctx, request }) => {
      const what = whatOf(request);
      const variables = { first: pageSize, after: st.after, filter: filterOf(request, st.fromDay) };
      return { what, send: () => gqlSend<OrdersAnswer['data']>(ctx, ORDERS_QUERY, variables) };
    },
    paginate: (answer, st, { request }) => {
      const tz = request.account.timeZone;
      const what = whatOf(request);
      const orders = answer.data?.orders;
      if (!orders || !Array.isArray(orders.nodes) || !orders.pageInfo)
        throw new FatalConnectorError(
          `${what}: Shopify answered without orders`,
          PLATFORM,
          'Shopify returned something Tributary cannot read.',
        );
      const pages: PageOut[] = [];
      const nodes = orders.nodes;
      const firstDay = nodes.length ? localDay(nodes[0]!.createdAt, tz) : null;
      let g = st.group;
      if (g.answers.length > 0 && firstDay !== null && g.lastDay !== null && firstDay > g.lastDay) {
        // the day ended with the previous answer: a page of whole days, resumed after that answer
        pages.push({ body: g.answers, cursor: g.end === null ? null : `p|${st.fromDay}|${g.end}` });
        g = { ...empty(), end: g.end, lastDay: g.lastDay };
      }
      const answers = [
        ...g.answers,
        { data: answer.data, ...(answer.extensions ? { extensions: answer.extensions } : {}) },
      ];
      g = {
        answers,
        orders: g.orders + nodes.length,
        firstDay: nodes.length ? (g.firstDay ?? firstDay) : g.firstDay,
        lastDay: nodes.length ? localDay(nodes[nodes.length - 1]!.createdAt, tz) : g.lastDay,
        end: orders.pageInfo.endCursor ?? g.end,
      };
      const after = orders.pageInfo.endCursor;
      if (!orders.pageInfo.hasNextPage || !after) {
        pages.push({ body: g.answers, cursor: 'done' });
        return { page: pages, next: null };
      }
      if (g.orders >= maxPageOrders && g.firstDay !== null && g.lastDay !== null && g.lastDay > g.firstDay) {
        // a page holds at most about maxPageOrders: it ends before the day the last answer stopped in (the
        // cursor says so, and normalize leaves that day out), and that day is read again from its start
        pages.push({ body: g.answers, cursor: `d|${g.lastDay}` });
        return { page: pages, next: { fromDay: g.lastDay, after: null, group: empty() } };
      }
      return { page: pages, next: { ...st, after, group: g } };
    },
  };

  /**
   * Longer windows: one bulk operation (the stream's job; a retried extract polls the one this process started,
   * or the one the cursor names), its JSONL file downloaded and grouped into a page per shop-local day (cursor
   * `b|<operation id>|<day>`, `done` for the last).
   */
  const bulkStream: Stream<ShopifyCredential, Mode, BulkState, string> = {
    reportTypes: REPORTS.map((r) => r.id),
    when: (request) => mode(request).kind === 'bulk',
    plan: async (io, request) => checkedMode(io.ctx, request),
    resume: (_cursor, { plan }) => (plan.kind === 'bulk' ? plan.state : null),
    job: {
      wanted: (st) => st.url === undefined,
      start: async (io, st, { ctx, request }) => {
        const what = whatOf(request);
        const query = bulkQuery(filterOf(request));
        const key = `${ctx.credential.shop}|${query}`;
        const known = st.id ?? inflight.get(key);
        if (known) return { id: known, key };
        const { data } = await io.call(`start the bulk export of ${what}`, () =>
          gqlSend<{
            bulkOperationRunQuery: {
              bulkOperation: { id: string } | null;
              userErrors: { message: string; code?: string }[];
            };
          }>(ctx, BULK_RUN, { query }),
        );
        const run = data.bulkOperationRunQuery;
        if (!run.bulkOperation) {
          const message = run.userErrors.map((e) => e.message).join('; ') || 'no bulk operation';
          // five already running for this shop: they finish, and the window is tried again
          if (run.userErrors.some((e) => e.code === 'OPERATION_IN_PROGRESS'))
            throw new TransientPlatformError(`${what}: ${message}`, PLATFORM);
          throw new ConnectorConfigError(
            `${what}: Shopify refused the bulk export: ${message}`,
            PLATFORM,
            `Shopify refused the export of orders (${message}).`,
          );
        }
        inflight.set(key, run.bulkOperation.id);
        return { id: run.bulkOperation.id, key };
      },
      poll: async (io, op: BulkJob, { ctx, request }) => {
        const what = whatOf(request);
        const { data } = await io.call(`poll the bulk export of ${what}`, () =>
          gqlSend<{ bulkOperation: BulkNode | null }>(ctx, BULK_POLL, { id: op.id }),
        );
        const node = data.bulkOperation;
        if (!node) {
          inflight.delete(op.key);
          throw new TransientPlatformError(`${what}: Shopify no longer knows the bulk operation ${op.id}`, PLATFORM);
        }
        if (node.status === 'FAILED' || node.status === 'CANCELED' || node.status === 'EXPIRED') {
          inflight.delete(op.key);
          if (node.errorCode === 'ACCESS_DENIED') {
            throw new PermissionDeniedError(
              `${what}: the bulk export failed with ACCESS_DENIED`,
              PLATFORM,
              "The connected Shopify app may not read this shop's orders (read_orders, read_all_orders). Reconnect the shop and approve the access.",
            );
          }
          // INTERNAL_SERVER_ERROR, TIMEOUT, a cancelled or expired run: a new operation on retry
          throw new TransientPlatformError(
            `${what}: the bulk export ended ${node.status} (${node.errorCode ?? 'no error code'})`,
            PLATFORM,
            'Shopify did not finish the export of orders; the extraction will retry.',
          );
        }
        return node.status === 'COMPLETED' ? node : undefined;
      },
      polling: { maxPolls, delayMs: (poll) => Math.min(30_000, pollIntervalMs * 2 ** Math.min(poll - 1, 4)) },
      describe: (op: BulkJob, { request }) => `the Shopify bulk export ${op.id} of ${whatOf(request)}`,
      ready: (st, op: BulkJob, node: BulkNode) => {
        // no orders in the window: Shopify writes no file
        if (!node.url) inflight.delete(op.key);
        return { ...st, id: op.id, key: op.key, url: node.url };
      },
    },
    request: (st, { ctx, request }) => {
      const url = st.url;
      if (!url) return null;
      return {
        what: `download the bulk export of ${whatOf(request)}`,
        send: async () => {
          const res = await fetch(url, { signal: signalOf(ctx) });
          if (!res.ok)
            throw new ShopifyFailure(
              `the bulk result file answered HTTP ${res.status}`,
              res.status,
              null,
              [],
              undefined,
              res.headers.get('retry-after'),
            );
          return res.text();
        },
      };
    },
    paginate: (text, st, { request }) => {
      const byDay = bulkDays(text, request);
      const days = [...byDay.keys()].sort().filter((d) => st.through === undefined || d > st.through);
      inflight.delete(st.key!);
      const page = days.map((day, i) => ({
        body: byDay.get(day)!,
        cursor: i === days.length - 1 ? 'done' : `b|${st.id}|${day}`,
      }));
      return { page, next: null };
    },
    // a window without orders (no file, or none after the resumed day): one empty page
    end: (_st, _x, pages) => (pages === 0 ? { body: [], cursor: 'done' } : undefined),
  };

  function checkedMode(ctx: ConnectorContext<ShopifyCredential>, request: ExtractRequest): Mode {
    if (request.account.id !== ctx.credential.shop) {
      throw new ConnectorConfigError(
        `the data source's shop ${request.account.id} is not the credential's (${ctx.credential.shop})`,
        PLATFORM,
        `This Shopify credential connects ${ctx.credential.shop}, not ${request.account.id}.`,
      );
    }
    return mode(request);
  }

  /** Which stream serves the window, from where: a resume cursor names its own; else the window's length decides. */
  function mode(request: ExtractRequest): Mode {
    if (request.resumeCursor === 'done') return { kind: 'done' };
    const [kind, a, b] = (request.resumeCursor ?? '').split('|');
    const days = Math.round((Date.parse(request.window.end) - Date.parse(request.window.start)) / DAY_MS) + 1;
    if (kind === 'b') return { kind: 'bulk', state: { id: a!, through: b! } };
    if (kind === 'p') return { kind: 'paged', state: { fromDay: a!, after: b!, group: { ...empty(), end: b! } } };
    if (kind === 'd') return { kind: 'paged', state: { fromDay: a!, after: null, group: empty() } };
    if (days <= pagedMaxDays)
      return { kind: 'paged', state: { fromDay: request.window.start, after: null, group: empty() } };
    return { kind: 'bulk', state: {} };
  }

  const connector: Connector<ShopifyCredential> = declareConnector({
    platform: PLATFORM,
    displayName: 'Shopify',
    apiVersion: SHOPIFY_API,
    auth: shopifyOAuthSpec,
    credentialSchema: ShopifyCredentialSchema,
    // The real limit is the cost bucket (shopify.dev/docs/api/usage/limits#graphql-admin-api-rate-limits):
    // 2,000 points restored at 100/s on Standard plans (up to 2,000/s on Enterprise), read from every answer's
    // throttleStatus (throttleHint). This call rate only keeps bursts of cheap calls polite.
    rateLimits: [{ limit: 10, intervalMs: 1_000 }],
    reportTypes: REPORTS,
    // Shopify keeps every order (older than 60 days with read_all_orders)
    dataRetentionMonths: 120,
    // a shop runs at most five bulk operations at once; two windows leave room for other apps
    maxConcurrency: 2,
    // a quarter per window: one bulk operation for a backfill's quarter
    windowDays: 92,
    oauthApp: 'shopify',
    classifyError: (err, at) => classifyShopifyError(err, at.what, at.nowMs),
    // after each answer: if the bucket no longer holds what that query asked for, wait until it does
    throttleHint(result) {
      const cost = (result as GraphQLAnswer<unknown> | null)?.extensions?.cost;
      if (!cost?.throttleStatus || cost.requestedQueryCost === undefined) return undefined;
      const wait = bucketWaitMs(cost.requestedQueryCost, cost.throttleStatus);
      return wait > 0 ? wait : undefined;
    },

    async validate(ctx) {
      // one order too: a token that may read the shop but not its orders is refused now, not at the first run
      await gql(
        ctx,
        'read the shop and its orders',
        'query TributaryValidate { shop { id } orders(first: 1) { nodes { id } } }',
      );
    },

    async discover(ctx): Promise<Catalog> {
      return { accounts: [await shopInfo(ctx)], reportTypes: [...REPORTS] };
    },

    async catalogFor(ctx, accountId): Promise<Catalog> {
      const shop = await shopInfo(ctx);
      return { accounts: shop.id === accountId ? [shop] : [], reportTypes: [...REPORTS] };
    },

    // short windows page the orders query; long ones (or a cursor naming a bulk operation) go through a bulk export
    streams: [pagedStream, bulkStream],

    normalize: normalizeShopifyPage,

    buildAuthorizeUrl: (args) => buildShopifyAuthorizeUrl({ ...args, shop: args.start?.shop }),
    exchangeCode: (args) => exchangeShopifyCode({ ...args, shop: args.start?.shop }),
    refresh: (ctx) => refreshShopifyToken(ctx),
    accessTokenExpiresAt: shopifyAccessTokenExpiresAt,
  });
  return connector;
}

export const shopifyConnector = createShopifyConnector();
