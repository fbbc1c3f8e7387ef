// A migrated scratch database on the bench's PostgreSQL, reached as the application's login role.
import pg from 'pg';
import type { Database } from '@tributary/shared/db/database';
import { createDatabase } from '@tributary/shared/db/database';
import { ensureLoginRole, migrateToLatest } from '@tributary/shared/db/migrate';

export interface ScratchDb {
  db: Database;
  /** superuser URL of the scratch database */
  adminUrl: string;
  close(): Promise<void>;
}

export async function createScratchDb(serverAdminUrl: string, name: string): Promise<ScratchDb> {
  const admin = new pg.Client({ connectionString: serverAdminUrl });
  await admin.connect();
  try {
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const dbAdmin = new URL(serverAdminUrl);
  dbAdmin.pathname = `/${name}`;
  await migrateToLatest(dbAdmin.toString());
  await ensureLoginRole(serverAdminUrl, 'tributary_bench', 'bench');
  const app = new URL(dbAdmin.toString());
  app.username = 'tributary_bench';
  app.password = 'bench';
  const db = createDatabase({ kind: 'url', url: app.toString(), maxConnections: 24 });
  return { db, adminUrl: dbAdmin.toString(), close: () => db.close() };
}
