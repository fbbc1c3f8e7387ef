// The faults the Meta sandbox can be told to produce, by its control endpoint (POST /__sandbox/faults) or
// by its start options. Each one reproduces what the real Graph API does in that situation, body and
// headers included (../../../../shared/PLATFORMS.md §2, §4).
import * as z from 'zod';

/** Which requests a fault applies to. */
export const FaultTargetSchema = z.enum(['any', 'ads', 'instagram', 'insights', 'report_runs']).default('any');

export const MetaFaultSchema = z.discriminatedUnion('kind', [
  /** Meta's throttling errors: 80000 ads_insights, 80002 instagram, 17 user, 613 ad account, 4 app */
  z.object({
    kind: z.literal('rate_limit'),
    code: z
      .union([z.literal(4), z.literal(17), z.literal(613), z.literal(80000), z.literal(80002), z.literal(80004)])
      .default(80000),
    regainMinutes: z.number().int().min(0).default(1),
    times: z.number().int().positive().optional(),
    target: FaultTargetSchema,
  }),
  /** HTTP 500 with Meta's transient "unexpected error" body */
  z.object({
    kind: z.literal('server_error'),
    status: z.number().int().min(500).max(599).default(500),
    times: z.number().int().positive().optional(),
    target: FaultTargetSchema,
  }),
  /**
   * mode 'error': the insights timeout Meta answers with (code 100, subcode 1504018: ask for less data);
   * mode 'hang': the connection stays open for hangMs and is then cut without a response.
   */
  z.object({
    kind: z.literal('timeout'),
    mode: z.enum(['error', 'hang']).default('error'),
    hangMs: z.number().int().positive().default(30_000),
    times: z.number().int().positive().optional(),
    target: FaultTargetSchema,
  }),
  /** every token issued until now expires (190/463); tokens exchanged afterwards work */
  z.object({ kind: z.literal('expired_token') }),
  /** the user removed the app: every token issued until now fails with 190/458 and cannot be exchanged */
  z.object({ kind: z.literal('revoked') }),
  /** the token is valid but lost the ads_read / instagram_manage_insights permission (code 200 / 10) */
  z.object({ kind: z.literal('permission_denied'), target: FaultTargetSchema }),
  /** page `page` (0-based) of any paged insights answer is cut off mid-JSON */
  z.object({
    kind: z.literal('malformed_page'),
    page: z.number().int().min(0).default(1),
    times: z.number().int().positive().optional(),
    target: FaultTargetSchema,
  }),
  /** a metric is served under a new name (Ads Insights field, or Instagram metric name) */
  z.object({ kind: z.literal('renamed_metric'), from: z.string().min(1), to: z.string().min(1) }),
  /** a metric disappears from responses even when asked for */
  z.object({ kind: z.literal('removed_metric'), field: z.string().min(1) }),
  /** a metric nobody asked for appears in every row (Meta adds fields in new versions) */
  z.object({ kind: z.literal('new_metric'), name: z.string().min(1), value: z.string().default('42') }),
  /** async report runs end in "Job Failed" with Meta's v25 error fields */
  z.object({ kind: z.literal('async_failure'), times: z.number().int().positive().optional() }),
]);
export type MetaFaultInput = z.input<typeof MetaFaultSchema>;
export type MetaFault = z.output<typeof MetaFaultSchema>;
export type FaultTarget = z.output<typeof FaultTargetSchema>;
