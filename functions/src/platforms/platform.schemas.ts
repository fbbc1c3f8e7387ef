import * as z from 'zod';
import { PlatformSchema } from '@tributary/shared/domain/platform';

export const PlatformReportTypeSchema = z.object({
  id: z.string(),
  name: z.string(),
  dimensions: z.array(z.string()),
  metrics: z.array(z.string()),
  lookback_days: z.number().int(),
});

/** A credential field as a form asks for it. */
export const CredentialFieldSchema = z.object({
  name: z.string(),
  required: z.boolean(),
  /** what a form calls it */
  label: z.string(),
  /** where the user finds it, when the connector says */
  description: z.string().nullable(),
  /** a key or token: typed into a masked field */
  secret: z.boolean(),
  /** the values it may take, when it is a choice (Amazon's region) */
  options: z.array(z.string()).nullable(),
});

/** One platform as the dashboard shows it: what it is, how to connect it, which API version it speaks until when. */
export const PlatformInfoSchema = z.object({
  id: PlatformSchema,
  name: z.string(),
  /** false: the connector is not built yet; connecting answers 501 */
  available: z.boolean(),
  auth_kind: z.enum(['oauth2', 'api_key']).nullable(),
  /** how a user may connect: the consent flow, a key typed in, or either */
  connect_methods: z.array(z.enum(['oauth2', 'api_key'])),
  /** OAuth scopes asked for (empty for API keys) */
  scopes: z.array(z.string()),
  /** what a user types to connect with a key (api_key in connect_methods); empty when only the consent flow connects */
  credential_fields: z.array(CredentialFieldSchema),
  /** OAuth only: what the user names before the consent page, sent as query parameters of the OAuth start */
  oauth_start_fields: z.array(CredentialFieldSchema),
  report_types: z.array(PlatformReportTypeSchema),
  api_version: z.string().nullable(),
  /** YYYY-MM-DD, the first day the platform stops serving api_version; null when none is published */
  api_sunset: z.string().nullable(),
});
export type PlatformInfo = z.infer<typeof PlatformInfoSchema>;

export const PlatformListSchema = z.object({ platforms: z.array(PlatformInfoSchema) });
