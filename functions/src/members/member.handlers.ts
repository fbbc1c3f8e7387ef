// Organization members: any member reads the list; owners and admins invite, change roles and remove (each
// route's minimumRole, enforced by organizationHandler). Only an owner grants or takes away ownership, and the
// last owner can neither leave nor be demoted, so no organization is ever left without someone who can manage it.
import { createHash, randomBytes } from 'node:crypto';
import { sql, type Transaction } from 'kysely';
import type { DB, MembershipRole } from '@tributary/shared/db/schema';
import { AuthorizationFailedError, ConflictError, NotFoundError } from '@tributary/shared/domain/errors';
import { atLeast } from '@tributary/shared/identity/access';
import { httpHandler } from '@tributary/shared/http/http-handler';
import { organizationHandler } from '@tributary/shared/http/organization-scope';
import type { BoundRoute } from '@tributary/shared/http/route-group';
import type { ApiDeps } from '../api-deps';
import { writeAudit } from '../audit';
import { iso } from '../common.schemas';
import { conflictOnUnique } from '../db-errors';
import {
  acceptInvitationRoute,
  changeMemberRoleRoute,
  inviteMemberRoute,
  listMembersRoute,
  removeMemberRoute,
  revokeInvitationRoute,
} from './member.routes';

type RequestMeta = { requestId: string; sourceIp: string | undefined; userAgent: string | undefined };
const meta = (i: RequestMeta): RequestMeta => ({
  requestId: i.requestId,
  sourceIp: i.sourceIp,
  userAgent: i.userAgent,
});

async function memberOf(trx: Transaction<DB>, organizationId: string, userId: string) {
  const row = await trx
    .selectFrom('memberships')
    .innerJoin('users', 'users.id', 'memberships.userId')
    .select([
      'memberships.userId',
      'users.email',
      'users.firstName',
      'users.lastName',
      'memberships.role',
      'memberships.createdAt',
    ])
    .where('memberships.organizationId', '=', organizationId)
    .where('memberships.userId', '=', userId)
    .executeTakeFirst();
  return row
    ? {
        user_id: row.userId,
        email: row.email,
        first_name: row.firstName,
        last_name: row.lastName,
        role: row.role,
        joined_at: iso(row.createdAt),
      }
    : null;
}

async function ownerCount(trx: Transaction<DB>, organizationId: string): Promise<number> {
  const rows = await trx
    .selectFrom('memberships')
    .select('userId')
    .where('organizationId', '=', organizationId)
    .where('role', '=', 'owner')
    .forUpdate()
    .execute();
  return rows.length;
}

/** Beyond the routes' admin minimum: only an owner grants, changes or takes away ownership. */
function requireOwnerFor(role: MembershipRole, granting?: MembershipRole, target?: MembershipRole) {
  if ((granting === 'owner' || target === 'owner') && role !== 'owner')
    throw new AuthorizationFailedError('Only an owner can grant or change ownership', { required: 'owner' });
}

export const makeListMembers = (deps: ApiDeps) =>
  organizationHandler(
    listMembersRoute,
    async ({ params }, scope) => {
      const body = await scope.transaction(async (trx) => {
        const members = await trx
          .selectFrom('memberships')
          .innerJoin('users', 'users.id', 'memberships.userId')
          .select([
            'memberships.userId',
            'users.email',
            'users.firstName',
            'users.lastName',
            'memberships.role',
            'memberships.createdAt',
          ])
          .where('memberships.organizationId', '=', params.organization_id)
          .orderBy('memberships.createdAt')
          .execute();
        const invitations = await trx
          .selectFrom('invitations')
          .selectAll()
          .where('organizationId', '=', params.organization_id)
          .where('acceptedAt', 'is', null)
          .orderBy('createdAt')
          .execute();
        return {
          members: members.map((m) => ({
            user_id: m.userId,
            email: m.email,
            first_name: m.firstName,
            last_name: m.lastName,
            role: m.role,
            joined_at: iso(m.createdAt),
          })),
          invitations: invitations.map(toInvitation),
        };
      });
      return { status: 200, body };
    },
    deps,
  );

