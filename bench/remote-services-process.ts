// What the pipeline bench talks to over the network, in a process of its own: the Google sandbox (the
// platform), s3rver (S3), and two fronts for the sandbox: a rate-limited one and a replaying one. In
// production these run on other machines, so their CPU is not the pipeline's: in the bench process they
// would be charged to it.
//
// Reads BENCH_TODAY, BENCH_AD_GROUPS, BENCH_ADS, BENCH_S3_DIR, BENCH_RAW_BUCKET, BENCH_LATENCY_MS,
// BENCH_RATE. Prints {"sandboxUrl","demoRefreshToken","s3Endpoint","limitedUrl","replayUrl"} once
// listening; on stdin a line "stats" prints the limited front's {"served","refused"} (and resets them),
// "stop" exits.
import { createServer, request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import { createInterface } from 'node:readline';
import { startGoogleSandbox } from '@tributary/connectors/sandboxes/google/google-sandbox';
import { freePort } from '@tributary/shared/local/embedded-postgres';
import { startS3rver } from '@tributary/shared/local/s3rver';

/**
 * A Google Ads front: every Ads call waits `latencyMs`; above `perSecond` calls in a one-second window it
 * answers 429 RESOURCE_EXHAUSTED with Google's body and retryDelay. OAuth calls pass straight through.
 */
async function startLimitedFront(target: string, latencyMs: number, perSecond: number) {
  let windowStart = 0;
  let inWindow = 0;
  let served = 0;
  let refused = 0;
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const ads = /googleAds:searchStream|googleAds:search|customers:listAccessibleCustomers/.test(req.url ?? '');
    const forward = () => {
      const upstream = httpRequest(
        new URL(req.url ?? '/', target),
        { method: req.method, headers: { ...req.headers, host: new URL(target).host } },
        (up) => {
          res.writeHead(up.statusCode ?? 502, up.headers);
          up.pipe(res);
        },
      );
      upstream.on('error', () => res.writeHead(502).end());
      req.pipe(upstream);
    };
    if (!ads) return forward();
    const now = Date.now();
    if (now - windowStart >= 1000) {
      windowStart = now;
      inWindow = 0;
    }
    if (inWindow >= perSecond) {
      refused++;
      const retry = Math.max(1, Math.ceil((windowStart + 1000 - now) / 1000));
      req.resume();
      const error = {
        error: {
          code: 429,
          message: 'Resource has been exhausted (e.g. check quota).',
          status: 'RESOURCE_EXHAUSTED',
          details: [
            {
              '@type': 'type.googleapis.com/google.ads.googleads.v25.errors.GoogleAdsFailure',
              errors: [
                {
                  errorCode: { quotaError: 'RESOURCE_TEMPORARILY_EXHAUSTED' },
                  message: `Too many requests. Retry in ${retry} seconds.`,
                  details: {
                    quotaErrorDetails: {
                      rateScope: 'DEVELOPER',
                      rateName: 'Number of operations for basic access',
                      retryDelay: `${retry}s`,
                    },
                  },
                },
              ],
            },
          ],
        },
      };
      // searchStream answers a JSON array of messages, errors included; the unary calls answer the object
      const stream = /googleAds:searchStream/.test(req.url ?? '');
      res.writeHead(429, { 'content-type': 'application/json' }).end(JSON.stringify(stream ? [error] : error));
      return;
    }
    inWindow++;
    served++;
    setTimeout(forward, latencyMs);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return {
    url: `http://127.0.0.1:${(server.address() as { port: number }).port}`,
    takeStats: () => {
      const stats = { served, refused };
      served = 0;
      refused = 0;
      return stats;
    },
  };
}

/**
 * A Google Ads front that answers a call it has seen before (same path and body) with the bytes the sandbox
 * sent the first time, at once and without the sandbox: in production the platform computes its answers on
 * its own machines, here it would take the pipeline's cores. OAuth calls and new calls pass through.
 */
async function startReplayFront(target: string) {
  const recorded = new Map<
    string,
    { status: number; headers: Record<string, string | string[] | undefined>; body: Buffer }
  >();
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const requestBody = Buffer.concat(chunks);
      const ads = /googleAds:searchStream|googleAds:search|customers:listAccessibleCustomers/.test(req.url ?? '');
      const key = `${req.method} ${req.url}\n${requestBody.toString('utf8')}`;
      const hit = ads ? recorded.get(key) : undefined;
      if (hit) {
        res.writeHead(hit.status, hit.headers).end(hit.body);
        return;
      }
      const upstream = httpRequest(
        new URL(req.url ?? '/', target),
        { method: req.method, headers: { ...req.headers, host: new URL(target).host } },
        (up) => {
          const body: Buffer[] = [];
          res.writeHead(up.statusCode ?? 502, up.headers);
          up.on('data', (c: Buffer) => {
            body.push(c);
            res.write(c);
          });
          up.on('end', () => {
            res.end();
            if (ads && up.statusCode === 200) {
              const { 'transfer-encoding': _chunked, 'content-length': _length, ...headers } = up.headers;
              recorded.set(key, { status: 200, headers, body: Buffer.concat(body) });
            }
          });
        },
      );
      upstream.on('error', () => res.writeHead(502).end());
      upstream.end(requestBody);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return { url: `http://127.0.0.1:${(server.address() as { port: number }).port}` };
}

async function main() {
  const env = process.env;
  const sandbox = await startGoogleSandbox({
    today: env.BENCH_TODAY!,
    adGroupsPerCampaign: Number(env.BENCH_AD_GROUPS ?? 2),
    adsPerAdGroup: Number(env.BENCH_ADS ?? 2),
  });
  const s3 = await startS3rver({
    port: await freePort(),
    directory: env.BENCH_S3_DIR!,
    buckets: [env.BENCH_RAW_BUCKET!],
  });
  const replay = await startReplayFront(sandbox.url);
  // the limited front answers with the replay's bytes: its latency stands for the platform's whole answer time
  const front = await startLimitedFront(replay.url, Number(env.BENCH_LATENCY_MS ?? 400), Number(env.BENCH_RATE ?? 5));
  process.stdout.write(
    JSON.stringify({
      sandboxUrl: sandbox.url,
      demoRefreshToken: sandbox.demoRefreshToken,
      s3Endpoint: s3.endpoint,
      limitedUrl: front.url,
      replayUrl: replay.url,
    }) + '\n',
  );
  for await (const line of createInterface({ input: process.stdin })) {
    if (line.trim() === 'stats') process.stdout.write(JSON.stringify(front.takeStats()) + '\n');
    if (line.trim() === 'stop') break;
  }
  await sandbox.stop();
  await s3.stop();
  process.exit(0);
}

main().catch((err) => {
  process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
