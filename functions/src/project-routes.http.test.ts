// The access rule of every project route, iterated over the route table the local runner and API Gateway serve:
// over HTTP against the embedded PostgreSQL, an outsider gets 404 and a member below the route's role 403.
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MembershipRole } from '@tributary/shared/db/schema';
import { atLeast } from '@tributary/shared/identity/access';
import { httpHandler } from '@tributary/shared/http/http-handler';
import { isProjectScoped } from '@tributary/shared/http/project-scope';
import { isProjectRoute, type Route } from '@tributary/shared/http/route';
import type { BoundRoute } from '@tributary/shared/http/route-group';
import { managementApiRoutes } from './api-routes';
import { createProjectRoute, getProjectRoute } from './projects/project.routes';
import { startApiHarness, type ApiHarness } from './testing/api-harness';

/** Every path parameter filled: the project under test, a platform by name, any other id a fresh UUID. */
function paramsFor(route: Route, projectId: string): Record<string, string> {
  const params: Record<string, string> = {};
  for (const [, name] of route.path.matchAll(/\{(\w+)\}/g))
    params[name!] = name === 'project_id' ? projectId : name === 'platform' ? 'google_ads' : randomUUID();
  return params;
}

const label = (route: Route) => `${route.method.toUpperCase()} ${route.path}`;

describe('project routes', () => {
  let h: ApiHarness;
  let projectRoutes: BoundRoute[];
  let projectId: string;
  const tokens = {} as Record<MembershipRole | 'outsider', string>;

  beforeAll(async () => {
    h = await startApiHarness();
    projectRoutes = managementApiRoutes(h.deps).filter((b) => isProjectRoute(b.route));
    const stamp = Date.now();
    const owner = await h.signUp(`scope-owner-${stamp}@example.com`);
    tokens.owner = owner.token;
    const created = await h.call(createProjectRoute, { token: owner.token, body: { name: 'Scoped' } });
    expect(created.status).toBe(201);
    projectId = (created.body as { id: string }).id;
    const admin = new pg.Client({ connectionString: h.testDb.adminUrl });
    await admin.connect();
    try {
      for (const role of ['admin', 'analyst', 'viewer'] as const) {
        const member = await h.signUp(`scope-${role}-${stamp}@example.com`);
        tokens[role] = member.token;
        await admin.query(`INSERT INTO memberships (organization_id, user_id, role) VALUES ($1, $2, $3)`, [
          owner.orgId,
          member.userId,
          role,
        ]);
      }
    } finally {
      await admin.end();
    }
    tokens.outsider = (await h.signUp(`scope-outsider-${stamp}@example.com`)).token;
  }, 180_000);

  afterAll(async () => {
    await h?.stop();
  });

  it('when the route table is read, every project route declares a minimum role and is bound by projectHandler', () => {
    // projects, credentials, data sources, data and webhooks: 35 routes today; fewer means the filter broke
    expect(projectRoutes.length).toBeGreaterThanOrEqual(35);
    for (const { route, handler } of projectRoutes) {
      expect(route.minimumRole, label(route)).toMatch(/^(viewer|analyst|admin|owner)$/);
      expect(route.auth, label(route)).toBe('user');
      expect(isProjectScoped(handler), label(route)).toBe(true);
    }
  });

  it('when a project route is bound with httpHandler, it is refused before it can serve anything', () => {
    expect(() => httpHandler(getProjectRoute, async () => ({ status: 200 }), h.deps)).toThrow(/projectHandler/);
  });

  it('when an outsider calls any project route, it answers 404 as if the project did not exist', async () => {
    for (const { route } of projectRoutes) {
      const res = await h.call(route, { token: tokens.outsider, params: paramsFor(route, projectId), body: {} });
      expect(res.status, label(route)).toBe(404);
      expect((res.body as { error: { code: string } }).error.code, label(route)).toBe('RESOURCE_NOT_FOUND');
    }
  });

  it('when a member below a route minimum role calls it, it answers 403, whatever the body', async () => {
    let refused = 0;
    for (const role of ['viewer', 'analyst'] as const) {
      for (const { route } of projectRoutes) {
        if (atLeast(role, route.minimumRole!)) continue;
        const res = await h.call(route, { token: tokens[role], params: paramsFor(route, projectId), body: {} });
        expect(res.status, `${role} ${label(route)}`).toBe(403);
        expect((res.body as { error: { code: string; details: unknown } }).error, label(route)).toMatchObject({
          code: 'AUTHORIZATION_FAILED',
          details: { required: route.minimumRole },
        });
        refused++;
      }
    }
    // every write route refuses a viewer: 22 for the viewer, 13 admin-only routes for the analyst
    expect(refused).toBeGreaterThanOrEqual(30);
  });

  it('when a member at the route minimum role calls it, the handler answers (not the access check)', async () => {
    // deleting the project goes last: every other route still has its project
    const ordered = [...projectRoutes].sort(
      (a, b) => Number(a.route.operationId === 'deleteProject') - Number(b.route.operationId === 'deleteProject'),
    );
    for (const { route } of ordered) {
      const role = route.minimumRole!;
      const res = await h.call(route, { token: tokens[role], params: paramsFor(route, projectId), body: {} });
      const what = `${role} ${label(route)} ${res.status} ${res.text.slice(0, 200)}`;
      expect([401, 403, 500], what).not.toContain(res.status);
      // the project exists for this member: a 404 here may only be about the route's other ids
      if (res.status === 404)
        expect((res.body as { error: { message: string } }).error.message, what).not.toMatch(/Project/);
    }
  });
});