/** Invitation links live a week; inviting again sends a new link and the old one stops working. */
const INVITATION_TTL_DAYS = 7;
const tokenHash = (token: string) => createHash('sha256').update(token).digest('hex');
const toInvitation = (i: {
  id: string;
  email: string;
  role: MembershipRole;
  createdAt: Date | null;
  expiresAt: Date | null;
}) => ({ id: i.id, email: i.email, role: i.role, created_at: iso(i.createdAt), expires_at: iso(i.expiresAt) });

// Inviting never adds anyone: it makes (or renews) a pending invitation and emails a single-use link to the
// address. The answer is the same whether the address has an account or not, and says nothing about it.
export const makeInviteMember = (deps: ApiDeps) =>
  organizationHandler(
    inviteMemberRoute,
    async (input, scope) => {
      const { body, user } = input;
      requireOwnerFor(scope.role, body.role);
      const orgId = scope.organizationId;
      const token = randomBytes(32).toString('base64url');
      const expiresAt = new Date(deps.clock.now().getTime() + INVITATION_TTL_DAYS * 86_400_000);
      const { invitation, organizationName } = await conflictOnUnique(
        scope.transaction(async (trx) => {
          // a member is visible to the inviter already (listMembers), so saying so reveals nothing new
          const member = await trx
            .selectFrom('memberships')
            .innerJoin('users', 'users.id', 'memberships.userId')
            .select('memberships.userId')
            .where('memberships.organizationId', '=', orgId)
            .where('users.emailVerified', '=', true)
            .where((eb) => eb(eb.fn('lower', ['users.email']), '=', body.email))
            .executeTakeFirst();
          if (member) throw new ConflictError('This person is already a member');
          const open = await trx
            .selectFrom('invitations')
            .select('id')
            .where('organizationId', '=', orgId)
            .where('acceptedAt', 'is', null)
            .where((eb) => eb(eb.fn('lower', ['email']), '=', body.email))
            .forUpdate()
            .executeTakeFirst();
          const values = { role: body.role, invitedBy: user.userId, tokenHash: tokenHash(token), expiresAt };
          const row = open
            ? await trx
                .updateTable('invitations')
                .set(values)
                .where('id', '=', open.id)
                .returningAll()
                .executeTakeFirstOrThrow()
            : await trx
                .insertInto('invitations')
                .values({ organizationId: orgId, email: body.email, ...values })
                .returningAll()
                .executeTakeFirstOrThrow();
          await writeAudit(trx, {
            organizationId: orgId,
            actorUserId: user.userId,
            action: open ? 'member.reinvited' : 'member.invited',
            targetType: 'invitation',
            targetId: row.id,
            details: { role: body.role },
            request: meta(input),
          });
          const org = await trx
            .selectFrom('organizations')
            .select('name')
            .where('id', '=', orgId)
            .executeTakeFirstOrThrow();
          return { invitation: row, organizationName: org.name };
        }),
        'This email already has an open invitation',
      );
      const acceptUrl = new URL('/invitations/accept', deps.api.dashboardOrigin);
      acceptUrl.searchParams.set('token', token);
      await deps.mailer.sendInvitation({
        to: invitation.email,
        organizationName,
        role: invitation.role,
        acceptUrl: acceptUrl.toString(),
        expiresAt,
      });
      return { status: 201, body: { status: 'invited' as const, invitation: toInvitation(invitation) } };
    },
    deps,
  );

export const makeRevokeInvitation = (deps: ApiDeps) =>
  organizationHandler(
    revokeInvitationRoute,
    async (input, scope) => {
      const { params, user } = input;
      const orgId = scope.organizationId;
      await scope.transaction(async (trx) => {
        const open = await trx
          .selectFrom('invitations')
          .select(['id', 'role'])
          .where('id', '=', params.invitation_id)
          .where('organizationId', '=', orgId)
          .where('acceptedAt', 'is', null)
          .executeTakeFirst();
        if (!open) throw new NotFoundError('Invitation', params.invitation_id);
        requireOwnerFor(scope.role, open.role);
        await trx.deleteFrom('invitations').where('id', '=', open.id).execute();
        await writeAudit(trx, {
          organizationId: orgId,
          actorUserId: user.userId,
          action: 'member.invitation_revoked',
          targetType: 'invitation',
          targetId: open.id,
          request: meta(input),
        });
      });
      return { status: 204 };
    },
    deps,
  );

