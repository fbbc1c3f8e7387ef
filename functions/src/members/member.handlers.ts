// Organization members: any member reads the list; owners and admins invite, change roles and remove.
// Only an owner grants or takes away ownership, and the last owner can neither leave nor be demoted,
// so no organization is ever left without someone who can manage it.
import { sql, type Transaction } from 'kysely';
import type { DB, MembershipRole } from '@tributary/shared/db/schema';
import { AuthorizationFailedError, ConflictError, NotFoundError } from '@tributary/shared/domain/errors';
import { atLeast, organizationRole } from '@tributary/shared/identity/access';
import { httpHandler } from '@tributary/shared/http/http-handler';
import type { BoundRoute } from '@tributary/shared/http/route-group';
import type { ApiDeps } from '../api-deps';
import { writeAudit } from '../audit';
import { iso } from '../common.schemas';
import { changeMemberRoleRoute, inviteMemberRoute, listMembersRoute, removeMemberRoute } from './member.routes';

type RequestMeta = { requestId: string; sourceIp: string | undefined; userAgent: string | undefined };
const meta = (i: RequestMeta): RequestMeta => ({ requestId: i.requestId, sourceIp: i.sourceIp, userAgent: i.userAgent });

async function memberOf(trx: Transaction<DB>, organizationId: string, userId: string) {
  const row = await trx
    .selectFrom('memberships')
    .innerJoin('users', 'users.id', 'memberships.userId')
    .select(['memberships.userId', 'users.email', 'users.firstName', 'users.lastName', 'memberships.role', 'memberships.createdAt'])
    .where('memberships.organizationId', '=', organizationId)
    .where('memberships.userId', '=', userId)
    .executeTakeFirst();
  return row ? { user_id: row.userId, email: row.email, first_name: row.firstName, last_name: row.lastName, role: row.role, joined_at: iso(row.createdAt) } : null;
}

async function ownerCount(trx: Transaction<DB>, organizationId: string): Promise<number> {
  const rows = await trx.selectFrom('memberships').select('userId').where('organizationId', '=', organizationId).where('role', '=', 'owner').forUpdate().execute();
  return rows.length;
}

function requireManager(role: MembershipRole, granting?: MembershipRole, target?: MembershipRole) {
  if (!atLeast(role, 'admin')) throw new AuthorizationFailedError(`The ${role} role cannot manage members`, { required: 'admin' });
  if ((granting === 'owner' || target === 'owner') && role !== 'owner') throw new AuthorizationFailedError('Only an owner can grant or change ownership', { required: 'owner' });
}

export const makeListMembers = (deps: ApiDeps) =>
  httpHandler(listMembersRoute, async ({ params, user }) => {
    await organizationRole(deps.db, user.userId, params.organization_id);
    const body = await deps.db.transaction({ orgId: params.organization_id, userId: user.userId }, async (trx) => {
      const members = await trx
        .selectFrom('memberships')
        .innerJoin('users', 'users.id', 'memberships.userId')
        .select(['memberships.userId', 'users.email', 'users.firstName', 'users.lastName', 'memberships.role', 'memberships.createdAt'])
        .where('memberships.organizationId', '=', params.organization_id)
        .orderBy('memberships.createdAt')
        .execute();
      const invitations = await trx.selectFrom('invitations').selectAll().where('organizationId', '=', params.organization_id).where('acceptedAt', 'is', null).orderBy('createdAt').execute();
      return {
        members: members.map((m) => ({ user_id: m.userId, email: m.email, first_name: m.firstName, last_name: m.lastName, role: m.role, joined_at: iso(m.createdAt) })),
        invitations: invitations.map((i) => ({ id: i.id, email: i.email, role: i.role, created_at: iso(i.createdAt) })),
      };
    });
    return { status: 200, body };
  }, deps);

