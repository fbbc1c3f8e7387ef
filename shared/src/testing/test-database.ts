// Gives a test file its own database, cloned from the migrated template, and the adapters-facing
// DatabaseConfig to reach it as the application's login role (not a superuser, so RLS applies).
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { inject } from 'vitest';
import type { DatabaseConfig } from '../config/config';
import { createDatabase, type Database } from '../db/database';

export const TEMPLATE_DATABASE = 'tributary_template';
/** the pipeline's kind of login (tributary_app and tributary_loader): what most tests connect as */
export const TEST_LOGIN = { user: 'tributary_test', password: 'tributary-test-password' } as const;
/** a web function's kind of login: tributary_app only, never the loader */
export const TEST_WEB_LOGIN = { user: 'tributary_test_web', password: 'tributary-test-web-password' } as const;

export interface TestDatabaseServer {
  adminUrl: string;
}

export interface TestDatabase {
  /** connects as the application's login role */
  config: DatabaseConfig;
  db: Database;
  /** superuser URL of this test database, for assertions that must look past RLS */
  adminUrl: string;
  /** this test database as a web function's login (tributary_app only) */
  webUrl: string;
  drop(): Promise<void>;
}

export async function createTestDatabase(): Promise<TestDatabase> {
  const { adminUrl } = inject('tributaryDb');
  const name = `t_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name} TEMPLATE ${TEMPLATE_DATABASE}`);
  } finally {
    await admin.end();
  }
  const appUrl = new URL(adminUrl);
  appUrl.username = TEST_LOGIN.user;
  appUrl.password = TEST_LOGIN.password;
  appUrl.pathname = `/${name}`;
  const webUrl = new URL(appUrl.toString());
  webUrl.username = TEST_WEB_LOGIN.user;
  webUrl.password = TEST_WEB_LOGIN.password;
  const adminDbUrl = new URL(adminUrl);
  adminDbUrl.pathname = `/${name}`;
  const config: DatabaseConfig = { kind: 'url', url: appUrl.toString(), maxConnections: 10 };
  const db = createDatabase(config);
  return {
    config,
    db,
    adminUrl: adminDbUrl.toString(),
    webUrl: webUrl.toString(),
    drop: async () => {
      await db.close();
      const c = new pg.Client({ connectionString: adminUrl });
      await c.connect();
      try {
        await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await c.end();
      }
    },
  };
}
