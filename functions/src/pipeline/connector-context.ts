// The ConnectorContext a pipeline task gives a connector: the credential read through the secret store,
// the shared per-credential rate budget, and refreshed tokens written back to the secret store at once.
import type { Connector, ConnectorContext } from '@tributary/connectors/contract';
import { KeyValueRateLimiter } from '@tributary/connectors/runtime/rate-limiter';
import { readCredentialVersion, writeBackRefreshedTokens } from '../credentials/token-writeback';
import type { PipelineDeps } from './pipeline-deps';
import type { RunContext } from './run-records';

export async function connectorContext(
  deps: PipelineDeps,
  run: RunContext,
  connector: Connector<unknown>,
): Promise<ConnectorContext<unknown>> {
  // the version first, then the secret: a rotation in between makes a later write-back stale, never wrong
  const read = await readCredentialVersion(deps.db, run.organizationId, run.credentialId);
  const secret = await deps.secrets.read(read.secretRef);
  const credential = connector.credentialSchema.parse(secret);
  const oauthClient = deps.oauthClients?.[connector.platform];
  const ctx: ConnectorContext<unknown> = {
    credential,
    baseUrls: deps.connectorBaseUrls,
    rateLimiter: new KeyValueRateLimiter(deps.kv, connector.rateLimits, { keyPrefix: 'ratelimit' }),
    rateBucket: `${connector.platform}:${run.credentialId}`,
    logger: deps.logger,
    ...(oauthClient ? { oauthClient } : {}),
    onTokensRefreshed: async (refreshed) => {
      // persisted before the next call uses it, so a worker that dies afterwards does not lose the new token;
      // only the tokens, and only if nobody rotated the secret since this run read it
      const outcome = await writeBackRefreshedTokens(deps, read, refreshed as Record<string, unknown>, oauthClient);
      if (outcome === 'stale')
        deps.logger.warn('refreshed token not stored: the credential changed during the run', {
          credential_id: run.credentialId,
        });
      ctx.credential = refreshed;
    },
  };
  return ctx;
}