export const makeInviteMember = (deps: ApiDeps) =>
  httpHandler(inviteMemberRoute, async (input) => {
    const { params, body, user } = input;
    const role = await organizationRole(deps.db, user.userId, params.organization_id);
    requireManager(role, body.role);
    const orgId = params.organization_id;
    const result = await deps.db.transaction({ orgId, userId: user.userId }, async (trx) => {
      const invitee = await trx.selectFrom('users').select('id').where((eb) => eb(eb.fn('lower', ['email']), '=', body.email)).executeTakeFirst();
      if (invitee) {
        const inserted = await trx
          .insertInto('memberships')
          .values({ organizationId: orgId, userId: invitee.id, role: body.role, invitedBy: user.userId })
          .onConflict((oc) => oc.columns(['organizationId', 'userId']).doNothing())
          .returning('userId')
          .executeTakeFirst();
        if (!inserted) throw new ConflictError('This person is already a member');
        await writeAudit(trx, { organizationId: orgId, actorUserId: user.userId, action: 'member.added', targetType: 'user', targetId: invitee.id, details: { role: body.role }, request: meta(input) });
        return { status: 'added' as const, member: await memberOf(trx, orgId, invitee.id), invitation: null };
      }
      const invitation = await trx
        .insertInto('invitations')
        .values({ organizationId: orgId, email: body.email, role: body.role, invitedBy: user.userId })
        .onConflict((oc) => oc.expression(sql`lower(email)`).column('organizationId').where('acceptedAt', 'is', null).doNothing())
        .returningAll()
        .executeTakeFirst();
      if (!invitation) throw new ConflictError('This email already has an open invitation');
      await writeAudit(trx, { organizationId: orgId, actorUserId: user.userId, action: 'member.invited', targetType: 'invitation', targetId: invitation.id, details: { role: body.role }, request: meta(input) });
      return { status: 'invited' as const, member: null, invitation: { id: invitation.id, email: invitation.email, role: invitation.role, created_at: iso(invitation.createdAt) } };
    });
    return { status: 201, body: result };
  }, deps);

export const makeChangeMemberRole = (deps: ApiDeps) =>
  httpHandler(changeMemberRoleRoute, async (input) => {
    const { params, body, user } = input;
    const role = await organizationRole(deps.db, user.userId, params.organization_id);
    const orgId = params.organization_id;
    const member = await deps.db.transaction({ orgId, userId: user.userId }, async (trx) => {
      const current = await memberOf(trx, orgId, params.user_id);
      if (!current) throw new NotFoundError('Member', params.user_id);
      requireManager(role, body.role, current.role);
      if (current.role === 'owner' && body.role !== 'owner' && (await ownerCount(trx, orgId)) <= 1) throw new ConflictError('The last owner cannot be demoted; make someone else an owner first');
      await trx.updateTable('memberships').set({ role: body.role }).where('organizationId', '=', orgId).where('userId', '=', params.user_id).execute();
      await writeAudit(trx, { organizationId: orgId, actorUserId: user.userId, action: 'member.role_changed', targetType: 'user', targetId: params.user_id, details: { from: current.role, to: body.role }, request: meta(input) });
      return memberOf(trx, orgId, params.user_id);
    });
    return { status: 200, body: member };
  }, deps);

export const makeRemoveMember = (deps: ApiDeps) =>
  httpHandler(removeMemberRoute, async (input) => {
    const { params, user } = input;
    const role = await organizationRole(deps.db, user.userId, params.organization_id);
    const orgId = params.organization_id;
    await deps.db.transaction({ orgId, userId: user.userId }, async (trx) => {
      const current = await memberOf(trx, orgId, params.user_id);
      if (!current) throw new NotFoundError('Member', params.user_id);
      // anyone may leave; removing someone else takes a manager (and an owner to remove an owner)
      if (params.user_id !== user.userId) requireManager(role, undefined, current.role);
      if (current.role === 'owner' && (await ownerCount(trx, orgId)) <= 1) throw new ConflictError('The last owner cannot leave; make someone else an owner first');
      await trx.deleteFrom('memberships').where('organizationId', '=', orgId).where('userId', '=', params.user_id).execute();
      await writeAudit(trx, { organizationId: orgId, actorUserId: user.userId, action: params.user_id === user.userId ? 'member.left' : 'member.removed', targetType: 'user', targetId: params.user_id, request: meta(input) });
    });
    return { status: 204 };
  }, deps);

export function memberRoutes(deps: ApiDeps): BoundRoute[] {
  return [
    { route: listMembersRoute, handler: makeListMembers(deps) },
    { route: inviteMemberRoute, handler: makeInviteMember(deps) },
    { route: changeMemberRoleRoute, handler: makeChangeMemberRole(deps) },
    { route: removeMemberRoute, handler: makeRemoveMember(deps) },
  ];
}
