// The access rule of every organization route (members, invitations), iterated over the route table the local
// runner and API Gateway serve: over HTTP against the embedded PostgreSQL, a non-member gets 404 and a member below
// the route's pinned least role 403, in the standard error envelope, whatever the body says.
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MembershipRole } from '@tributary/shared/db/schema';
import { ErrorEnvelopeSchema } from '@tributary/shared/http/error-envelope';
import { httpHandler } from '@tributary/shared/http/http-handler';
import { isOrganizationScoped, organizationHandler } from '@tributary/shared/http/organization-scope';
import { isOrganizationRoute, type Route } from '@tributary/shared/http/route';
import type { BoundRoute } from '@tributary/shared/http/route-group';
import { atLeast } from '@tributary/shared/identity/access';
import { managementApiRoutes } from './api-routes';
import * as memR from './members/member.routes';
import { getProjectRoute } from './projects/project.routes';
import { startApiHarness, type ApiHarness, type Received } from './testing/api-harness';

/**
 * The least role of each organization route, written down here and not read from the route: lowering a route's
 * minimumRole fails the first test, and the 403 walk below would then meet the handler instead of the gate.
 * A new organization route fails the first test until it is added here.
 */
const PINNED: Record<string, MembershipRole> = {
  listMembers: 'viewer',
  inviteMember: 'admin',
  changeMemberRole: 'admin',
  // anyone may leave; removing someone else takes an admin (a rule of the handler, tested below)
  removeMember: 'viewer',
  revokeInvitation: 'admin',
};

const label = (route: Route) => `${route.method.toUpperCase()} ${route.path}`;

function paramsFor(route: Route, organizationId: string): Record<string, string> {
  const params: Record<string, string> = {};
  for (const [, name] of route.path.matchAll(/\{(\w+)\}/g))
    params[name!] = name === 'organization_id' ? organizationId : randomUUID();
  return params;
}

function expectError(r: Received, what: string, status: number, code: string) {
  expect(r.status, `${what} ${r.text.slice(0, 200)}`).toBe(status);
  expect(ErrorEnvelopeSchema.parse(r.body).error.code, what).toBe(code);
}

