// Seam: the invitation flow end to end through real HTTP (local API server → Lambda handlers → PostgreSQL,
// cognito-local, the outbox mailer): inviting never adds anyone, only the invited person's verified address
// accepts, and neither inviting nor registering tells a caller whether an address has an account.
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorEnvelopeSchema } from '@tributary/shared/http/error-envelope';
import * as authR from '../auth/auth.routes';
import { PASSWORD, startApiHarness, type ApiHarness, type Received } from '../testing/api-harness';
import * as memR from './member.routes';

let h: ApiHarness;
const stamp = Date.now();
const owner = { email: `owner-${stamp}@example.com`, token: '', userId: '', orgId: '' };

function expectError(r: Received, status: number, code: string) {
  expect(r.status, r.text).toBe(status);
  expect(ErrorEnvelopeSchema.parse(r.body).error.code).toBe(code);
}

/** The token of the newest invitation link emailed to `email`. */
async function tokenFor(email: string): Promise<string> {
  const mails = (await h.outbox.sent()).filter((m) => m.kind === 'invitation' && m.to === email);
  expect(mails.length, `no invitation emailed to ${email}`).toBeGreaterThan(0);
  const link = new URL(mails.at(-1)!.accept_url);
  expect(`${link.origin}${link.pathname}`).toBe(`${h.dashboardOrigin}/invitations/accept`);
  return link.searchParams.get('token')!;
}

async function memberIds(): Promise<string[]> {
  const list = await h.call(memR.listMembersRoute, { token: owner.token, params: { organization_id: owner.orgId } });
  expect(list.status, list.text).toBe(200);
  return (list.body as { members: { user_id: string }[] }).members.map((m) => m.user_id);
}

beforeAll(async () => {
  h = await startApiHarness();
  Object.assign(owner, await h.signUp(owner.email, 'Olivia'));
}, 240_000);

afterAll(async () => {
  await h?.stop();
});

