// Writing a refreshed OAuth token back to the secret store without undoing anything done meanwhile.
//
// Whoever refreshes read the credential's secret_version before the secret. The write-back takes the
// credentials row lock, and writes only if the version is still that one: an admin's rotation (which takes
// the same lock and bumps the version) during a run is never overwritten by the run's older copy. Only the
// token fields are written, merged into the secret as it is now; fields that are the deployment's own OAuth
// app (client secret, developer token) are dropped on the way, so they never live in a tenant's secret.
import type { OAuthClientConfig } from '@tributary/connectors/contract';
import type { Database } from '@tributary/shared/db/database';
import type { SecretStore } from '@tributary/shared/ports/secret-store';

/** What a refresh may change; everything else in the stored secret is the admin's to change. */
export const TOKEN_FIELDS = ['accessToken', 'refreshToken', 'expiresAt', 'scope'] as const;

export interface CredentialVersion {
  organizationId: string;
  credentialId: string;
  secretRef: string;
  /** credentials.secret_version, read before the secret itself */
  version: number;
}

/** Read this first, then the secret: a rotation in between then makes the write-back stale, never wrong. */
export async function readCredentialVersion(
  db: Database,
  organizationId: string,
  credentialId: string,
): Promise<CredentialVersion> {
  const row = await db.transaction({ orgId: organizationId }, (trx) =>
    trx
      .selectFrom('credentials')
      .select(['secretRef', 'secretVersion'])
      .where('id', '=', credentialId)
      .executeTakeFirstOrThrow(),
  );
  return { organizationId, credentialId, secretRef: row.secretRef, version: row.secretVersion };
}

/** Copies of the deployment's app in an older stored secret: dropped when the tokens are written back. */
function withoutDeploymentApp(
  secret: Record<string, unknown>,
  app: OAuthClientConfig | undefined,
): Record<string, unknown> {
  if (!app) return secret;
  const out = { ...secret };
  if (out.clientSecret === app.clientSecret || out.appSecret === app.clientSecret) {
    for (const k of ['clientId', 'clientSecret', 'appId', 'appSecret']) delete out[k];
  }
  if (app.developerToken && out.developerToken === app.developerToken) delete out.developerToken;
  return out;
}

/**
 * 'written': the tokens are stored and the version moved on; 'stale': the secret changed since `read`
 * (a rotation, a reconnect, another worker's refresh), so nothing was written.
 */
export async function writeBackRefreshedTokens(
  deps: { db: Database; secrets: SecretStore },
  read: CredentialVersion,
  refreshed: Record<string, unknown>,
  deploymentApp?: OAuthClientConfig,
): Promise<'written' | 'stale'> {
  return deps.db.withClient({ orgId: read.organizationId }, async (client) => {
    const row = (
      await client.query<{ secret_version: number }>(
        'SELECT secret_version FROM credentials WHERE id = $1 FOR UPDATE',
        [read.credentialId],
      )
    ).rows[0];
    if (!row || row.secret_version !== read.version) return 'stale';
    const current = await deps.secrets.read(read.secretRef);
    const tokens = Object.fromEntries(
      TOKEN_FIELDS.filter((k) => refreshed[k] !== undefined).map((k) => [k, refreshed[k]]),
    );
    await deps.secrets.update(read.secretRef, withoutDeploymentApp({ ...current, ...tokens }, deploymentApp));
    await client.query('UPDATE credentials SET secret_version = secret_version + 1 WHERE id = $1', [read.credentialId]);
    read.version = row.secret_version + 1;
    return 'written';
  });
}