// The invited person accepts: signed in, with the emailed token, and only if their own verified address is
// the invited one (app_accept_invitation reads it from their users row; nothing in the request names it).
export const makeAcceptInvitation = (deps: ApiDeps) =>
  httpHandler(
    acceptInvitationRoute,
    async ({ body, user }) => {
      // a verification just done in Cognito counts at once; an unverified change never does
      await deps.directory.syncVerifiedEmail(user.userId, user.accessToken);
      const result = await deps.db.transaction({ userId: user.userId }, async (trx) => {
        // (CamelCasePlugin: organization_id arrives as organizationId)
        const r = await sql<{
          outcome: string;
          organizationId: string | null;
          role: MembershipRole | null;
        }>`SELECT outcome, organization_id, role FROM app_accept_invitation(${tokenHash(body.token)})`.execute(trx);
        return r.rows[0];
      });
      if (result?.outcome !== 'accepted' || !result.organizationId || !result.role) {
        throw new AuthorizationFailedError(
          result?.outcome === 'email_mismatch'
            ? 'This invitation was sent to another email address: sign in with the verified address it was sent to'
            : 'This invitation link is unknown, expired, revoked or already used',
        );
      }
      return { status: 200, body: { organization_id: result.organizationId, role: result.role } };
    },
    deps,
  );

export const makeChangeMemberRole = (deps: ApiDeps) =>
  organizationHandler(
    changeMemberRoleRoute,
    async (input, scope) => {
      const { params, body, user } = input;
      const orgId = scope.organizationId;
      const member = await scope.transaction(async (trx) => {
        const current = await memberOf(trx, orgId, params.user_id);
        if (!current) throw new NotFoundError('Member', params.user_id);
        requireOwnerFor(scope.role, body.role, current.role);
        if (current.role === 'owner' && body.role !== 'owner' && (await ownerCount(trx, orgId)) <= 1)
          throw new ConflictError('The last owner cannot be demoted; make someone else an owner first');
        await trx
          .updateTable('memberships')
          .set({ role: body.role })
          .where('organizationId', '=', orgId)
          .where('userId', '=', params.user_id)
          .execute();
        await writeAudit(trx, {
          organizationId: orgId,
          actorUserId: user.userId,
          action: 'member.role_changed',
          targetType: 'user',
          targetId: params.user_id,
          details: { from: current.role, to: body.role },
          request: meta(input),
        });
        return memberOf(trx, orgId, params.user_id);
      });
      return { status: 200, body: member };
    },
    deps,
  );

export const makeRemoveMember = (deps: ApiDeps) =>
  organizationHandler(
    removeMemberRoute,
    async (input, scope) => {
      const { params, user } = input;
      const orgId = scope.organizationId;
      await scope.transaction(async (trx) => {
        const current = await memberOf(trx, orgId, params.user_id);
        if (!current) throw new NotFoundError('Member', params.user_id);
        // anyone may leave (the route's minimum is viewer); removing someone else takes an admin, and an owner
        // to remove an owner
        if (params.user_id !== user.userId) {
          if (!atLeast(scope.role, 'admin'))
            throw new AuthorizationFailedError(`The ${scope.role} role cannot remove members`, { required: 'admin' });
          requireOwnerFor(scope.role, undefined, current.role);
        }
        if (current.role === 'owner' && (await ownerCount(trx, orgId)) <= 1)
          throw new ConflictError('The last owner cannot leave; make someone else an owner first');
        await trx
          .deleteFrom('memberships')
          .where('organizationId', '=', orgId)
          .where('userId', '=', params.user_id)
          .execute();
        await writeAudit(trx, {
          organizationId: orgId,
          actorUserId: user.userId,
          action: params.user_id === user.userId ? 'member.left' : 'member.removed',
          targetType: 'user',
          targetId: params.user_id,
          request: meta(input),
        });
      });
      return { status: 204 };
    },
    deps,
  );

export function memberRoutes(deps: ApiDeps): BoundRoute[] {
  return [
    { route: listMembersRoute, handler: makeListMembers(deps) },
    { route: inviteMemberRoute, handler: makeInviteMember(deps) },
    { route: changeMemberRoleRoute, handler: makeChangeMemberRole(deps) },
    { route: removeMemberRoute, handler: makeRemoveMember(deps) },
    { route: revokeInvitationRoute, handler: makeRevokeInvitation(deps) },
    { route: acceptInvitationRoute, handler: makeAcceptInvitation(deps) },
  ];
}
