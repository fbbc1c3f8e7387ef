// Applies the plain-SQL migrations in ./migrations with node-pg-migrate. Run by `npm start`, by the test
// setup, and on deploy (infra's migration custom resource calls the same function).
import { runner } from 'node-pg-migrate';
import pg from 'pg';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const MIGRATIONS_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), 'migrations');

export interface MigrationResult {
  applied: string[];
}

/** Brings the database at `databaseUrl` up to the newest migration. Connects as an owner-capable role. */
export async function migrateToLatest(
  databaseUrl: string,
  log: (msg: string) => void = () => {},
): Promise<MigrationResult> {
  const client = new pg.Client({ connectionString: databaseUrl });
  client.on('error', () => {}); // a server shutting down mid-way fails the migration's query, not the process
  await client.connect();
  try {
    const applied = await runner({
      dbClient: client,
      dir: MIGRATIONS_DIR,
      migrationsTable: 'pgmigrations',
      direction: 'up',
      count: Infinity,
      singleTransaction: true,
      checkOrder: true,
      log: () => {},
      logger: { debug: () => {}, info: log, warn: log, error: log },
    });
    return { applied: applied.map((m) => m.name) };
  } finally {
    await client.end();
  }
}

/**
 * What a login role may become. 'web' (the API, the public webhook, the progress authorizer): tributary_app
 * only, so a flaw in a web function can never reach the loader role that bypasses row-level security.
 * 'pipeline' (planner, worker, finalizer, schedule starter, maintenance): tributary_app and tributary_loader.
 */
export type LoginKind = 'web' | 'pipeline';

/**
 * Creates (or updates the password of) a login role the application connects as. NOINHERIT: the login
 * itself has no rights on any table; every transaction takes tributary_app (or, for a pipeline login,
 * tributary_loader) with SET LOCAL ROLE (see database.ts), so row-level security always applies to API
 * queries. Re-running it with another kind moves the login to that kind's roles.
 */
export async function ensureLoginRole(
  adminUrl: string,
  user: string,
  password: string,
  kind: LoginKind = 'pipeline',
): Promise<void> {
  if (!/^[a-z_][a-z0-9_]*$/.test(user)) throw new Error(`invalid database user name: ${user}`);
  const client = new pg.Client({ connectionString: adminUrl });
  client.on('error', () => {});
  await client.connect();
  try {
    const exists = await client.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [user]);
    const quotedPassword = client.escapeLiteral(password);
    if (exists.rowCount === 0) {
      await client.query(
        `CREATE ROLE ${user} LOGIN NOINHERIT NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS PASSWORD ${quotedPassword}`,
      );
    } else {
      await client.query(`ALTER ROLE ${user} WITH LOGIN NOINHERIT NOSUPERUSER NOBYPASSRLS PASSWORD ${quotedPassword}`);
    }
    await client.query(`GRANT tributary_app TO ${user}`);
    if (kind === 'pipeline') await client.query(`GRANT tributary_loader TO ${user}`);
    else await client.query(`REVOKE tributary_loader FROM ${user}`);
  } finally {
    await client.end();
  }
}
