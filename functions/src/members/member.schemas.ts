import { z } from 'zod';
import { UuidSchema } from '../common.schemas';

export const RoleSchema = z.enum(['owner', 'admin', 'analyst', 'viewer']);
export const OrgParamsSchema = z.object({ organization_id: UuidSchema });
export const MemberParamsSchema = z.object({ organization_id: UuidSchema, user_id: UuidSchema });

export const MemberSchema = z.object({
  user_id: z.string().uuid(),
  email: z.string(),
  first_name: z.string().nullable(),
  last_name: z.string().nullable(),
  role: RoleSchema,
  joined_at: z.string().nullable(),
});
export const InvitationSchema = z.object({ id: z.string().uuid(), email: z.string(), role: RoleSchema, created_at: z.string().nullable() });
export const MemberListSchema = z.object({ members: z.array(MemberSchema), invitations: z.array(InvitationSchema) });

export const InviteBodySchema = z.object({ email: z.string().trim().toLowerCase().email().max(320), role: RoleSchema }).strict();
export const InviteResultSchema = z.object({ status: z.enum(['added', 'invited']), member: MemberSchema.nullable(), invitation: InvitationSchema.nullable() });
export const ChangeRoleBodySchema = z.object({ role: RoleSchema }).strict();