describe('invitations over HTTP', () => {
  it('when an address without an account is invited, it answers 201 with a pending invitation and emails a link (this path answered 500 before)', async () => {
    const email = `nobody-${stamp}@example.com`;
    const r = await h.call(memR.inviteMemberRoute, {
      token: owner.token,
      params: { organization_id: owner.orgId },
      body: { email, role: 'analyst' },
    });
    expect(r.status, r.text).toBe(201);
    expect(r.body).toEqual({
      status: 'invited',
      invitation: {
        id: expect.any(String),
        email,
        role: 'analyst',
        created_at: expect.any(String),
        expires_at: expect.any(String),
      },
    });
    expect(await tokenFor(email)).toMatch(/^[A-Za-z0-9_-]{40,}$/);
    const list = await h.call(memR.listMembersRoute, { token: owner.token, params: { organization_id: owner.orgId } });
    expect((list.body as { invitations: { email: string }[] }).invitations.map((i) => i.email)).toContain(email);
  });

  it('when an existing user is invited, nobody is added and the answer has the same shape, with nothing about the person', async () => {
    const bob = await h.signUp(`bob-${stamp}@example.com`, 'Bobby-Distinctive-Name');
    const r = await h.call(memR.inviteMemberRoute, {
      token: owner.token,
      params: { organization_id: owner.orgId },
      body: { email: `bob-${stamp}@example.com`, role: 'viewer' },
    });
    expect(r.status, r.text).toBe(201);
    expect(Object.keys(r.body as object).sort()).toEqual(['invitation', 'status']);
    expect(Object.keys((r.body as { invitation: object }).invitation).sort()).toEqual([
      'created_at',
      'email',
      'expires_at',
      'id',
      'role',
    ]);
    expect(r.text).not.toContain('Bobby-Distinctive-Name');
    expect(r.text).not.toContain(bob.userId);
    // not a member until Bob accepts
    expect(await memberIds()).not.toContain(bob.userId);
    const profile = await h.call(authR.getProfileRoute, { token: bob.token });
    expect(
      (profile.body as { organizations: { organization_id: string }[] }).organizations.map((o) => o.organization_id),
    ).toEqual([bob.orgId]);

    const accepted = await h.call(memR.acceptInvitationRoute, {
      token: bob.token,
      body: { token: await tokenFor(`bob-${stamp}@example.com`) },
    });
    expect(accepted.status, accepted.text).toBe(200);
    expect(accepted.body).toEqual({ organization_id: owner.orgId, role: 'viewer' });
    expect(await memberIds()).toContain(bob.userId);
  });

  it('when registering with an address that has an account, the answer is the same as for a new one', async () => {
    const fresh = await h.call(authR.registerRoute, {
      body: { email: `fresh-${stamp}@example.com`, password: PASSWORD },
    });
    const again = await h.call(authR.registerRoute, { body: { email: owner.email, password: 'Another-Pass-1234' } });
    expect(fresh.status, fresh.text).toBe(202);
    expect(again.status, again.text).toBe(202);
    expect(again.body).toEqual(fresh.body);
    // and the existing account is untouched: its own password still signs in
    expect((await h.call(authR.loginRoute, { body: { email: owner.email, password: PASSWORD } })).status).toBe(200);
  });

  it('when someone changes their Cognito email to an invited address, they neither see it as theirs nor can accept; the invitee can, once', async () => {
    // Prepare: Victim is invited; Mallory signs up with her own address, then claims the victim's
    const victim = `victim-${stamp}@example.com`;
    expect(
      (
        await h.call(memR.inviteMemberRoute, {
          token: owner.token,
          params: { organization_id: owner.orgId },
          body: { email: victim, role: 'admin' },
        })
      ).status,
    ).toBe(201);
    const token = await tokenFor(victim);
    const mallory = await h.signUp(`mallory-${stamp}@example.com`);
    await h.cognito.admin.changeOwnEmail(mallory.token, victim);

    // Act + Assess: the profile keeps her verified original; with a leaked token she is still refused
    const profile = await h.call(authR.getProfileRoute, { token: mallory.token });
    expect(profile.body).toMatchObject({ email: `mallory-${stamp}@example.com`, email_verified: true });
    expect((profile.body as { organizations: unknown[] }).organizations).toHaveLength(1);
    expectError(
      await h.call(memR.acceptInvitationRoute, { token: mallory.token, body: { token } }),
      403,
      'AUTHORIZATION_FAILED',
    );
    expect(await memberIds()).not.toContain(mallory.userId);

    // the invitation stayed open for its addressee, who accepts once
    const invitee = await h.signUp(victim);
    const ok = await h.call(memR.acceptInvitationRoute, { token: invitee.token, body: { token } });
    expect(ok.status, ok.text).toBe(200);
    expect(ok.body).toEqual({ organization_id: owner.orgId, role: 'admin' });
    expectError(
      await h.call(memR.acceptInvitationRoute, { token: invitee.token, body: { token } }),
      403,
      'AUTHORIZATION_FAILED',
    );
    const list = await h.call(memR.listMembersRoute, { token: owner.token, params: { organization_id: owner.orgId } });
    expect((list.body as { invitations: { email: string }[] }).invitations.map((i) => i.email)).not.toContain(victim);
  });

  it('when the invited address is not verified, accepting is refused', async () => {
    const email = `unverified-${stamp}@example.com`;
    expect(
      (
        await h.call(memR.inviteMemberRoute, {
          token: owner.token,
          params: { organization_id: owner.orgId },
          body: { email, role: 'viewer' },
        })
      ).status,
    ).toBe(201);
    const token = await tokenFor(email);
    const person = await h.signUp(email);
    // the identity provider no longer vouches for the address
    const admin = new pg.Client({ connectionString: h.testDb.adminUrl });
    await admin.connect();
    try {
      await admin.query('UPDATE users SET email_verified = false WHERE id = $1', [person.userId]);
      await h.cognito.admin.setEmail(h.cognito, email, email, false);
      expectError(
        await h.call(memR.acceptInvitationRoute, { token: person.token, body: { token } }),
        403,
        'AUTHORIZATION_FAILED',
      );
      expect(await memberIds()).not.toContain(person.userId);
    } finally {
      await admin.end();
    }
  });

  it('when an invitation is revoked or re-sent, its old link stops working; only managers revoke', async () => {
    const email = `carol-${stamp}@example.com`;
    const first = await h.call(memR.inviteMemberRoute, {
      token: owner.token,
      params: { organization_id: owner.orgId },
      body: { email, role: 'viewer' },
    });
    const oldToken = await tokenFor(email);
    const second = await h.call(memR.inviteMemberRoute, {
      token: owner.token,
      params: { organization_id: owner.orgId },
      body: { email, role: 'analyst' },
    });
    expect(second.status, second.text).toBe(201);
    const newToken = await tokenFor(email);
    expect(newToken).not.toBe(oldToken);
    const invitationId = (first.body as { invitation: { id: string } }).invitation.id;
    expect((second.body as { invitation: { id: string } }).invitation.id).toBe(invitationId);

    const carol = await h.signUp(email);
    expectError(
      await h.call(memR.acceptInvitationRoute, { token: carol.token, body: { token: oldToken } }),
      403,
      'AUTHORIZATION_FAILED',
    );
    // a non-member cannot revoke (404: the organization is not theirs); then the owner does
    expectError(
      await h.call(memR.revokeInvitationRoute, {
        token: carol.token,
        params: { organization_id: owner.orgId, invitation_id: invitationId },
      }),
      404,
      'RESOURCE_NOT_FOUND',
    );
    const revoked = await h.call(memR.revokeInvitationRoute, {
      token: owner.token,
      params: { organization_id: owner.orgId, invitation_id: invitationId },
    });
    expect(revoked.status, revoked.text).toBe(204);
    expectError(
      await h.call(memR.revokeInvitationRoute, {
        token: owner.token,
        params: { organization_id: owner.orgId, invitation_id: invitationId },
      }),
      404,
      'RESOURCE_NOT_FOUND',
    );
    expectError(
      await h.call(memR.acceptInvitationRoute, { token: carol.token, body: { token: newToken } }),
      403,
      'AUTHORIZATION_FAILED',
    );
    expect(await memberIds()).not.toContain(carol.userId);
  });

  it('when a viewer tries to invite, it answers 403; a malformed token answers 400', async () => {
    const vEmail = `viewer-${stamp}@example.com`;
    await h.call(memR.inviteMemberRoute, {
      token: owner.token,
      params: { organization_id: owner.orgId },
      body: { email: vEmail, role: 'viewer' },
    });
    const token = await tokenFor(vEmail);
    const viewer = await h.signUp(vEmail);
    expect((await h.call(memR.acceptInvitationRoute, { token: viewer.token, body: { token } })).status).toBe(200);
    expectError(
      await h.call(memR.inviteMemberRoute, {
        token: viewer.token,
        params: { organization_id: owner.orgId },
        body: { email: `x-${stamp}@example.com`, role: 'viewer' },
      }),
      403,
      'AUTHORIZATION_FAILED',
    );
    expectError(
      await h.call(memR.acceptInvitationRoute, { token: viewer.token, body: { token: 'short' } }),
      400,
      'VALIDATION_ERROR',
    );
  });
});
