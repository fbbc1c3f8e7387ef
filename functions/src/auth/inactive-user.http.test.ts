// Seam: users.is_active through real HTTP: a deactivated user is refused (403) on every authenticated route,
// though their Cognito token is still valid, and nothing they ask for happens.
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorEnvelopeSchema } from '@tributary/shared/http/error-envelope';
import * as memR from '../members/member.routes';
import * as projR from '../projects/project.routes';
import { startApiHarness, type ApiHarness } from '../testing/api-harness';
import * as authR from './auth.routes';

let h: ApiHarness;

beforeAll(async () => {
  h = await startApiHarness();
}, 240_000);

afterAll(async () => {
  await h?.stop();
});

describe('deactivated users', () => {
  it('when users.is_active is false, every authenticated route answers 403 and nothing is written', async () => {
    // Prepare: an active user with a project
    const u = await h.signUp(`inactive-${Date.now()}@example.com`);
    const project = await h.call(projR.createProjectRoute, { token: u.token, body: { name: 'Before' } });
    expect(project.status, project.text).toBe(201);
    const admin = new pg.Client({ connectionString: h.testDb.adminUrl });
    await admin.connect();
    try {
      await admin.query('UPDATE users SET is_active = false WHERE id = $1', [u.userId]);
      // Act + Assess
      const calls = [
        await h.call(authR.getProfileRoute, { token: u.token }),
        await h.call(projR.listProjectsRoute, { token: u.token }),
        await h.call(projR.createProjectRoute, { token: u.token, body: { name: 'After' } }),
        await h.call(memR.listMembersRoute, { token: u.token, params: { organization_id: u.orgId } }),
        await h.call(memR.inviteMemberRoute, {
          token: u.token,
          params: { organization_id: u.orgId },
          body: { email: 'x@example.com', role: 'viewer' },
        }),
      ];
      for (const r of calls) {
        expect(r.status, r.text).toBe(403);
        expect(ErrorEnvelopeSchema.parse(r.body).error.code).toBe('AUTHORIZATION_FAILED');
      }
      const projects = await admin.query('SELECT name FROM projects WHERE created_by = $1', [u.userId]);
      expect(projects.rows.map((r) => r.name)).toEqual(['Before']);
      expect((await admin.query('SELECT count(*)::int AS n FROM invitations')).rows[0].n).toBe(0);
      // reactivated, the same token works again
      await admin.query('UPDATE users SET is_active = true WHERE id = $1', [u.userId]);
      expect((await h.call(projR.listProjectsRoute, { token: u.token })).status).toBe(200);
    } finally {
      await admin.end();
    }
  });
});
