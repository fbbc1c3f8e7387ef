// The management API's webhook shapes. The key appears in exactly two responses (create and rotate), once.
import { z } from 'zod';
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
export const UpdateWebhookBodySchema = CreateWebhookBodySchema.partial().refine((b) => Object.keys(b).length > 0, 'nothing to update');

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
