// The ConnectorContext a pipeline task gives a connector: the credential read through the secret store,
// the shared per-credential rate budget, and refreshed tokens written back to the secret store at once.
import type { Connector, ConnectorContext } from '@tributary/connectors/contract';
import { KeyValueRateLimiter } from '@tributary/connectors/runtime/rate-limiter';
import type { PipelineDeps } from './pipeline-deps';
import type { RunContext } from './run-records';

export async function connectorContext(deps: PipelineDeps, run: RunContext, connector: Connector<unknown>): Promise<ConnectorContext<unknown>> {
  const secret = await deps.secrets.read(run.secretRef);
  const credential = connector.credentialSchema.parse(secret);
  const ctx: ConnectorContext<unknown> = {
    credential,
    baseUrls: deps.connectorBaseUrls,
    rateLimiter: new KeyValueRateLimiter(deps.kv, connector.rateLimits, { keyPrefix: 'ratelimit' }),
    rateBucket: `${connector.platform}:${run.credentialId}`,
    logger: deps.logger,
    onTokensRefreshed: async (refreshed) => {
      // persisted before the next call uses it, so a worker that dies afterwards does not lose the new token
      await deps.secrets.update(run.secretRef, refreshed as Record<string, unknown>);
      ctx.credential = refreshed;
    },
  };
  return ctx;
}
