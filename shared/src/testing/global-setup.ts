// Vitest global setup: one PostgreSQL for the whole test run. DATABASE_URL (a superuser or CREATEDB role)
// wins if set; otherwise an embedded PostgreSQL 17 starts in a temporary directory and stops afterwards.
// A template database is migrated once; every test file clones it (test-database.ts), which takes
// milliseconds instead of re-running migrations.
import type { TestProject } from 'vitest/node';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { ensureLoginRole, migrateToLatest } from '../db/migrate';
import { freePort, startEmbeddedPostgres } from '../local/embedded-postgres';
import { TEMPLATE_DATABASE, TEST_LOGIN, TEST_WEB_LOGIN, type TestDatabaseServer } from './test-database';

declare module 'vitest' {
  export interface ProvidedContext {
    tributaryDb: TestDatabaseServer;
  }
}

export default async function setup(project: TestProject) {
  let stop = async () => {};
  let adminUrl = process.env.DATABASE_URL;
  if (!adminUrl) {
    const dataDir = path.join(os.tmpdir(), `tributary-test-pg-${process.pid}`);
    const handle = await startEmbeddedPostgres({ dataDir, port: await freePort(), ephemeral: true });
    adminUrl = handle.adminUrl;
    stop = handle.stop;
  }
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    await admin.query(`DROP DATABASE IF EXISTS ${TEMPLATE_DATABASE} WITH (FORCE)`);
    await admin.query(`CREATE DATABASE ${TEMPLATE_DATABASE}`);
  } finally {
    await admin.end();
  }
  const templateUrl = withDatabase(adminUrl, TEMPLATE_DATABASE);
  await migrateToLatest(templateUrl);
  await ensureLoginRole(adminUrl, TEST_LOGIN.user, TEST_LOGIN.password, 'pipeline');
  await ensureLoginRole(adminUrl, TEST_WEB_LOGIN.user, TEST_WEB_LOGIN.password, 'web');
  project.provide('tributaryDb', { adminUrl });
  return async () => {
    await stop();
  };
}

export function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}
