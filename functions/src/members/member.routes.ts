import { defineRoute } from '@tributary/shared/http/route';
import { STANDARD_ERRORS, conflict } from '../common.schemas';
import {
  AcceptInvitationBodySchema,
  AcceptInvitationResultSchema,
  ChangeRoleBodySchema,
  InvitationParamsSchema,
  InviteBodySchema,
  InviteResultSchema,
  MemberListSchema,
  MemberParamsSchema,
  MemberSchema,
  OrgParamsSchema,
} from './member.schemas';

const tags = ['members'];
const base = '/api/v1/organizations/{organization_id}/members';

export const listMembersRoute = defineRoute({
  operationId: 'listMembers',
  method: 'get',
  path: base,
  summary: 'Members and pending invitations',
  tags,
  auth: 'user',
  minimumRole: 'viewer',
  request: { params: OrgParamsSchema },
  responses: { 200: { description: 'Members', schema: MemberListSchema }, ...STANDARD_ERRORS },
});
export const inviteMemberRoute = defineRoute({
  operationId: 'inviteMember',
  method: 'post',
  path: base,
  summary:
    'Invite by email: a pending invitation with a single-use link emailed to the address (inviting again sends a new link)',
  tags,
  auth: 'user',
  minimumRole: 'admin',
  request: { params: OrgParamsSchema, body: InviteBodySchema },
  responses: {
    201: {
      description: 'Invited (the same answer whether or not the address has an account)',
      schema: InviteResultSchema,
    },
    409: conflict,
    ...STANDARD_ERRORS,
  },
});
export const changeMemberRoleRoute = defineRoute({
  operationId: 'changeMemberRole',
  method: 'put',
  path: `${base}/{user_id}`,
  summary: "Change a member's role",
  tags,
  auth: 'user',
  minimumRole: 'admin',
  request: { params: MemberParamsSchema, body: ChangeRoleBodySchema },
  responses: { 200: { description: 'Changed', schema: MemberSchema }, 409: conflict, ...STANDARD_ERRORS },
});
export const removeMemberRoute = defineRoute({
  operationId: 'removeMember',
  method: 'delete',
  path: `${base}/{user_id}`,
  summary: 'Remove a member (or leave); the last owner cannot',
  tags,
  auth: 'user',
  // anyone may leave; removing someone else takes an admin (the handler says so)
  minimumRole: 'viewer',
  request: { params: MemberParamsSchema },
  responses: { 204: { description: 'Removed' }, 409: conflict, ...STANDARD_ERRORS },
});
export const revokeInvitationRoute = defineRoute({
  operationId: 'revokeInvitation',
  method: 'delete',
  path: '/api/v1/organizations/{organization_id}/invitations/{invitation_id}',
  summary: 'Revoke a pending invitation: its link stops working',
  tags,
  auth: 'user',
  minimumRole: 'admin',
  request: { params: InvitationParamsSchema },
  responses: { 204: { description: 'Revoked' }, ...STANDARD_ERRORS },
});
export const acceptInvitationRoute = defineRoute({
  operationId: 'acceptInvitation',
  method: 'post',
  path: '/api/v1/invitations/accept',
  summary: "Accept an invitation with its emailed token; the caller's verified email must be the invited address",
  tags,
  auth: 'user',
  request: { body: AcceptInvitationBodySchema },
  responses: { 200: { description: 'Joined', schema: AcceptInvitationResultSchema }, ...STANDARD_ERRORS },
});
