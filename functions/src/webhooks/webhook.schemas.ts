// The management API's webhook shapes. The key appears in exactly two responses (create and rotate), once.
import * as z from 'zod';
import { UuidSchema } from '../common.schemas';
import { OUTPUT_FORMATS, WebhookScopeSchema } from '../data/query.schemas';

export const WebhookParamsSchema = z.object({ project_id: UuidSchema, webhook_id: UuidSchema });

export const CreateWebhookBodySchema = z.object({
  name: z.string().trim().min(1).max(200),
  allowed_data_sources: z.array(UuidSchema).max(200).default([]),
  default_filters: WebhookScopeSchema.default({ filters: [] }),
  output_format: z.enum(OUTPUT_FORMATS).default('json'),
  rate_limit_per_hour: z.number().int().min(1).max(100_000).default(1000),
  expires_at: z.string().datetime({ offset: true }).nullable().default(null),
});
export const UpdateWebhookBodySchema = CreateWebhookBodySchema.partial().refine(
  (b) => Object.keys(b).length > 0,
  'nothing to update',
);

export const WebhookSchema = z.object({
  id: z.string(),
  project_id: z.string(),
  name: z.string(),
  key_prefix: z.string(),
  is_active: z.boolean(),
  revoked_at: z.string().nullable(),
  allowed_data_sources: z.array(z.string()),
  default_filters: WebhookScopeSchema,
  output_format: z.string(),
  rate_limit_per_hour: z.number(),
  expires_at: z.string().nullable(),
  last_used_at: z.string().nullable(),
  created_at: z.string(),
  updated_at: z.string(),
});
export const WebhookWithKeySchema = z.object({ webhook: WebhookSchema, key: z.string(), note: z.string() });
export const WebhookListSchema = z.object({ webhooks: z.array(WebhookSchema) });

/** A signed sharing URL lives at most 90 days (and never past the webhook's own expiry). */
export const MAX_SIGNED_URL_SECONDS = 90 * 24 * 3600;
export const SignedUrlBodySchema = z.object({
  endpoint: z.enum(['data', 'summary', 'metrics']).default('data'),
  /**
   * the query string the URL fixes, as name → value (e.g. { format: 'csv', date_range: 'last_30_days' }); checked like
   * a request would be
   */
  query: z
    .record(z.string().regex(/^[a-z_]{1,40}$/), z.string().max(2000))
    .refine((q) => !('exp' in q) && !('sig' in q), 'exp and sig are set by the server')
    .default({}),
  expires_in_seconds: z
    .number()
    .int()
    .min(60)
    .max(MAX_SIGNED_URL_SECONDS)
    .default(7 * 24 * 3600),
});
export const SignedUrlSchema = z.object({
  url: z.string(),
  expires_at: z.string(),
  webhook_id: z.string(),
  endpoint: z.string(),
});

/** The webhook's access log, newest first: when, what (the path without the key), status, size and time. */
export const WebhookAccessLogSchema = z.object({
  entries: z.array(
    z.object({
      at: z.string(),
      path: z.string(),
      params: z.record(z.string(), z.unknown()).nullable(),
      status: z.number().int(),
      bytes: z.number().nullable(),
      ms: z.number().nullable(),
      user_agent: z.string().nullable(),
    }),
  ),
});
