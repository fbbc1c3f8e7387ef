// Reliability figure (issue 20): the webhook server (its own process, the local runner's pool of 10) under
// rounds of 200 concurrent requests (CSV, JSON, XLSX and the OData feed; several ranges and aggregations; 40
// keys of 8 tenants, 5 requests per key, the per-webhook cap) while 10 extractions run through the local state
// machine against the Google sandbox (another process, as in the pipeline bench) and a retention pass moves
// every tenant's old facts to the warm archive.
//  - responses other than 2xx, 304 and 429 under load: goal 0
//  - p99 latency under load against the same requests on the idle system (rounds of 200 as well)
//  - facts after: each extracted source equals the sandbox's truth day by day, each tenant's synthetic facts
//    keep their row count and cost through retention: goal 0 differences
// Scale: BENCH_LOAD_ROWS_PER_DAY (synthetic rows per tenant and day, 150), BENCH_LOAD_DAYS (extraction window,
// 30); `--quick` uses 20 rows a day and 10 days.
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { SandboxControl } from '@tributary/connectors/sandboxes/base/sandbox-server';
import { GOOGLE_DEMO_CLIENT, GOOGLE_DEMO_DEVELOPER_TOKEN } from '@tributary/connectors/sandboxes/google/google-sandbox';
import { LocalEnvelopeSecretStore } from '@tributary/shared/adapters/local-envelope-secret-store';
import { LocalStepFunctionsRunner } from '@tributary/shared/adapters/local-step-functions-runner';
import { ensureLoginRole } from '@tributary/shared/db/migrate';
import { loadFacts } from '@tributary/shared/facts/fact-loader';
import { syntheticFacts } from '@tributary/shared/facts/synthetic-facts';
import { seedDataSource } from '@tributary/shared/testing/seed';
import { EXTRACTION_DEFINITION } from '@tributary/shared/workflow/extraction-definition';
import { createWebhook } from '@tributary/functions/webhooks/webhook.repository';
import { runRetention } from '../../functions/src/maintenance/retention';
import { attachPipeline } from '../../functions/src/pipeline/pipeline';
import { startExtractionRun } from '../../functions/src/pipeline/start-run';
import { addDays } from '../../functions/src/pipeline/windows';
import { googlePipelineDeps } from '../google-pipeline-deps';
import type { BenchSuite } from '../harness';
import { startRemoteServices } from '../remote-services';
import { createScratchDb } from '../scratch-db';
import { startServerProcess } from './webhooks.bench';

const QUICK = process.argv.includes('--quick');
const ROWS_PER_DAY = Number(process.env.BENCH_LOAD_ROWS_PER_DAY ?? (QUICK ? 20 : 150));
const EXTRACT_DAYS = Number(process.env.BENCH_LOAD_DAYS ?? (QUICK ? 10 : 30));
const TODAY = '2026-11-23';
const ACCOUNT = '1234567890';
const RAW_BUCKET = 'tributary-raw';
const TENANTS = 8;
const HOOKS_PER_TENANT = 5;
const CONCURRENT = 200;
const EXTRACTIONS = 10;
const IDLE_ROUNDS = 3;
const MAX_LOADED_ROUNDS = 30;
// synthetic facts from here to the day before TODAY: the months before the 90-day hot window go warm
const SYNTH_START = '2026-05-01';
const SYNTH_DAYS = 206;

const p99 = (values: number[]) =>
  [...values].sort((a, b) => a - b)[Math.min(values.length - 1, Math.ceil(values.length * 0.99) - 1)]!;

interface Outcome {
  i: number;
  status: number;
  ms: number;
  etag: string | null;
  body?: string;
}

