// Covers the schema seam: migrations from an empty database, the fact table's natural key, partitions,
// and row-level security as the application's own role sees it.
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrateToLatest } from './migrate';
import { createTestDatabase, type TestDatabase } from '../testing/test-database';
import { sql } from 'kysely';

let t: TestDatabase;
let admin: pg.Client;

beforeAll(async () => {
  t = await createTestDatabase();
  admin = new pg.Client({ connectionString: t.adminUrl });
  await admin.connect();
});
afterAll(async () => {
  await admin.end();
  await t.drop();
});

async function seedOrgWithProject(name: string) {
  const org = await admin.query(`INSERT INTO organizations (name) VALUES ($1) RETURNING id`, [name]);
  const orgId = org.rows[0].id as string;
  const project = await admin.query(`INSERT INTO projects (organization_id, name) VALUES ($1, $2) RETURNING id`, [
    orgId,
    `${name} project`,
  ]);
  return { orgId, projectId: project.rows[0].id as string };
}

describe('migrations', () => {
  it('when applied to an empty database, it creates every table and reports nothing left to apply', async () => {
    const tables = await admin.query(`SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1`);
    const names = tables.rows.map((r) => r.tablename);
    for (const table of [
      'organizations',
      'users',
      'memberships',
      'projects',
      'credentials',
      'data_sources',
      'extraction_jobs',
      'extracted_data',
      'archived_data',
      'archive_manifests',
      'webhook_configs',
      'api_access_logs',
      'audit_log',
      'fx_rates',
    ]) {
      expect(names, table).toContain(table);
    }
    const again = await migrateToLatest(t.adminUrl);
    expect(again.applied).toEqual([]);
    const version = await admin.query('SHOW server_version_num');
    expect(Number(version.rows[0].server_version_num)).toBeGreaterThanOrEqual(170000);
  });

  it('when a month has no partition yet, ensure creates it and moves rows out of the default partition', async () => {
    const { orgId, projectId } = await seedOrgWithProject('partitions');
    const ds = '00000000-0000-0000-0000-0000000000aa';
    await admin.query(
      `INSERT INTO extracted_data (organization_id, project_id, data_source_id, platform, data_type, data_date, row_key, content_hash)
                       VALUES ($1, $2, $3, 'google_ads', 'campaign', '2001-02-03', 1, 1)`,
      [orgId, projectId, ds],
    );
    const before = await admin.query(`SELECT count(*)::int AS n FROM extracted_data_default`);
    expect(before.rows[0].n).toBe(1);
    const created = await admin.query(
      `SELECT tributary_ensure_month_partitions('extracted_data', '2001-02-01', '2001-03-31') AS n`,
    );
    expect(created.rows[0].n).toBe(2);
    const after = await admin.query(
      `SELECT (SELECT count(*) FROM extracted_data_default)::int AS d, (SELECT count(*) FROM extracted_data_p200102)::int AS p`,
    );
    expect(after.rows[0]).toEqual({ d: 0, p: 1 });
    // the unique key is enforced on the new partition too
    await expect(
      admin.query(
        `INSERT INTO extracted_data (organization_id, project_id, data_source_id, platform, data_type, data_date, row_key, content_hash)
                       VALUES ($1, $2, $3, 'google_ads', 'campaign', '2001-02-03', 1, 2)`,
        [orgId, projectId, ds],
      ),
    ).rejects.toThrow(/extracted_data_p200102_data_source_id|duplicate key/);
  });
});

describe('row-level security', () => {
  it('when a query forgets its organization filter, it still sees only the organization in context', async () => {
    const a = await seedOrgWithProject('org-a');
    const b = await seedOrgWithProject('org-b');
    const seen = await t.db.transaction({ orgId: a.orgId }, async (trx) => {
      const projects = await trx.selectFrom('projects').select(['id', 'organizationId']).execute();
      const whoami = await sql<{ currentUser: string }>`SELECT current_user`.execute(trx);
      return { projects, user: whoami.rows[0]?.currentUser };
    });
    expect(seen.user).toBe('tributary_app');
    expect(seen.projects.map((p) => p.organizationId)).toEqual([a.orgId]);
    expect(seen.projects.map((p) => p.id)).not.toContain(b.projectId);
  });

  it('when no organization is set, organization-scoped tables show nothing and refuse writes', async () => {
    await seedOrgWithProject('org-c');
    const rows = await t.db.transaction({}, (trx) => trx.selectFrom('projects').selectAll().execute());
    expect(rows).toEqual([]);
    const other = await seedOrgWithProject('org-d');
    await expect(
      t.db.transaction({ orgId: '00000000-0000-0000-0000-000000000001' }, (trx) =>
        trx.insertInto('projects').values({ organizationId: other.orgId, name: 'sneaky', settings: {} }).execute(),
      ),
    ).rejects.toThrow(/row-level security/);
  });

  it('when the login role connects without a transaction role, it can read no table at all', async () => {
    const client = await t.db.pool.connect();
    try {
      await expect(client.query('SELECT * FROM projects')).rejects.toThrow(/permission denied/);
    } finally {
      client.release();
    }
  });
});
