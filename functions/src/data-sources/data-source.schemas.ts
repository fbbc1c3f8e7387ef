import * as z from 'zod';
import { CalendarDateSchema } from '@tributary/shared/domain/calendar-date';
import { UuidSchema } from '../common.schemas';
import { DEFAULT_SCHEDULE, ScheduleConfigSchema } from '../schedules/schedule-config';

export const ExtractionConfigSchema = z
  .object({
    account_id: z.string().trim().min(1).max(100),
    report_types: z.array(z.string().min(1).max(100)).min(1).max(20),
    /** first day to backfill on the first run, YYYY-MM-DD */
    start_date: CalendarDateSchema.optional(),
    /**
     * The platform's own options for this source (Klaviyo: conversion_metric_id), checked against the account
     * by the connector's resolveOptions and stored complete; a platform without options refuses any.
     */
    options: z
      .record(z.string().regex(/^[a-z][a-z0-9_]{0,39}$/), z.string().trim().min(1).max(200))
      .refine((o) => Object.keys(o).length <= 10, 'at most 10 options')
      .optional(),
  })
  .strict();

export { ScheduleConfigSchema } from '../schedules/schedule-config';

export const DataSourceSchema = z.object({
  id: z.string().uuid(),
  project_id: z.string().uuid(),
  credential_id: z.string().uuid(),
  platform: z.string(),
  source_name: z.string(),
  extraction_config: z.record(z.string(), z.unknown()),
  schedule_config: z.record(z.string(), z.unknown()),
  is_active: z.boolean(),
  extraction_status: z.string(),
  /** the configured account as the platform last described it: the currency and time zone its numbers are in */
  account: z
    .object({
      id: z.string(),
      name: z.string(),
      currency: z.string(),
      time_zone: z.string(),
      checked_at: z.string().nullable(),
    })
    .nullable(),
  last_extraction_at: z.string().nullable(),
  next_extraction_at: z.string().nullable(),
  created_at: z.string().nullable(),
  updated_at: z.string().nullable(),
});
export type DataSource = z.infer<typeof DataSourceSchema>;

export const CreateDataSourceBodySchema = z
  .object({
    credential_id: UuidSchema,
    source_name: z.string().trim().min(1).max(200),
    extraction_config: ExtractionConfigSchema,
    schedule_config: ScheduleConfigSchema.default(DEFAULT_SCHEDULE),
    is_active: z.boolean().optional(),
  })
  .strict();

export const UpdateDataSourceBodySchema = z
  .object({
    source_name: z.string().trim().min(1).max(200).optional(),
    extraction_config: ExtractionConfigSchema.optional(),
    schedule_config: ScheduleConfigSchema.optional(),
    is_active: z.boolean().optional(),
  })
  .strict()
  .refine((v) => Object.keys(v).length > 0, 'nothing to update');

export const DataSourceParamsSchema = z.object({ project_id: UuidSchema, source_id: UuidSchema });
export const DataSourceListSchema = z.object({ data_sources: z.array(DataSourceSchema) });

export const ExtractBodySchema = z
  .object({
    window_start: CalendarDateSchema.optional(),
    window_end: CalendarDateSchema.optional(),
  })
  .strict()
  .refine(
    (v) => !v.window_start || !v.window_end || v.window_start <= v.window_end,
    'window_start must not be after window_end',
  );

export const JobSchema = z.object({
  id: z.string().uuid(),
  data_source_id: z.string().uuid(),
  job_type: z.string(),
  status: z.string(),
  progress_percent: z.number(),
  window_start: z.string().nullable(),
  window_end: z.string().nullable(),
  rows_read: z.number(),
  rows_inserted: z.number(),
  rows_updated: z.number(),
  error_code: z.string().nullable(),
  error_message: z.string().nullable(),
  started_at: z.string().nullable(),
  completed_at: z.string().nullable(),
  created_at: z.string().nullable(),
});
export const ExtractAcceptedSchema = z.object({ job_id: z.string().uuid(), status: z.string() });
export const DataSourceStatusSchema = z.object({ data_source: DataSourceSchema, jobs: z.array(JobSchema) });

export const JobParamsSchema = DataSourceParamsSchema.extend({ job_id: UuidSchema });

/** What went wrong with a window, in plain words, and what it needs from the user (if anything). */
export const ItemProblemSchema = z.object({
  kind: z.enum([
    'rate_limited',
    'token_expired',
    'permission_denied',
    'not_ready',
    'invalid_request',
    'transient',
    'fatal',
  ]),
  /** one sentence a marketer understands */
  message: z.string(),
  /** the platform's own words, as the connector reported them */
  detail: z.string().nullable(),
  /** rate limited or not ready: when the window is tried again (null once the run gave up on it) */
  resumes_at: z.string().nullable(),
  action: z.enum(['wait', 'reconnect', 'grant_access', 'edit_source', 'next_run']).nullable(),
  /** token expired: the connection to reconnect */
  credential_id: z.string().uuid().nullable(),
  /** permission denied: the account the connection may no longer read */
  account: z.object({ id: z.string(), name: z.string() }).nullable(),
});

export const WorkItemSchema = z.object({
  key: z.string(),
  report_type: z.string(),
  account_id: z.string(),
  window_start: z.string(),
  window_end: z.string(),
  status: z.string(),
  attempts: z.number().int(),
  pages: z.number().int(),
  rows_read: z.number(),
  rows_inserted: z.number(),
  rows_updated: z.number(),
  rows_unchanged: z.number(),
  error_code: z.string().nullable(),
  problem: ItemProblemSchema.nullable(),
  completed_at: z.string().nullable(),
});

/** Per day: how much this run moved numbers already stored (restated rows only; new rows are not a restatement). */
export const RestatementDaySchema = z.object({
  date: z.string(),
  rows_changed: z.number().int(),
  /** exact decimals as strings, in the account's currency */
  cost_delta: z.string(),
  conversions_delta: z.string(),
  revenue_delta: z.string(),
  impressions_delta: z.string(),
  clicks_delta: z.string(),
  data_types: z.array(z.string()),
});

export const RunDetailsSchema = z.object({
  job: JobSchema.extend({
    rows_unchanged: z.number(),
    duration_ms: z.number().nullable(),
    /** the run's own error (a plan that failed, or the first failed window), classified like an item's */
    problem: ItemProblemSchema.nullable(),
  }),
  items: z.array(WorkItemSchema),
  restatements: z.object({
    /** the account's currency (the deltas' unit); null before the account was first read */
    currency: z.string().nullable(),
    days: z.array(RestatementDaySchema),
  }),
});
export type ItemProblem = z.infer<typeof ItemProblemSchema>;
export type RunDetails = z.infer<typeof RunDetailsSchema>;