const suite: BenchSuite = {
  name: 'reliability-load',
  async run({ adminUrl, log }) {
    const scratch = await createScratchDb(adminUrl, 'bench_load');
    const admin = new pg.Client({ connectionString: scratch.adminUrl });
    await admin.connect();
    const dir = await mkdtemp(path.join(os.tmpdir(), 'tributary-bench-load-'));
    const remote = await startRemoteServices({ today: TODAY, s3Dir: path.join(dir, 's3'), rawBucket: RAW_BUCKET });
    let server: Awaited<ReturnType<typeof startServerProcess>> | undefined;
    try {
      // ---- tenants: facts, webhooks, and one or two Google Ads sources each to extract
      log(
        `load: ${TENANTS} tenants, ${SYNTH_DAYS} days x ${ROWS_PER_DAY} synthetic rows each, ${HOOKS_PER_TENANT} webhooks each`,
      );
      const tenants: (Awaited<ReturnType<typeof seedDataSource>> & { keys: string[] })[] = [];
      for (let t = 0; t < TENANTS; t++) {
        const s = await seedDataSource(scratch.adminUrl, { platform: 'google_ads', name: `load-tenant-${t}` });
        await loadFacts(
          scratch.db,
          {
            organizationId: s.organizationId,
            projectId: s.projectId,
            dataSourceId: s.dataSourceId,
            platform: 'google_ads',
          },
          syntheticFacts({ days: SYNTH_DAYS, rowsPerDay: ROWS_PER_DAY, startDate: SYNTH_START }),
        );
        const keys: string[] = [];
        for (let h = 0; h < HOOKS_PER_TENANT; h++) {
          const { key } = await scratch.db.transaction({ orgId: s.organizationId }, (trx) =>
            createWebhook(
              trx,
              { organizationId: s.organizationId, projectId: s.projectId, userId: null },
              {
                name: `load-${h}`,
                allowedDataSources: [],
                scope: { filters: [] },
                outputFormat: 'csv',
                rateLimitPerHour: 100_000,
                expiresAt: null,
              },
            ),
          );
          keys.push(key);
        }
        tenants.push({ ...s, keys });
      }
      // the webhook's default currency is the project's (USD): every day's EUR rate, as the ECB job would load them
      await admin.query(
        `INSERT INTO fx_rates (rate_date, base_currency, quote_currency, rate) SELECT d::date, 'EUR', 'USD', 1.05 + (d::date - date '2026-01-01') / 10000.0 FROM generate_series(date '2026-01-01', date '2026-12-31', interval '1 day') d ON CONFLICT DO NOTHING`,
      );
      await admin.query('VACUUM ANALYZE extracted_data');
      const synthTotals = async () =>
        (
          await admin.query(
            `SELECT data_source_id::text AS id, count(*)::text AS n, sum(cost)::text AS cost FROM facts WHERE data_source_id = ANY($1::uuid[]) GROUP BY 1 ORDER BY 1`,
            [tenants.map((t) => t.dataSourceId)],
          )
        ).rows;
      const synthBefore = await synthTotals();

      const dirSecrets = new LocalEnvelopeSecretStore({
        keyFile: path.join(dir, 'master.key'),
        storeDir: path.join(dir, 'secrets'),
      });
      const sources: { dataSourceId: string; organizationId: string }[] = [];
      const startDate = addDays(TODAY, -(EXTRACT_DAYS - 1));
      for (let i = 0; i < EXTRACTIONS; i++) {
        const t = tenants[i % TENANTS]!;
        const credential = (
          await admin.query(
            `INSERT INTO credentials (organization_id, project_id, platform, credential_type, label, secret_ref, key_id) VALUES ($1, $2, 'google_ads', 'oauth2', $3, 'x', 'x') RETURNING id`,
            [t.organizationId, t.projectId, `load-${i}`],
          )
        ).rows[0].id as string;
        const ref = await dirSecrets.create(
          `google-${credential}`,
          {
            refreshToken: remote.demoRefreshToken,
            clientId: GOOGLE_DEMO_CLIENT.clientId,
            clientSecret: GOOGLE_DEMO_CLIENT.clientSecret,
            developerToken: GOOGLE_DEMO_DEVELOPER_TOKEN,
          },
          { organizationId: t.organizationId, projectId: t.projectId, platform: 'google_ads' },
        );
        await admin.query(`UPDATE credentials SET secret_ref = $2, key_id = $3 WHERE id = $1`, [
          credential,
          ref.ref,
          ref.keyId,
        ]);
        const id = (
          await admin.query(
            `INSERT INTO data_sources (organization_id, project_id, credential_id, platform, source_name, extraction_config, schedule_config) VALUES ($1, $2, $3, 'google_ads', $4, $5, '{}') RETURNING id`,
            [
              t.organizationId,
              t.projectId,
              credential,
              `load-extract-${i}`,
              JSON.stringify({ account_id: ACCOUNT, report_types: ['campaign_daily'], start_date: startDate }),
            ],
          )
        ).rows[0].id as string;
        sources.push({ dataSourceId: id, organizationId: t.organizationId });
      }
      const runner = new LocalStepFunctionsRunner(EXTRACTION_DEFINITION);
      const deps = googlePipelineDeps({
        db: scratch.db,
        rawBucket: RAW_BUCKET,
        secrets: dirSecrets,
        workflow: runner,
        s3Endpoint: remote.s3Endpoint,
        sandboxUrl: remote.sandboxUrl,
        today: TODAY,
      });
      attachPipeline(deps);

      // ---- the webhook server, as a web function logs in, with the local runner's pool
      await ensureLoginRole(adminUrl, 'tributary_bench_web', 'bench', 'web');
      const webUrl = new URL(scratch.adminUrl);
      webUrl.username = 'tributary_bench_web';
      webUrl.password = 'bench';
      server = await startServerProcess(webUrl.toString(), randomBytes(32), 10);

      // ---- the 200 requests: 5 per key (the per-webhook cap), formats and ranges mixed
      const RANGES = [
        'date_range=last_30_days',
        'start_date=2026-06-01&end_date=2026-08-31',
        'start_date=2026-10-01&end_date=2026-11-22',
        'date_range=last_7_days',
        'start_date=2026-05-01&end_date=2026-11-22',
      ];
      const DIMS = [
        'dimensions=campaign',
        'dimensions=date,platform',
        'dimensions=date&aggregate=daily',
        'aggregate=monthly',
        'dimensions=campaign,date',
      ];
      const urls: string[] = [];
      for (let r = 0; r < CONCURRENT; r++) {
        const tenant = tenants[r % TENANTS]!;
        const key = tenant.keys[Math.floor(r / TENANTS) % HOOKS_PER_TENANT]!;
        const kind = ['csv', 'json', 'xlsx', 'odata'][Math.floor(r / 7) % 4]!;
        const range = RANGES[r % RANGES.length]!;
        if (kind === 'odata') {
          const odata =
            r % 2
              ? `$filter=${encodeURIComponent('Date ge 2026-06-01 and Date lt 2026-09-01')}&$top=5000`
              : `$apply=${encodeURIComponent('filter(Date ge 2026-10-01)/groupby((Platform,Date),aggregate(Cost with sum as Cost,Clicks with sum as Clicks))')}`;
          urls.push(`${server.url}/odata/v1/${key}/Facts?${odata}`);
        } else
          urls.push(
            `${server.url}/webhook/v1/${key}/${r % 3 ? 'data' : 'summary'}?${range}&${DIMS[r % DIMS.length]}&metrics=cost,clicks,impressions,ctr&format=${kind}`,
          );
      }
      const kindOf = (i: number) => (urls[i]!.includes('/odata/') ? 'odata' : /format=(\w+)/.exec(urls[i]!)![1]!);
      const etags = new Map<number, string>();
      const fire = async (i: number): Promise<Outcome> => {
        const t = performance.now();
        const headers: Record<string, string> = {};
        // one request in ten is a refresh carrying the ETag it got before (Excel's Refresh All)
        if (i % 10 === 9 && etags.has(i)) headers['if-none-match'] = etags.get(i)!;
        try {
          const res = await fetch(urls[i]!, { headers });
          const body = await res.arrayBuffer();
          const ms = performance.now() - t;
          return {
            i,
            status: res.status,
            ms,
            etag: res.headers.get('etag'),
            ...(res.status >= 400 ? { body: Buffer.from(body).toString('utf8', 0, 300) } : {}),
          };
        } catch (error) {
          return { i, status: 0, ms: performance.now() - t, etag: null, body: String(error) };
        }
      };
      const round = async () => Promise.all(urls.map((_, i) => fire(i)));
      const acceptable = (s: number) => (s >= 200 && s < 300) || s === 304 || s === 429;
      const describe = (outcomes: Outcome[]) => {
        const byStatus: Record<number, number> = {};
        const byKind: Record<string, number[]> = {};
        const samples = new Map<number, string>();
        for (const o of outcomes) {
          byStatus[o.status] = (byStatus[o.status] ?? 0) + 1;
          const kind = kindOf(o.i);
          (byKind[kind] ??= []).push(o.ms);
          if (!acceptable(o.status) && !samples.has(o.status))
            samples.set(o.status, `${urls[o.i]!.replace(/\/(twk_[^/]+)\//, '/twk_…/')} -> ${o.body ?? ''}`);
        }
        const kinds = Object.entries(byKind)
          .map(([k, ms]) => `${k} p99 ${p99(ms).toFixed(0)} ms`)
          .join(', ');
        return `${JSON.stringify(byStatus)} (${kinds})${[...samples.values()].map((x) => `\n    e.g. ${x}`).join('')}`;
      };

      log('load: warm-up round, then idle rounds');
      for (const [i, o] of (await round()).entries()) if (o.etag) etags.set(i, o.etag);
      const idle: Outcome[] = [];
      for (let k = 0; k < IDLE_ROUNDS; k++) idle.push(...(await round()));
      log(`load: idle, ${idle.length} requests: ${describe(idle)}, p99 ${p99(idle.map((o) => o.ms)).toFixed(0)} ms`);

      // ---- under load: 10 extractions and a retention pass, rounds of 200 until they are all done
      log(`load: ${EXTRACTIONS} extractions (${EXTRACT_DAYS} days each) and a retention pass start`);
      const t0 = performance.now();
      const started = await Promise.all(
        sources.map((s) =>
          startExtractionRun(deps, {
            dataSourceId: s.dataSourceId,
            organizationId: s.organizationId,
            trigger: 'manual',
          }),
        ),
      );
      let pending = started.length + 1;
      const settled = Promise.all(started.map((s) => runner.settled(s.executionId).finally(() => pending--)));
      const retention = runRetention(scratch.db, deps.blobs, { bucket: RAW_BUCKET, today: TODAY }).finally(
        () => pending--,
      );
      const loaded: Outcome[] = [];
      let rounds = 0;
      let overlapped = 0;
      while (rounds < MAX_LOADED_ROUNDS && (rounds === 0 || pending > 0)) {
        loaded.push(...(await round()));
        rounds++;
        if (pending > 0) overlapped++;
      }
      const outcomes = await settled;
      const retained = await retention;
      log(
        `load: ${rounds} rounds under load (${overlapped} ended while work was still running); work done in ${((performance.now() - t0) / 1000).toFixed(1)} s; retention moved ${retained.warm.reduce((n, w) => n + w.rows, 0)} rows warm`,
      );
      log(
        `load: under load, ${loaded.length} requests: ${describe(loaded)}, p99 ${p99(loaded.map((o) => o.ms)).toFixed(0)} ms`,
      );
      const bad = loaded.filter((o) => !acceptable(o.status)).length + idle.filter((o) => !acceptable(o.status)).length;

      // ---- exact totals after
      let checks = 0;
      let differences = 0;
      const jobs = (await admin.query(`SELECT status, count(*)::int AS n FROM extraction_jobs GROUP BY 1`)).rows;
      log(
        `load: executions ${JSON.stringify(outcomes.map((o) => o.status).reduce<Record<string, number>>((m, s) => ({ ...m, [s]: (m[s] ?? 0) + 1 }), {}))}, jobs ${JSON.stringify(jobs)}`,
      );
      const control = new SandboxControl(remote.sandboxUrl);
      const truth = (
        await control.truth<{ groups: Record<string, Record<string, string>> }>({
          api: 'google_ads',
          account: ACCOUNT,
          from: startDate,
          to: TODAY,
          groupBy: 'date',
        })
      ).groups;
      for (const s of sources) {
        const days = (
          await admin.query(
            `SELECT data_date::text AS day, count(*)::int AS rows, count(DISTINCT campaign_id)::int AS campaigns, sum(clicks)::text AS clicks, sum(cost)::numeric(20,6)::text AS cost FROM extracted_data WHERE data_source_id = $1 GROUP BY 1`,
            [s.dataSourceId],
          )
        ).rows;
        const got = new Map(days.map((d) => [d.day as string, d]));
        for (const [day, t] of Object.entries(truth)) {
          checks++;
          const d = got.get(day);
          if (
            !d ||
            d.rows !== Number(t.campaignDays) ||
            d.campaigns !== d.rows ||
            d.clicks !== t.clicks ||
            Number(d.cost).toFixed(6) !== Number(t.cost).toFixed(6)
          ) {
            differences++;
            if (differences <= 5)
              log(`load: ${s.dataSourceId} ${day}: have ${JSON.stringify(d ?? null)}, truth ${JSON.stringify(t)}`);
          }
        }
        if (got.size !== Object.keys(truth).length) differences++;
      }
      const synthAfter = await synthTotals();
      checks += synthBefore.length;
      for (const [i, before] of synthBefore.entries()) {
        if (JSON.stringify(before) !== JSON.stringify(synthAfter[i])) {
          differences++;
          log(
            `load: synthetic source ${before.id} held ${before.n} rows (cost ${before.cost}), now ${JSON.stringify(synthAfter[i] ?? null)}`,
          );
        }
      }
      const warm = (await admin.query(`SELECT count(*)::int AS n FROM archived_data`)).rows[0].n as number;
      log(
        `load: ${checks} checks of the facts after (extracted days against the sandbox, synthetic sources through retention; ${warm} rows now warm)`,
      );
      const idleP99 = p99(idle.map((o) => o.ms));
      const loadedP99 = p99(loaded.map((o) => o.ms));
      return [
        {
          figure: `load: responses other than 2xx/304/429, ${loaded.length} webhook requests (rounds of ${CONCURRENT} concurrent) during ${EXTRACTIONS} extractions and a retention pass, ${idle.length} idle`,
          ours: bad,
          baseline: loaded.length + idle.length,
          unit: 'responses',
          ratio: bad / (loaded.length + idle.length),
          goal: '0 (ratio 0)',
        },
        {
          figure: `load: p99 latency of ${CONCURRENT} concurrent webhook requests (csv, json, xlsx, OData; 40 keys of ${TENANTS} tenants) under load vs the same requests idle`,
          ours: Math.round(loadedP99),
          baseline: Math.round(idleP99),
          unit: 'ms',
          ratio: Math.round((loadedP99 / idleP99) * 100) / 100,
          goal: 'reported beside idle (ratio = loaded / idle)',
        },
        {
          figure: `load: facts differing after the load (${EXTRACTIONS} extracted sources day by day vs the sandbox's truth, ${TENANTS} synthetic sources through retention)`,
          ours: differences,
          baseline: checks,
          unit: 'checks',
          ratio: differences / checks,
          goal: '0 (ratio 0)',
        },
      ];
    } finally {
      await server?.stop().catch(() => {});
      await admin.end();
      await scratch.close();
      await remote.stop();
      await rm(dir, { recursive: true, force: true });
    }
  },
};
export default suite;
