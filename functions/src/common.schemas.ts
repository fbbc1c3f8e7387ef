// Schemas every feature shares: ids in paths, paging, the error envelope's responses.
import { ErrorEnvelopeSchema } from '@tributary/shared/http/error-envelope';
import type { RouteResponse } from '@tributary/shared/http/route';
import * as z from 'zod';

export const UuidSchema = z.string().uuid();
export const ProjectParamsSchema = z.object({ project_id: UuidSchema });

export const PageQuerySchema = z.object({
  page: z.coerce.number().int().min(1).max(100_000).default(1),
  page_size: z.coerce.number().int().min(1).max(200).default(50),
});

export const PageInfoSchema = z.object({
  page: z.number().int(),
  page_size: z.number().int(),
  total: z.number().int(),
});

const error = (description: string): RouteResponse => ({ description, schema: ErrorEnvelopeSchema });

/** The failures every authenticated route can answer with. */
export const STANDARD_ERRORS = {
  400: error('Invalid request parameters'),
  401: error('Missing, expired or invalid access token'),
  403: error('The role does not allow this action'),
  404: error('Not found, or not in any of your organizations'),
  429: error('Rate limit exceeded'),
  500: error('Unexpected error'),
} as const satisfies Record<number, RouteResponse>;

export const PUBLIC_ERRORS = {
  400: STANDARD_ERRORS[400],
  401: STANDARD_ERRORS[401],
  429: STANDARD_ERRORS[429],
  500: STANDARD_ERRORS[500],
} as const;

export const conflict = error('Conflicts with the current state');
export const notImplemented = error('Not available for this platform yet');
export const notConfigured = error('Not available on this deployment (a setting it needs is missing)');

export const iso = (d: Date | string | null | undefined): string | null =>
  d == null ? null : d instanceof Date ? d.toISOString() : new Date(d).toISOString();
