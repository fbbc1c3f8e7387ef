// Maps a verified Cognito identity to its users row. The first authenticated request of a new identity
// creates the row and a personal organization it owns. Invitations are never accepted here: the invited
// person accepts one explicitly with its emailed token (POST /api/v1/invitations/accept).
//
// Only a verified email counts: the row takes an address from the identity provider only when the provider
// says email_verified, and an unverified change (Cognito keeps the original until the new one is verified)
// leaves the row as it was. A deactivated user (users.is_active = false) is refused on every request.
import { randomUUID } from 'node:crypto';
import type { Database } from '../db/database';
import { AuthorizationFailedError } from '../domain/errors';
import type { IdentityProfile, IdentityProvider } from '../ports/identity-provider';
import type { UserResolver, VerifiedAccessToken } from '../ports/token-verifier';

export class UserDeactivatedError extends AuthorizationFailedError {
  constructor() {
    super('This account has been deactivated');
  }
}

const isUniqueViolation = (error: unknown) => (error as { code?: string }).code === '23505';

export class UserDirectory implements UserResolver {
  constructor(
    private readonly db: Database,
    private readonly identity: Pick<IdentityProvider, 'getProfile'>,
  ) {}

  async resolve(token: VerifiedAccessToken, accessToken: string): Promise<{ userId: string; email: string }> {
    const existing = await this.db.transaction({}, (trx) =>
      trx
        .selectFrom('users')
        .select(['id', 'email', 'isActive'])
        .where('cognitoSub', '=', token.sub)
        .executeTakeFirst(),
    );
    if (existing) {
      if (!existing.isActive) throw new UserDeactivatedError();
      return { userId: existing.id, email: existing.email };
    }
    // Only on first sight: the access token carries no email, Cognito's GetUser does.
    const profile = await this.identity.getProfile(accessToken);
    return this.provision(token.sub, profile);
  }

  /**
   * Brings the row's email in line with what the identity provider vouches for now: a verified address
   * replaces it; an unverified one changes nothing. Called where the address matters (the profile, accepting
   * an invitation), so a verification done in Cognito reaches Tributary without a new sign-up.
   */
  async syncVerifiedEmail(userId: string, accessToken: string): Promise<{ email: string; emailVerified: boolean }> {
    const profile = await this.identity.getProfile(accessToken);
    const row = await this.db.transaction({ userId }, (trx) =>
      trx.selectFrom('users').select(['email', 'emailVerified']).where('id', '=', userId).executeTakeFirstOrThrow(),
    );
    if (!profile.emailVerified || (row.emailVerified && row.email.toLowerCase() === profile.email.toLowerCase()))
      return row;
    try {
      await this.db.transaction({ userId }, (trx) =>
        trx.updateTable('users').set({ email: profile.email, emailVerified: true }).where('id', '=', userId).execute(),
      );
      return { email: profile.email, emailVerified: true };
    } catch (error) {
      // another account already holds this verified address: this row keeps what it had
      if (!isUniqueViolation(error)) throw error;
      return row;
    }
  }

  /** Idempotent under concurrent first requests: the unique cognito_sub decides who creates the row. */
  async provision(
    sub: string,
    profile: Pick<IdentityProfile, 'email' | 'emailVerified' | 'firstName' | 'lastName'>,
  ): Promise<{ userId: string; email: string }> {
    const { email, firstName, lastName } = profile;
    const insert = (emailVerified: boolean) =>
      this.db.transaction({}, async (trx) => {
        const inserted = await trx
          .insertInto('users')
          .values({
            cognitoSub: sub,
            email,
            emailVerified,
            firstName: firstName ?? null,
            lastName: lastName ?? null,
            preferences: {},
          })
          .onConflict((oc) => oc.column('cognitoSub').doNothing())
          .returning('id')
          .executeTakeFirst();
        return inserted?.id ?? null;
      });
    let userId: string | null;
    try {
      userId = await insert(profile.emailVerified);
    } catch (error) {
      // another account already holds this verified address: this one starts unverified
      if (!isUniqueViolation(error) || !profile.emailVerified) throw error;
      userId = await insert(false);
    }
    if (!userId) {
      const row = await this.db.transaction({}, (trx) =>
        trx
          .selectFrom('users')
          .select(['id', 'email', 'isActive'])
          .where('cognitoSub', '=', sub)
          .executeTakeFirstOrThrow(),
      );
      if (!row.isActive) throw new UserDeactivatedError();
      return { userId: row.id, email: row.email };
    }
    const orgId = randomUUID();
    await this.db.transaction({ orgId, userId }, async (trx) => {
      await trx
        .insertInto('organizations')
        .values({ id: orgId, name: `${firstName ?? email.split('@')[0]}'s workspace`.slice(0, 200), isPersonal: true })
        .execute();
      await trx
        .insertInto('memberships')
        .values({ organizationId: orgId, userId, role: 'owner', invitedBy: null })
        .execute();
    });
    return { userId, email };
  }
}
