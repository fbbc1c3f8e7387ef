// Minimal tenancy rows for tests that need an organization, a project and a data source to hang facts on.
// Written as the database owner (adminUrl), the way migrations and fixtures are, not through the API.
import pg from 'pg';

export interface SeededSource {
  organizationId: string;
  projectId: string;
  credentialId: string;
  dataSourceId: string;
  platform: string;
}

export async function seedDataSource(
  adminUrl: string,
  opts: { name?: string; platform?: string } = {},
): Promise<SeededSource> {
  const name = opts.name ?? `org-${Math.random().toString(36).slice(2, 8)}`;
  const platform = opts.platform ?? 'google_ads';
  const c = new pg.Client({ connectionString: adminUrl });
  await c.connect();
  try {
    const org = (await c.query(`INSERT INTO organizations (name) VALUES ($1) RETURNING id`, [name])).rows[0]
      .id as string;
    const project = (
      await c.query(`INSERT INTO projects (organization_id, name) VALUES ($1, $2) RETURNING id`, [
        org,
        `${name} project`,
      ])
    ).rows[0].id as string;
    const credential = (
      await c.query(
        `INSERT INTO credentials (organization_id, project_id, platform, credential_type, label, secret_ref, key_id)
         VALUES ($1, $2, $3, 'oauth2', 'seed', 'seed-ref', 'seed-key') RETURNING id`,
        [org, project, platform],
      )
    ).rows[0].id as string;
    const source = (
      await c.query(
        `INSERT INTO data_sources (organization_id, project_id, credential_id, platform, source_name, extraction_config, schedule_config)
         VALUES ($1, $2, $3, $4, 'seed source', '{}', '{}') RETURNING id`,
        [org, project, credential, platform],
      )
    ).rows[0].id as string;
    return { organizationId: org, projectId: project, credentialId: credential, dataSourceId: source, platform };
  } finally {
    await c.end();
  }
}
