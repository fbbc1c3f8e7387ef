// Seam: the database roles and row-level security as PostgreSQL enforces them (the real embedded server):
// a web function's login can never become the loader role that bypasses RLS, and RLS holds for the table
// owner too (FORCE), so only the definer functions built for it see across organizations.
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../testing/test-database';
import { createDatabase } from './database';

const TENANT_TABLES = [
  'organizations',
  'memberships',
  'projects',
  'credentials',
  'data_sources',
  'extraction_jobs',
  'extraction_work_items',
  'extracted_data',
  'archived_data',
  'archive_manifests',
  'webhook_configs',
  'api_access_logs',
  'audit_log',
  'invitations',
];

let testDb: TestDatabase;
let admin: pg.Client;
const orgId = randomUUID();
const userId = randomUUID();
const projectId = randomUUID();

async function as(url: string, fn: (c: pg.Client) => Promise<void>) {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    await fn(c);
  } finally {
    await c.end();
  }
}

beforeAll(async () => {
  testDb = await createTestDatabase();
  admin = new pg.Client({ connectionString: testDb.adminUrl });
  await admin.connect();
  await admin.query(`INSERT INTO organizations (id, name) VALUES ($1, 'Org')`, [orgId]);
  await admin.query(
    `INSERT INTO users (id, cognito_sub, email, email_verified) VALUES ($1, $2, 'roles@example.com', true)`,
    [userId, `sub-${userId}`],
  );
  await admin.query(`INSERT INTO memberships (organization_id, user_id, role) VALUES ($1, $2, 'owner')`, [
    orgId,
    userId,
  ]);
  await admin.query(`INSERT INTO projects (id, organization_id, name) VALUES ($1, $2, 'P')`, [projectId, orgId]);
}, 120_000);

afterAll(async () => {
  await admin?.end();
  await testDb?.drop();
});

describe('login roles', () => {
  it('when a web login asks for the loader role, PostgreSQL refuses; the pipeline login may take it', async () => {
    await as(testDb.webUrl, async (c) => {
      await c.query('BEGIN');
      await expect(c.query(`SELECT set_config('role', 'tributary_loader', true)`)).rejects.toThrow(/permission denied/);
      await c.query('ROLLBACK');
      await expect(c.query('SET ROLE tributary_loader')).rejects.toThrow(/permission denied/);
      await c.query('SET ROLE tributary_app');
    });
    const web = createDatabase({ kind: 'url', url: testDb.webUrl, maxConnections: 2 });
    try {
      await expect(web.withClient({ role: 'loader' }, (c) => c.query('SELECT 1'))).rejects.toThrow(/permission denied/);
      // the app role works, under RLS: with this organization set it sees its project, without it nothing
      expect(await web.transaction({ orgId }, (trx) => trx.selectFrom('projects').select('id').execute())).toEqual([
        { id: projectId },
      ]);
      expect(await web.transaction({}, (trx) => trx.selectFrom('projects').select('id').execute())).toEqual([]);
    } finally {
      await web.close();
    }
    const pipeline = createDatabase(testDb.config);
    try {
      const n = await pipeline.withClient(
        { role: 'loader' },
        async (c) => (await c.query('SELECT count(*)::int AS n FROM projects')).rows[0].n as number,
      );
      expect(n).toBe(1);
    } finally {
      await pipeline.close();
    }
  });
});

describe('row-level security for the table owner', () => {
  it('when checked in the catalog, every tenant table enables and forces row-level security', async () => {
    const rows = (
      await admin.query(
        `SELECT relname, relrowsecurity, relforcerowsecurity FROM pg_class WHERE relname = ANY($1) AND relkind IN ('r', 'p')`,
        [TENANT_TABLES],
      )
    ).rows;
    expect(rows.map((r) => r.relname).sort()).toEqual([...TENANT_TABLES].sort());
    expect(rows.filter((r) => !r.relrowsecurity || !r.relforcerowsecurity).map((r) => r.relname)).toEqual([]);
  });

  it('when a non-superuser owns a tenant table, it sees none of its rows; the definer functions still answer', async () => {
    // Prepare: hand projects to an ordinary owner (in Aurora the migration role is one; here it is a superuser)
    const owner = `owner_probe_${randomUUID().replace(/-/g, '').slice(0, 8)}`;
    await admin.query(`CREATE ROLE ${owner} NOLOGIN`);
    try {
      await admin.query(`ALTER TABLE projects OWNER TO ${owner}`);
      // Act + Assess: as the owner, no organization context, no rows
      await admin.query('BEGIN');
      await admin.query(`SET LOCAL ROLE ${owner}`);
      expect((await admin.query('SELECT count(*)::int AS n FROM projects')).rows[0].n).toBe(0);
      await admin.query('ROLLBACK');
      // app_project_access runs as tributary_definer (BYPASSRLS), so a member still finds the project
      await as(testDb.webUrl, async (c) => {
        await c.query('BEGIN');
        await c.query(`SELECT set_config('role', 'tributary_app', true), set_config('tributary.user_id', $1, true)`, [
          userId,
        ]);
        expect((await c.query('SELECT organization_id, role FROM app_project_access($1)', [projectId])).rows).toEqual([
          { organization_id: orgId, role: 'owner' },
        ]);
        await c.query('COMMIT');
      });
    } finally {
      await admin.query('RESET ROLE');
      await admin.query(`ALTER TABLE projects OWNER TO CURRENT_USER`);
      await admin.query(`DROP ROLE ${owner}`);
    }
  });

  it('when a SECURITY DEFINER function reads tenant tables, its owner is the BYPASSRLS definer role, not the forced owner', async () => {
    const rows = (
      await admin.query(`SELECT p.proname, r.rolname, r.rolbypassrls FROM pg_proc p JOIN pg_roles r ON r.oid = p.proowner
                                     JOIN pg_namespace n ON n.oid = p.pronamespace WHERE p.prosecdef AND n.nspname = 'public'`)
    ).rows;
    // the partition functions do DDL and touch only partitions (no RLS), so they stay with the owner
    const tenant = rows.filter(
      (r) => !['tributary_ensure_month_partitions', 'tributary_partition_months'].includes(r.proname),
    );
    expect(tenant.map((r) => r.proname).sort()).toEqual(
      expect.arrayContaining([
        'app_accept_invitation',
        'app_project_access',
        'app_webhook_by_id',
        'app_webhook_by_key_hash',
        'delete_data_source_facts',
      ]),
    );
    expect(
      tenant
        .filter((r) => r.rolname !== 'tributary_definer' || !r.rolbypassrls)
        .map((r) => `${r.proname} owned by ${r.rolname}`),
    ).toEqual([]);
  });
});
