import * as z from 'zod';
import { PlatformSchema } from '@tributary/shared/domain/platform';
import { UuidSchema } from '../common.schemas';

/** Metadata only: the secret never comes back, only a masked preview of it. */
export const CredentialSchema = z.object({
  id: z.string().uuid(),
  project_id: z.string().uuid(),
  platform: z.string(),
  credential_type: z.enum(['oauth2', 'api_key', 'service_account']),
  label: z.string(),
  masked_preview: z.string().nullable(),
  status: z.string(),
  validation_status: z.string(),
  validation_message: z.string().nullable(),
  last_validated_at: z.string().nullable(),
  expires_at: z.string().nullable(),
  created_at: z.string().nullable(),
  updated_at: z.string().nullable(),
});
export type Credential = z.infer<typeof CredentialSchema>;

/** The secret fields as the platform needs them; checked against the connector's credentialSchema when it exists. */
const SecretValue = z
  .record(z.string().min(1).max(100), z.union([z.string().max(8192), z.number(), z.boolean(), z.null()]))
  .refine((v) => Object.keys(v).length > 0 && Object.keys(v).length <= 30, 'secret must have 1 to 30 fields');

export const CreateCredentialBodySchema = z
  .object({
    platform: PlatformSchema,
    credential_type: z.enum(['oauth2', 'api_key', 'service_account']),
    label: z.string().trim().min(1).max(200),
    secret: SecretValue,
    expires_at: z.string().datetime({ offset: true }).optional(),
  })
  .strict();

export const UpdateCredentialBodySchema = z
  .object({
    label: z.string().trim().min(1).max(200).optional(),
    /** replaces the stored secret; the previous value becomes unreadable */
    secret: SecretValue.optional(),
    status: z.enum(['active', 'disabled']).optional(),
    expires_at: z.string().datetime({ offset: true }).nullable().optional(),
  })
  .strict()
  .refine((v) => Object.keys(v).length > 0, 'nothing to update');

export const CredentialParamsSchema = z.object({ project_id: UuidSchema, credential_id: UuidSchema });
export const CredentialListSchema = z.object({ credentials: z.array(CredentialSchema) });
export const ValidationResultSchema = z.object({
  credential: CredentialSchema,
  valid: z.boolean(),
  message: z.string().nullable(),
});

export const OAuthStartParamsSchema = z.object({ project_id: UuidSchema, platform: PlatformSchema });
export const OAuthStartQuerySchema = z.object({
  label: z.string().trim().min(1).max(200).optional(),
  /** Shopify: the store to connect (name.myshopify.com); its OAuth lives on the store's own host */
  shop: z.string().trim().min(1).max(255).optional(),
  /** Amazon Ads: the Login with Amazon region the advertiser signs in to (its token host); NA by default */
  region: z.enum(['NA', 'EU', 'FE']).optional(),
});
export const OAuthStartSchema = z.object({
  authorization_url: z.string().url(),
  state: z.string(),
  expires_in: z.number().int(),
});
export const OAuthCallbackQuerySchema = z.object({
  state: z.string().min(16).max(200),
  code: z.string().min(1).max(4096).optional(),
  error: z.string().max(200).optional(),
});

/** What the dashboard's /oauth/callback page hands over, as the signed-in user who started the flow. */
export const OAuthCompleteBodySchema = z
  .object({ code: z.string().min(1).max(4096), state: z.string().min(16).max(200) })
  .strict();
/** What a credential can see on its platform: the accounts (for the data-source wizard) and the report types. */
export const CredentialAccountsSchema = z.object({
  accounts: z.array(z.object({ id: z.string(), name: z.string(), currency: z.string(), time_zone: z.string() })),
  report_types: z.array(z.object({ id: z.string(), name: z.string(), lookback_days: z.number().int() })),
});
