// Who may do what in an organization. Viewers read; analysts also run extractions and manage webhooks;
// owners and admins manage credentials, data sources, projects and members.
// A project the caller has no membership for answers 404, exactly as a missing one does: a 403 would
// confirm that the id exists in somebody else's organization.
import { sql } from 'kysely';
import type { Database } from '../db/database';
import type { MembershipRole } from '../db/schema';
import { AuthorizationFailedError, NotFoundError } from '../domain/errors';

const RANK: Record<MembershipRole, number> = { viewer: 0, analyst: 1, admin: 2, owner: 3 };

export type Permission = 'read' | 'extract' | 'manage_webhooks' | 'manage' | 'manage_members';
const MINIMUM: Record<Permission, MembershipRole> = {
  read: 'viewer',
  extract: 'analyst',
  manage_webhooks: 'analyst',
  manage: 'admin',
  manage_members: 'admin',
};

export function roleAllows(role: MembershipRole, permission: Permission): boolean {
  return RANK[role] >= RANK[MINIMUM[permission]];
}

/** The least role a permission needs: what a project route declares as its `minimumRole`. */
export const minimumRoleFor = (permission: Permission): MembershipRole => MINIMUM[permission];

export function atLeast(role: MembershipRole, minimum: MembershipRole): boolean {
  return RANK[role] >= RANK[minimum];
}

export interface ProjectAccess {
  organizationId: string;
  projectId: string;
  role: MembershipRole;
  userId: string;
}

export async function projectAccess(
  db: Database,
  userId: string,
  projectId: string,
  permission: Permission,
): Promise<ProjectAccess> {
  return projectAccessAtLeast(db, userId, projectId, MINIMUM[permission]);
}

/** The caller's role on the project, refused below `minimum`: 404 without membership, 403 below it. */
export async function projectAccessAtLeast(
  db: Database,
  userId: string,
  projectId: string,
  minimum: MembershipRole,
): Promise<ProjectAccess> {
  const row = await db.transaction({ userId }, async (trx) => {
    const result = await sql<{
      org: string;
      role: MembershipRole;
    }>`SELECT organization_id AS org, role FROM app_project_access(${projectId}::uuid)`.execute(trx);
    return result.rows[0];
  });
  if (!row) throw new NotFoundError('Project', projectId);
  if (!atLeast(row.role, minimum))
    throw new AuthorizationFailedError(`The ${row.role} role cannot do this`, { required: minimum });
  return { organizationId: row.org, projectId, role: row.role, userId };
}

export interface OrganizationAccess {
  organizationId: string;
  role: MembershipRole;
  userId: string;
}

/** The caller's role in the organization, refused below `minimum`: 404 for a non-member, 403 below it. */
export async function organizationAccessAtLeast(
  db: Database,
  userId: string,
  organizationId: string,
  minimum: MembershipRole,
): Promise<OrganizationAccess> {
  const row = await db.transaction({ userId }, (trx) =>
    trx
      .selectFrom('memberships')
      .select('role')
      .where('userId', '=', userId)
      .where('organizationId', '=', organizationId)
      .executeTakeFirst(),
  );
  if (!row) throw new NotFoundError('Organization', organizationId);
  if (!atLeast(row.role, minimum))
    throw new AuthorizationFailedError(`The ${row.role} role cannot do this`, { required: minimum });
  return { organizationId, role: row.role, userId };
}
