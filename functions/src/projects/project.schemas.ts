import * as z from 'zod';
import { PageInfoSchema, PageQuerySchema, UuidSchema } from '../common.schemas';

export const ProjectSchema = z.object({
  id: z.string().uuid(),
  organization_id: z.string().uuid(),
  name: z.string(),
  description: z.string().nullable(),
  is_active: z.boolean(),
  reporting_currency: z.string(),
  timezone: z.string(),
  hot_retention_days: z.number().int(),
  archive_retention_days: z.number().int(),
  settings: z.record(z.string(), z.unknown()),
  created_at: z.string().nullable(),
  updated_at: z.string().nullable(),
});
export type Project = z.infer<typeof ProjectSchema>;

const Name = z.string().trim().min(1).max(200);
const Settings = z
  .record(z.string().max(100), z.unknown())
  .refine((v) => JSON.stringify(v).length <= 16_384, 'settings must be at most 16 KiB');
const ProjectFields = {
  name: Name,
  description: z.string().max(2000).nullable().optional(),
  is_active: z.boolean().optional(),
  reporting_currency: z
    .string()
    .regex(/^[A-Z]{3}$/, 'must be an ISO 4217 code')
    .optional(),
  timezone: z
    .string()
    .min(1)
    .max(64)
    .refine((tz) => {
      try {
        new Intl.DateTimeFormat('en-US', { timeZone: tz });
        return true;
      } catch {
        return false;
      }
    }, 'must be an IANA time zone')
    .optional(),
  hot_retention_days: z.number().int().min(1).max(3650).optional(),
  archive_retention_days: z.number().int().min(1).max(36500).optional(),
  settings: Settings.optional(),
};

export const CreateProjectBodySchema = z.object({ ...ProjectFields, organization_id: UuidSchema.optional() }).strict();
export const UpdateProjectBodySchema = z
  .object({ ...ProjectFields, name: Name.optional() })
  .strict()
  .refine((v) => Object.keys(v).length > 0, 'nothing to update');

export const ListProjectsQuerySchema = z.object({ organization_id: UuidSchema.optional() });
export const ProjectListSchema = z.object({ projects: z.array(ProjectSchema) });

export const ProjectSummarySchema = z.object({
  project_id: z.string().uuid(),
  data_sources: z.object({
    total: z.number().int(),
    active: z.number().int(),
    by_status: z.record(z.string(), z.number().int()),
  }),
  last_extraction: z
    .object({
      job_id: z.string().uuid(),
      data_source_id: z.string().uuid(),
      status: z.string(),
      completed_at: z.string().nullable(),
      created_at: z.string().nullable(),
    })
    .nullable(),
  rows: z.number().int(),
  spend_last_30_days: z.array(z.object({ platform: z.string(), currency: z.string().nullable(), cost: z.string() })),
});

export const ActivityQuerySchema = PageQuerySchema;
export const ActivitySchema = z.object({
  entries: z.array(
    z.object({
      id: z.string(),
      action: z.string(),
      target_type: z.string(),
      target_id: z.string().nullable(),
      actor_user_id: z.string().nullable(),
      actor_kind: z.string(),
      details: z.record(z.string(), z.unknown()),
      request_id: z.string().nullable(),
      created_at: z.string().nullable(),
    }),
  ),
  page: PageInfoSchema,
});
