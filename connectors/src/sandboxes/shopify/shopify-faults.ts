// The faults the Shopify sandbox can be told to produce (POST /__sandbox/faults, or `faults` at start). Each
// reproduces what the Admin API does in that situation, status and body included (shared/PLATFORMS.md §5).
import * as z from 'zod';

const times = z.number().int().positive().optional();

export const ShopifyFaultSchema = z.discriminatedUnion('kind', [
  /** HTTP 200, no data, errors[].extensions.code THROTTLED, the bucket at `available` points */
  z.object({ kind: z.literal('throttled'), times, available: z.number().min(0).default(37) }),
  /** the HTTP 429 some reports describe, with Retry-After in seconds */
  z.object({ kind: z.literal('http_429'), times, retryAfterSeconds: z.number().min(0).default(2) }),
  z.object({
    kind: z.literal('server_error'),
    times,
    status: z.union([z.literal(500), z.literal(502), z.literal(503), z.literal(504)]).default(503),
  }),
  /** the connection stays open for hangMs, then is cut without an answer */
  z.object({ kind: z.literal('timeout'), times, hangMs: z.number().int().positive().default(30_000) }),
  /** every access token issued so far stops working (401); refresh tokens still work */
  z.object({ kind: z.literal('expired_token') }),
  /** the merchant took the app's order access away: 403 on every call, refresh tokens refused */
  z.object({ kind: z.literal('revoked') }),
  /** a GraphQL ACCESS_DENIED error (HTTP 200) on orders */
  z.object({ kind: z.literal('access_denied'), times }),
  /** the `page`-th orders page (0-based) of a paged query, or a bulk result file, is cut off mid-JSON */
  z.object({ kind: z.literal('malformed_page'), times, page: z.number().int().min(0).default(1) }),
  /** bulk operations end FAILED with this errorCode */
  z.object({
    kind: z.literal('bulk_failure'),
    times,
    errorCode: z.enum(['INTERNAL_SERVER_ERROR', 'TIMEOUT', 'ACCESS_DENIED']).default('INTERNAL_SERVER_ERROR'),
  }),
]);
export type ShopifyFault = z.output<typeof ShopifyFaultSchema>;
export type ShopifyFaultInput = z.input<typeof ShopifyFaultSchema>;
