// The public webhook endpoint on a laptop: serveWebhook behind a Node HTTP server (chunked responses, as
// the streamed Lambda function URL gives in AWS). Publishes `webhookUrl`, the base a webhook key is
// appended to: <webhookUrl>/webhook/v1/<key>/data?format=csv.
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { createDatabase } from '@tributary/shared/db/database';
import { startWebhookServer } from '@tributary/functions/webhooks/webhook-server';
import type { LocalService } from './runner';

export const LOCAL_WEBHOOK_PORT = 4010;

/** The local URL-signing secret: made once, kept in .tributary/ (0600), never written to PostgreSQL. */
export async function localSigningSecret(homeDir: string): Promise<Buffer> {
  const file = path.join(homeDir, 'webhook-signing.key');
  if (existsSync(file)) return Buffer.from((await readFile(file, 'utf8')).trim(), 'base64');
  const secret = randomBytes(32);
  await writeFile(file, secret.toString('base64') + '\n', { mode: 0o600 });
  return secret;
}

export const webhookService: LocalService = {
  name: 'webhooks',
  async start(ctx) {
    const url = ctx.env.DATABASE_URL;
    if (!url) throw new Error('the webhook service starts after PostgreSQL, which publishes DATABASE_URL');
    const db = createDatabase({ kind: 'url', url, maxConnections: 10 });
    const port = Number(process.env.TRIBUTARY_WEBHOOK_PORT ?? LOCAL_WEBHOOK_PORT);
    const server = await startWebhookServer(
      { db, signingSecret: await localSigningSecret(ctx.homeDir), onServerError: (err) => ctx.log('webhooks', `request failed: ${err instanceof Error ? err.message : String(err)}`) },
      port,
    );
    ctx.log('webhooks', `webhook endpoint on ${server.url}/webhook/v1/<key>/data`);
    return {
      publish: { webhookUrl: server.url },
      env: { TRIBUTARY_WEBHOOK_URL: server.url },
      stop: async () => {
        await server.close();
        await db.close();
      },
    };
  },
};
