// Seam: deleting a project or a data source through real HTTP, then the purge queue drained by the
// maintenance code (s3rver as the object store, the local secret store, PostgreSQL): nothing of the deleted
// project is left in any of the three, the purge survives a crash between the delete and the purge, the
// audit log records it, and another project's objects stay.
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAdapters } from '@tributary/shared/config/adapters';
import { loadConfig } from '@tributary/shared/config/config';
import { freePort } from '@tributary/shared/local/embedded-postgres';
import { startS3rver, type S3rverHandle } from '@tributary/shared/local/s3rver';
import {
  METRICOOL_DEMO_TOKEN,
  METRICOOL_DEMO_USER_ID,
  startMetricoolSandbox,
  type MetricoolSandbox,
} from '@tributary/connectors/sandboxes/metricool/metricool-sandbox';
import * as credR from '../credentials/credential.routes';
import * as dsR from '../data-sources/data-source.routes';
import { runPurgeJobs } from '../maintenance/purge';
import * as webhookR from '../webhooks/webhook.routes';
import { startApiHarness, type ApiHarness } from '../testing/api-harness';
import * as projR from './project.routes';

const RAW = 'tributary-raw';
const ARCHIVE = 'tributary-archive';
let h: ApiHarness;
let s3: S3rverHandle;
// a built platform's credential is validated against the platform: the Metricool sandbox stands in
let metricool: MetricoolSandbox;
let owner: { token: string; userId: string; orgId: string };

interface Planted {
  projectId: string;
  sourceId: string;
  secretRef: string;
  keys: { bucket: string; key: string }[];
}

async function admin<T>(fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: h.testDb.adminUrl });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

/** A project with a credential (a secret), a data source, a webhook, raw pages and a cold archive with its manifest. */
async function plantProject(name: string): Promise<Planted> {
  const project = await h.call(projR.createProjectRoute, { token: owner.token, body: { name } });
  expect(project.status, project.text).toBe(201);
  const projectId = (project.body as { id: string }).id;
  const cred = await h.call(credR.createCredentialRoute, {
    token: owner.token,
    params: { project_id: projectId },
    body: {
      platform: 'metricool',
      credential_type: 'api_key',
      label: 'k',
      secret: { user_id: METRICOOL_DEMO_USER_ID, api_token: METRICOOL_DEMO_TOKEN },
    },
  });
  expect(cred.status, cred.text).toBe(201);
  const credentialId = (cred.body as { id: string }).id;
  const source = await h.call(dsR.createDataSourceRoute, {
    token: owner.token,
    params: { project_id: projectId },
    body: {
      credential_id: credentialId,
      source_name: 'posts',
      extraction_config: { account_id: '4210001', report_types: ['posts_daily'] },
    },
  });
  expect(source.status, source.text).toBe(201);
  const sourceId = (source.body as { id: string }).id;
  expect(
    (
      await h.call(webhookR.createWebhookRoute, {
        token: owner.token,
        params: { project_id: projectId },
        body: { name: 'feed' },
      })
    ).status,
  ).toBe(201);
  const keys = [
    {
      bucket: RAW,
      key: `${owner.orgId}/${projectId}/${sourceId}/metricool/posts_daily/2026-11-01/${randomUUID()}/part-0.ndjson.gz`,
    },
    {
      bucket: RAW,
      key: `${owner.orgId}/${projectId}/${sourceId}/metricool/posts_daily/2026-11-08/${randomUUID()}/part-1.ndjson.gz`,
    },
    { bucket: ARCHIVE, key: `archive/${owner.orgId}/${projectId}/2024-01/${randomUUID()}.ndjson.gz` },
  ];
  for (const k of keys) await h.adapters.blobs.put(k.bucket, k.key, Buffer.from('{"row":1}\n'));
  const secretRef = await admin(async (c) => {
    await c.query(
      `INSERT INTO archive_manifests (organization_id, project_id, range_start, range_end, bucket, object_key, row_count, byte_size, checksum_sha256)
       VALUES ($1, $2, '2024-01-01', '2024-01-31', $3, $4, 1, 10, repeat('a', 64))`,
      [owner.orgId, projectId, ARCHIVE, keys[2]!.key],
    );
    return (await c.query('SELECT secret_ref FROM credentials WHERE id = $1', [credentialId])).rows[0]
      .secret_ref as string;
  });
  return { projectId, sourceId, secretRef, keys };
}

