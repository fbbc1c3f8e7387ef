import * as z from 'zod';
import { UuidSchema } from '../common.schemas';

export const RoleSchema = z.enum(['owner', 'admin', 'analyst', 'viewer']);
export const OrgParamsSchema = z.object({ organization_id: UuidSchema });
export const MemberParamsSchema = z.object({ organization_id: UuidSchema, user_id: UuidSchema });
export const InvitationParamsSchema = z.object({ organization_id: UuidSchema, invitation_id: UuidSchema });

export const MemberSchema = z.object({
  user_id: z.string().uuid(),
  email: z.string(),
  first_name: z.string().nullable(),
  last_name: z.string().nullable(),
  role: RoleSchema,
  joined_at: z.string().nullable(),
});
/** A pending invitation: the address and role the inviter chose, nothing about the person behind it. */
export const InvitationSchema = z.object({
  id: z.string().uuid(),
  email: z.string(),
  role: RoleSchema,
  created_at: z.string().nullable(),
  expires_at: z.string().nullable(),
});
export const MemberListSchema = z.object({ members: z.array(MemberSchema), invitations: z.array(InvitationSchema) });

export const InviteBodySchema = z
  .object({ email: z.string().trim().toLowerCase().email().max(320), role: RoleSchema })
  .strict();
/**
 * Always 'invited': nobody is added without accepting, and the answer is the same whether or not the address has an
 * account.
 */
export const InviteResultSchema = z.object({ status: z.literal('invited'), invitation: InvitationSchema });
export const ChangeRoleBodySchema = z.object({ role: RoleSchema }).strict();

export const AcceptInvitationBodySchema = z
  .object({
    token: z
      .string()
      .trim()
      .min(20)
      .max(200)
      .regex(/^[A-Za-z0-9_-]+$/, 'must be the token from the invitation link'),
  })
  .strict();
export const AcceptInvitationResultSchema = z.object({ organization_id: z.string().uuid(), role: RoleSchema });
