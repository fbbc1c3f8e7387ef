// The faults the Amazon Ads sandbox can be told to produce (POST /__sandbox/faults, or `faults` at start),
// each as Amazon answers it (PLATFORMS.md §6 "Errors"). `target` picks the requests: the profile list, report
// creation, status polls, the S3 download, or the LWA token endpoint.
import * as z from 'zod';
import { FaultBoard } from '../base/faults';

const target = z.enum(['any', 'profiles', 'create', 'poll', 'download', 'token']).default('any');
const times = z.number().int().positive().optional();

export const AmazonFaultSchema = z.discriminatedUnion('kind', [
  /** 429 {"code":"429","detail":"Too Many Requests"}, with Retry-After unless retryAfterSeconds is null */
  z.object({
    kind: z.literal('rate_limit'),
    target,
    times,
    retryAfterSeconds: z.number().int().min(0).nullable().default(2),
  }),
  z.object({
    kind: z.literal('server_error'),
    target,
    times,
    status: z.union([z.literal(500), z.literal(502), z.literal(503)]).default(500),
  }),
  /** the connection stays open for hangMs, then is cut without an answer */
  z.object({ kind: z.literal('timeout'), target, times, hangMs: z.number().int().positive().default(30_000) }),
  /** every access token issued so far expires (401); refreshing gives a working one */
  z.object({ kind: z.literal('expired_token') }),
  /** the user removed the app: access and refresh tokens issued so far stop working (refresh: invalid_grant) */
  z.object({ kind: z.literal('revoked') }),
  /** the login lost access to a profile (or every profile): 403 on calls scoped to it */
  z.object({ kind: z.literal('permission_denied'), profileId: z.string().optional() }),
  /** the downloaded report is cut short (gzip) or is gzip of something that is not the JSON array (json) */
  z.object({ kind: z.literal('malformed_report'), mode: z.enum(['gzip', 'json']).default('gzip'), times }),
  /** the next reports created stay PENDING/PROCESSING for `extraPolls` more status reads than the sandbox's usual */
  z.object({ kind: z.literal('slow_report'), extraPolls: z.number().int().min(1).default(5), times }),
  /** the report's generation ends in status FAILED */
  z.object({ kind: z.literal('report_failed'), times }),
]);
export type AmazonFault = z.output<typeof AmazonFaultSchema>;
export type AmazonFaultInput = z.input<typeof AmazonFaultSchema>;
export type AmazonFaultBoard = FaultBoard<AmazonFault>;