/** Every table with a project_id column, except the audit log (which records the deletion) and the queue. */
async function rowsOfProject(projectId: string): Promise<Record<string, number>> {
  return admin(async (c) => {
    const tables = (
      await c.query(`SELECT table_name FROM information_schema.columns WHERE table_schema = 'public' AND column_name = 'project_id'
                                   AND table_name NOT IN ('audit_log', 'purge_jobs') AND table_name IN (SELECT tablename FROM pg_tables WHERE schemaname = 'public')`)
    ).rows.map((r) => r.table_name as string);
    const out: Record<string, number> = {};
    for (const t of [...tables, 'projects']) {
      const n = (
        await c.query(`SELECT count(*)::int AS n FROM ${t} WHERE ${t === 'projects' ? 'id' : 'project_id'} = $1`, [
          projectId,
        ])
      ).rows[0].n as number;
      if (n) out[t] = n;
    }
    return out;
  });
}

async function objectsUnder(bucket: string, prefix: string): Promise<string[]> {
  return h.adapters.blobs.list(bucket, prefix);
}

beforeAll(async () => {
  const port = await freePort();
  s3 = await startS3rver({
    port,
    directory: path.join((await import('node:os')).tmpdir(), `tributary-purge-s3-${process.pid}-${Date.now()}`),
    buckets: [RAW, ARCHIVE],
  });
  metricool = await startMetricoolSandbox();
  h = await startApiHarness({
    TRIBUTARY_S3_ENDPOINT: s3.endpoint,
    TRIBUTARY_RAW_BUCKET: RAW,
    TRIBUTARY_ARCHIVE_BUCKET: ARCHIVE,
    TRIBUTARY_PLATFORM_BASE_URLS: JSON.stringify({ metricool: metricool.url }),
  });
  owner = await h.signUp(`purge-${Date.now()}@example.com`);
}, 240_000);

afterAll(async () => {
  await h?.stop();
  await s3?.stop();
  await metricool?.stop();
});

