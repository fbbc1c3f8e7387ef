// Maps a verified Cognito identity to its users row. The first authenticated request of a new identity
// creates the row, a personal organization it owns, and accepts any invitations sent to its email.
import { sql } from 'kysely';
import { randomUUID } from 'node:crypto';
import type { Database } from '../db/database';
import type { IdentityProvider } from '../ports/identity-provider';
import type { UserResolver, VerifiedAccessToken } from '../ports/token-verifier';

export class UserDirectory implements UserResolver {
  constructor(
    private readonly db: Database,
    private readonly identity: Pick<IdentityProvider, 'getProfile'>,
  ) {}

  async resolve(token: VerifiedAccessToken, accessToken: string): Promise<{ userId: string; email: string }> {
    const existing = await this.db.transaction({}, (trx) =>
      trx.selectFrom('users').select(['id', 'email', 'isActive']).where('cognitoSub', '=', token.sub).executeTakeFirst(),
    );
    if (existing) return { userId: existing.id, email: existing.email };
    // Only on first sight: the access token carries no email, Cognito's GetUser does.
    const profile = await this.identity.getProfile(accessToken);
    return this.provision(token.sub, profile.email, profile.firstName, profile.lastName);
  }

  /** Idempotent under concurrent first requests: the unique cognito_sub decides who creates the row. */
  async provision(sub: string, email: string, firstName?: string, lastName?: string): Promise<{ userId: string; email: string }> {
    const userId = await this.db.transaction({}, async (trx) => {
      const inserted = await trx
        .insertInto('users')
        .values({ cognitoSub: sub, email, firstName: firstName ?? null, lastName: lastName ?? null, preferences: {} })
        .onConflict((oc) => oc.column('cognitoSub').doNothing())
        .returning('id')
        .executeTakeFirst();
      return inserted?.id ?? null;
    });
    if (!userId) {
      const row = await this.db.transaction({}, (trx) => trx.selectFrom('users').select(['id', 'email']).where('cognitoSub', '=', sub).executeTakeFirstOrThrow());
      return { userId: row.id, email: row.email };
    }
    const orgId = randomUUID();
    await this.db.transaction({ orgId, userId }, async (trx) => {
      await trx.insertInto('organizations').values({ id: orgId, name: `${firstName ?? email.split('@')[0]}'s workspace`.slice(0, 200), isPersonal: true }).execute();
      await trx.insertInto('memberships').values({ organizationId: orgId, userId, role: 'owner', invitedBy: null }).execute();
    });
    await this.db.transaction({ userId }, (trx) => sql`SELECT app_accept_invitations(${email})`.execute(trx));
    return { userId, email };
  }
}
