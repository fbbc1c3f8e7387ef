// The faults the Google sandbox can be told to produce (POST /__sandbox/faults, or `faults` at start).
// `target` picks the API: Google Ads, GA4 (Data and Admin), or both. Names follow the Meta sandbox's, so
// tests read the same across platforms.
import * as z from 'zod';
import { FaultBoard } from '../base/faults';

const target = z.enum(['any', 'google_ads', 'ga4']).default('any');
const times = z.number().int().positive().optional();

export const GoogleFaultSchema = z.discriminatedUnion('kind', [
  /** Ads: 429 RESOURCE_EXHAUSTED with quotaErrorDetails.retryDelay; GA4: 429 with the exhausted quota's message */
  z.object({
    kind: z.literal('rate_limit'),
    target,
    times,
    retryDelaySeconds: z.number().int().min(0).default(30),
    ga4Quota: z.enum(['concurrent_requests', 'tokens_per_hour', 'tokens_per_day']).default('concurrent_requests'),
  }),
  z.object({
    kind: z.literal('server_error'),
    target,
    times,
    status: z.union([z.literal(500), z.literal(503)]).default(503),
  }),
  /** the connection stays open for hangMs, then is cut without an answer */
  z.object({ kind: z.literal('timeout'), target, times, hangMs: z.number().int().positive().default(30_000) }),
  /** every access token issued so far expires (401 UNAUTHENTICATED); refreshing gives a working one */
  z.object({ kind: z.literal('expired_token') }),
  /** the user removed the app: tokens and refresh tokens issued so far stop working */
  z.object({ kind: z.literal('revoked') }),
  /** the login lost access to every account (403 PERMISSION_DENIED) */
  z.object({ kind: z.literal('permission_denied'), target }),
  /** Ads: the batch `page` of a stream is cut off mid-JSON; GA4: the `page`-th page (0-based) of a report */
  z.object({ kind: z.literal('malformed_page'), target, times, page: z.number().int().min(0).default(1) }),
  /** the field `from` (REST name, e.g. metrics.conversionsValue / keyEvents) is refused as unknown */
  z.object({ kind: z.literal('renamed_metric'), from: z.string().min(1), to: z.string().min(1) }),
  /** a field disappears from the rows even when asked for */
  z.object({ kind: z.literal('removed_metric'), field: z.string().min(1) }),
  /** a metric nobody asked for appears in every row (Ads: under metrics.<name>; GA4: an extra metric column) */
  z.object({ kind: z.literal('new_metric'), name: z.string().min(1), value: z.string().default('42') }),
]);
export type GoogleFault = z.output<typeof GoogleFaultSchema>;
export type GoogleFaultInput = z.input<typeof GoogleFaultSchema>;
export type GoogleFaultBoard = FaultBoard<GoogleFault>;