describe('delete means gone', () => {
  it('when a project is deleted, a queued purge that outlives a crash removes its objects; nothing of it is left anywhere', async () => {
    // Prepare: the project to delete and a neighbour that must keep everything
    const doomed = await plantProject('Doomed');
    const neighbour = await plantProject('Neighbour');
    expect(await h.adapters.secrets.read(doomed.secretRef)).toHaveProperty('api_token');

    // Act 1: delete over HTTP; the process "crashes" before anything drains the queue
    const del = await h.call(projR.deleteProjectRoute, {
      token: owner.token,
      params: { project_id: doomed.projectId },
    });
    expect(del.status, del.text).toBe(204);
    const queued = await admin(
      async (c) =>
        (
          await c.query(`SELECT store, prefix, status FROM purge_jobs WHERE project_id = $1 ORDER BY store`, [
            doomed.projectId,
          ])
        ).rows,
    );
    expect(queued).toEqual(
      expect.arrayContaining([
        { store: 'archive', prefix: `archive/${owner.orgId}/${doomed.projectId}/`, status: 'pending' },
        { store: 'raw', prefix: `${owner.orgId}/${doomed.projectId}/`, status: 'pending' },
      ]),
    );
    expect(await objectsUnder(RAW, `${owner.orgId}/${doomed.projectId}/`)).toHaveLength(2);

    // Act 2: a fresh process (new adapters from the same config, as after a restart) drains the queue
    const restarted = createAdapters(
      loadConfig({
        TRIBUTARY_S3_ENDPOINT: s3.endpoint,
        TRIBUTARY_RAW_BUCKET: RAW,
        TRIBUTARY_ARCHIVE_BUCKET: ARCHIVE,
        DATABASE_URL: (h.testDb.config as { url: string }).url,
        TRIBUTARY_ENV: 'local',
        TRIBUTARY_HOME: h.home,
      }),
    );
    try {
      const run = await runPurgeJobs(restarted.db, restarted.blobs, { raw: RAW, archive: ARCHIVE });
      expect(run.failed).toBe(0);
      expect(run.objectsDeleted).toBe(3);
      // a second drain finds nothing to do
      expect(await runPurgeJobs(restarted.db, restarted.blobs, { raw: RAW, archive: ARCHIVE })).toEqual({
        done: 0,
        failed: 0,
        objectsDeleted: 0,
      });
    } finally {
      await restarted.close();
    }

    // Assess: PostgreSQL, the secret store and the object store hold nothing of it
    expect(await rowsOfProject(doomed.projectId)).toEqual({});
    await expect(h.adapters.secrets.read(doomed.secretRef)).rejects.toThrow();
    expect(await objectsUnder(RAW, `${owner.orgId}/${doomed.projectId}/`)).toEqual([]);
    expect(await objectsUnder(ARCHIVE, `archive/${owner.orgId}/${doomed.projectId}/`)).toEqual([]);
    const audit = await admin(
      async (c) =>
        (
          await c.query(`SELECT action, actor_kind, details FROM audit_log WHERE project_id = $1 ORDER BY id`, [
            doomed.projectId,
          ])
        ).rows,
    );
    expect(audit.map((a) => a.action)).toEqual(expect.arrayContaining(['project.deleted', 'storage.purged']));
    expect(
      audit
        .filter((a) => a.action === 'storage.purged')
        .map((a) => a.details.versions_deleted)
        .sort(),
    ).toEqual([1, 2]);
    // the neighbour keeps its rows, secret and objects
    expect(await rowsOfProject(neighbour.projectId)).toMatchObject({
      projects: 1,
      credentials: 1,
      data_sources: 1,
      webhook_configs: 1,
      archive_manifests: 1,
    });
    expect(await h.adapters.secrets.read(neighbour.secretRef)).toHaveProperty('api_token');
    for (const k of neighbour.keys) expect(await h.adapters.blobs.head(k.bucket, k.key)).not.toBeNull();
  });

  it("when a data source is deleted, its raw pages are purged and its project's other objects stay", async () => {
    const p = await plantProject('Keeps project');
    const del = await h.call(dsR.deleteDataSourceRoute, {
      token: owner.token,
      params: { project_id: p.projectId, source_id: p.sourceId },
    });
    expect(del.status, del.text).toBe(204);
    const run = await runPurgeJobs(h.adapters.pipelineDb, h.adapters.blobs, { raw: RAW, archive: ARCHIVE });
    expect(run).toMatchObject({ done: 1, failed: 0, objectsDeleted: 2 });
    expect(await objectsUnder(RAW, `${owner.orgId}/${p.projectId}/${p.sourceId}/`)).toEqual([]);
    expect(await h.adapters.blobs.head(ARCHIVE, p.keys[2]!.key)).not.toBeNull();
    const n = await admin(
      async (c) =>
        (await c.query(`SELECT count(*)::int AS n FROM data_sources WHERE id = $1`, [p.sourceId])).rows[0].n as number,
    );
    expect(n).toBe(0);
    const audit = await admin(
      async (c) =>
        (
          await c.query(
            `SELECT target_type, target_id FROM audit_log WHERE action = 'storage.purged' AND target_id = $1`,
            [p.sourceId],
          )
        ).rows,
    );
    expect(audit).toEqual([{ target_type: 'data_source', target_id: p.sourceId }]);
  });
});
