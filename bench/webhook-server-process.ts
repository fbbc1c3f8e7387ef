// The webhook server of the webhooks bench, in a process of its own so that its memory is measured alone;
// bundled and run with plain node, as the webhook Lambda runs. Reads BENCH_DB_URL and BENCH_SECRET; prints
// {"url"} once listening; on stdin "rss" prints {"maxRssKb"}, on "stop" closes and exits.
import { createDatabase } from '@tributary/shared/db/database';
import { startWebhookServer } from '@tributary/functions/webhooks/webhook-server';
import { peakRssBytes } from './peak-rss';

async function main() {
  const db = createDatabase({
    kind: 'url',
    url: process.env.BENCH_DB_URL!,
    maxConnections: Number(process.env.BENCH_DB_MAX_CONNECTIONS ?? 4),
  });
  const server = await startWebhookServer({ db, signingSecret: Buffer.from(process.env.BENCH_SECRET!, 'base64') });
  process.stdout.write(JSON.stringify({ url: server.url }) + '\n');
  process.stdin.on('data', (d) => {
    if (String(d).includes('rss'))
      process.stdout.write(JSON.stringify({ maxRssKb: Math.round(peakRssBytes() / 1024) }) + '\n');
    if (String(d).includes('stop'))
      void server
        .close()
        .then(() => db.close())
        .then(() => process.exit(0));
  });
}

main().catch((err) => {
  process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