describe('organization routes', () => {
  let h: ApiHarness;
  let orgRoutes: BoundRoute[];
  let orgId: string;
  const tokens = {} as Record<MembershipRole | 'outsider', string>;
  const userIds = {} as Record<MembershipRole, string>;

  beforeAll(async () => {
    h = await startApiHarness();
    orgRoutes = managementApiRoutes(h.deps).filter((b) => isOrganizationRoute(b.route));
    const stamp = Date.now();
    const owner = await h.signUp(`org-owner-${stamp}@example.com`);
    tokens.owner = owner.token;
    userIds.owner = owner.userId;
    orgId = owner.orgId;
    const admin = new pg.Client({ connectionString: h.testDb.adminUrl });
    await admin.connect();
    try {
      for (const role of ['admin', 'analyst', 'viewer'] as const) {
        const member = await h.signUp(`org-${role}-${stamp}@example.com`);
        tokens[role] = member.token;
        userIds[role] = member.userId;
        await admin.query(`INSERT INTO memberships (organization_id, user_id, role) VALUES ($1, $2, $3)`, [
          orgId,
          member.userId,
          role,
        ]);
      }
    } finally {
      await admin.end();
    }
    tokens.outsider = (await h.signUp(`org-outsider-${stamp}@example.com`)).token;
  }, 180_000);

  afterAll(async () => {
    await h?.stop();
  });

  it('when the route table is read, every organization route has its pinned least role and organizationHandler', () => {
    expect(orgRoutes.map((b) => b.route.operationId).sort()).toEqual(Object.keys(PINNED).sort());
    for (const { route, handler } of orgRoutes) {
      expect(route.minimumRole, label(route)).toBe(PINNED[route.operationId]);
      expect(route.auth, label(route)).toBe('user');
      expect(isOrganizationScoped(handler), label(route)).toBe(true);
    }
  });

  it('when an organization route is bound another way, it is refused before it can serve anything', () => {
    const serve = async () => ({ status: 200 });
    expect(() => httpHandler(memR.listMembersRoute, serve, h.deps)).toThrow(/organizationHandler/);
    // a project route is not an organization route, whatever its params
    expect(() => organizationHandler(getProjectRoute as never, serve, h.deps)).toThrow(/organization_id/);
  });

  it('when a non-member calls any organization route, it answers 404 as for a missing organization', async () => {
    for (const { route } of orgRoutes) {
      const res = await h.call(route, { token: tokens.outsider, params: paramsFor(route, orgId), body: {} });
      expectError(res, label(route), 404, 'RESOURCE_NOT_FOUND');
      expect((res.body as { error: { message: string } }).error.message, label(route)).toMatch(/Organization/);
    }
  });

  it('when a member below a route pinned least role calls it, it answers 403, whatever the body', async () => {
    let refused = 0;
    for (const role of ['viewer', 'analyst'] as const) {
      for (const { route } of orgRoutes) {
        const minimum = PINNED[route.operationId]!;
        if (atLeast(role, minimum)) continue;
        for (const body of [{}, { email: `x-${role}@example.com`, role: 'viewer' }, { role: 'viewer' }]) {
          const res = await h.call(route, { token: tokens[role], params: paramsFor(route, orgId), body });
          expectError(res, `${role} ${label(route)}`, 403, 'AUTHORIZATION_FAILED');
          expect(ErrorEnvelopeSchema.parse(res.body).error.details, label(route)).toEqual({ required: minimum });
        }
        refused++;
      }
    }
    // inviting, changing a role and revoking, for the viewer and the analyst
    expect(refused).toBe(6);
  });

  it('when a member at the route least role calls it, the handler answers (not the access check)', async () => {
    for (const { route } of orgRoutes) {
      const role = PINNED[route.operationId]!;
      const res = await h.call(route, { token: tokens[role], params: paramsFor(route, orgId), body: {} });
      const what = `${role} ${label(route)} ${res.status} ${res.text.slice(0, 200)}`;
      expect([401, 403, 500], what).not.toContain(res.status);
      // the organization is theirs: a 404 here may only be about the route's other ids
      if (res.status === 404)
        expect((res.body as { error: { message: string } }).error.message, what).not.toMatch(/Organization/);
    }
    const list = await h.call(memR.listMembersRoute, { token: tokens.viewer, params: { organization_id: orgId } });
    expect(list.status, list.text).toBe(200);
    expect((list.body as { members: unknown[] }).members).toHaveLength(4);
  });

  it('when the gate lets a member through, the handler still holds the ownership rules', async () => {
    // a viewer may leave but not remove someone else
    expectError(
      await h.call(memR.removeMemberRoute, {
        token: tokens.viewer,
        params: { organization_id: orgId, user_id: userIds.analyst },
      }),
      'viewer removes the analyst',
      403,
      'AUTHORIZATION_FAILED',
    );
    // an admin may neither grant ownership nor demote an owner
    expectError(
      await h.call(memR.inviteMemberRoute, {
        token: tokens.admin,
        params: { organization_id: orgId },
        body: { email: `would-be-owner-${Date.now()}@example.com`, role: 'owner' },
      }),
      'admin invites an owner',
      403,
      'AUTHORIZATION_FAILED',
    );
    expectError(
      await h.call(memR.changeMemberRoleRoute, {
        token: tokens.admin,
        params: { organization_id: orgId, user_id: userIds.owner },
        body: { role: 'viewer' },
      }),
      'admin demotes the owner',
      403,
      'AUTHORIZATION_FAILED',
    );
    // the sole owner cannot leave
    expectError(
      await h.call(memR.removeMemberRoute, {
        token: tokens.owner,
        params: { organization_id: orgId, user_id: userIds.owner },
      }),
      'last owner leaves',
      409,
      'CONFLICT',
    );
    const left = await h.call(memR.removeMemberRoute, {
      token: tokens.viewer,
      params: { organization_id: orgId, user_id: userIds.viewer },
    });
    expect(left.status, left.text).toBe(204);
  });
});
