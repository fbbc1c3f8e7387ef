import { z } from 'zod';
import { PlatformSchema } from '@tributary/shared/domain/platform';

export const PlatformReportTypeSchema = z.object({
  id: z.string(),
  name: z.string(),
  dimensions: z.array(z.string()),
  metrics: z.array(z.string()),
  lookback_days: z.number().int(),
});

/** One platform as the dashboard shows it: what it is, how to connect it, which API version it speaks until when. */
export const PlatformInfoSchema = z.object({
  id: PlatformSchema,
  name: z.string(),
  /** false: the connector is not built yet; connecting answers 501 */
  available: z.boolean(),
  auth_kind: z.enum(['oauth2', 'api_key']).nullable(),
  /** OAuth scopes asked for (empty for API keys) */
  scopes: z.array(z.string()),
  /** the fields of the stored credential; for OAuth they are filled by the consent flow, for API keys by the user */
  credential_fields: z.array(
    z.object({
      name: z.string(),
      required: z.boolean(),
      /** what a form calls it */
      label: z.string(),
      /** where the user finds it, when the connector says */
      description: z.string().nullable(),
      /** a key or token: typed into a masked field */
      secret: z.boolean(),
    }),
  ),
  report_types: z.array(PlatformReportTypeSchema),
  api_version: z.string().nullable(),
  /** YYYY-MM-DD, the first day the platform stops serving api_version; null when none is published */
  api_sunset: z.string().nullable(),
});
export type PlatformInfo = z.infer<typeof PlatformInfoSchema>;

export const PlatformListSchema = z.object({ platforms: z.array(PlatformInfoSchema) });
