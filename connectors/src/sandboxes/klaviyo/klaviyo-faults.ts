// The faults the Klaviyo sandbox can be told to produce (POST /__sandbox/faults, or `faults` at start).
// `target` picks the endpoints: the Reporting API's reports, accounts, metrics, or all of them.
import * as z from 'zod';

const target = z.enum(['any', 'reports', 'accounts', 'metrics']).default('any');
const times = z.number().int().positive().optional();

export const KlaviyoFaultSchema = z.discriminatedUnion('kind', [
  /**
   * 429 throttled with Retry-After (seconds). `window: 'daily'` is the 225-a-day cap: Retry-After runs until the
   * oldest call of the last 24 hours leaves the window (hours, not seconds).
   */
  z.object({
    kind: z.literal('rate_limit'),
    target,
    times,
    retryAfterSeconds: z.number().int().min(0).default(30),
    window: z.enum(['steady', 'daily']).default('steady'),
  }),
  z.object({
    kind: z.literal('server_error'),
    target,
    times,
    status: z.union([z.literal(500), z.literal(502), z.literal(503), z.literal(504)]).default(503),
  }),
  /** the connection stays open for hangMs, then is cut without an answer */
  z.object({ kind: z.literal('timeout'), target, times, hangMs: z.number().int().positive().default(30_000) }),
  /** every private key and access token issued so far stops working (401 authentication_failed): a deleted key */
  z.object({ kind: z.literal('invalid_key') }),
  /** every OAuth access token issued so far has expired (401); refreshing gives a working one */
  z.object({ kind: z.literal('expired_token') }),
  /** the account removed the app: access and refresh tokens issued so far stop working */
  z.object({ kind: z.literal('revoked') }),
  /** the key lost a scope: 403 permission_denied */
  z.object({ kind: z.literal('permission_denied'), target, times }),
  /** the `page`-th page (0-based) of a report is cut off mid-JSON */
  z.object({ kind: z.literal('malformed_page'), target, times, page: z.number().int().min(0).default(0) }),
]);
export type KlaviyoFault = z.output<typeof KlaviyoFaultSchema>;
export type KlaviyoFaultInput = z.input<typeof KlaviyoFaultSchema>;
export type KlaviyoFaultTarget = Exclude<z.output<typeof target>, 'any'>;
