import { defineRoute } from '@tributary/shared/http/route';
import { STANDARD_ERRORS, conflict } from '../common.schemas';
import { ChangeRoleBodySchema, InviteBodySchema, InviteResultSchema, MemberListSchema, MemberParamsSchema, MemberSchema, OrgParamsSchema } from './member.schemas';

const tags = ['members'];
const base = '/api/v1/organizations/{organization_id}/members';

export const listMembersRoute = defineRoute({ operationId: 'listMembers', method: 'get', path: base, summary: 'Members and open invitations', tags, auth: 'user', request: { params: OrgParamsSchema }, responses: { 200: { description: 'Members', schema: MemberListSchema }, ...STANDARD_ERRORS } });
export const inviteMemberRoute = defineRoute({ operationId: 'inviteMember', method: 'post', path: base, summary: 'Invite by email (added at once if the person has an account)', tags, auth: 'user', request: { params: OrgParamsSchema, body: InviteBodySchema }, responses: { 201: { description: 'Added or invited', schema: InviteResultSchema }, 409: conflict, ...STANDARD_ERRORS } });
export const changeMemberRoleRoute = defineRoute({ operationId: 'changeMemberRole', method: 'put', path: `${base}/{user_id}`, summary: "Change a member's role", tags, auth: 'user', request: { params: MemberParamsSchema, body: ChangeRoleBodySchema }, responses: { 200: { description: 'Changed', schema: MemberSchema }, 409: conflict, ...STANDARD_ERRORS } });
export const removeMemberRoute = defineRoute({ operationId: 'removeMember', method: 'delete', path: `${base}/{user_id}`, summary: 'Remove a member (or leave); the last owner cannot', tags, auth: 'user', request: { params: MemberParamsSchema }, responses: { 204: { description: 'Removed' }, 409: conflict, ...STANDARD_ERRORS } });
