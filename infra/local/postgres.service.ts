// PostgreSQL 17 for the local runner: embedded, data under .tributary/pg (kept across restarts),
// migrated on every start, reached by the application through its own non-owner login role.
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { ensureLoginRole, migrateToLatest } from '@tributary/shared/db/migrate';
import { startEmbeddedPostgres } from '@tributary/shared/local/embedded-postgres';
import type { LocalService } from './runner';
import { loadLocalRunnerSettings } from '@tributary/shared/config/config';

export const LOCAL_PG_PORT = 54329;
/** the web functions' login (the API, the webhook server): tributary_app only */
const APP_USER = 'tributary';
/** the pipeline's login (runs, schedules, maintenance): may also become tributary_loader */
const PIPELINE_USER = 'tributary_pipeline';

async function localPassword(file: string): Promise<string> {
  if (existsSync(file)) return (await readFile(file, 'utf8')).trim();
  const password = randomBytes(18).toString('base64url');
  await writeFile(file, password + '\n', { mode: 0o600 });
  return password;
}

export const postgresService: LocalService = {
  name: 'postgres',
  async start(ctx) {
    const port = loadLocalRunnerSettings().ports.postgres ?? LOCAL_PG_PORT;
    const superPassword = await localPassword(path.join(ctx.homeDir, 'pg-superuser.password'));
    const appPassword = await localPassword(path.join(ctx.homeDir, 'pg-app.password'));
    const pipelinePassword = await localPassword(path.join(ctx.homeDir, 'pg-pipeline.password'));
    const pg = await startEmbeddedPostgres({
      dataDir: path.join(ctx.homeDir, 'pg'),
      port,
      superuserPassword: superPassword,
    });
    try {
      const admin = new URL(pg.adminUrl);
      const dbUrl = new URL(pg.adminUrl);
      dbUrl.pathname = '/tributary';
      const c = new (await import('pg')).default.Client({ connectionString: pg.adminUrl });
      await c.connect();
      try {
        const exists = await c.query(`SELECT 1 FROM pg_database WHERE datname = 'tributary'`);
        if (exists.rowCount === 0) await c.query('CREATE DATABASE tributary');
      } finally {
        await c.end();
      }
      const { applied } = await migrateToLatest(dbUrl.toString());
      ctx.log('postgres', applied.length ? `applied migrations: ${applied.join(', ')}` : 'schema up to date');
      await ensureLoginRole(admin.toString(), APP_USER, appPassword, 'web');
      await ensureLoginRole(admin.toString(), PIPELINE_USER, pipelinePassword, 'pipeline');
      const appUrl = `postgres://${APP_USER}:${encodeURIComponent(appPassword)}@127.0.0.1:${port}/tributary`;
      const pipelineUrl = `postgres://${PIPELINE_USER}:${encodeURIComponent(pipelinePassword)}@127.0.0.1:${port}/tributary`;
      ctx.log('postgres', `PostgreSQL 17 on 127.0.0.1:${port}, data in ${path.join(ctx.homeDir, 'pg')}`);
      return {
        publish: { postgres: { host: '127.0.0.1', port, database: 'tributary', user: APP_USER, url: appUrl } },
        // one process hosts every pipeline worker here (in AWS each Lambda has its own pool): each concurrent
        // load holds one connection for its length, so the pool is sized for the Map's concurrency of several runs
        env: { DATABASE_URL: appUrl, TRIBUTARY_PIPELINE_DATABASE_URL: pipelineUrl, TRIBUTARY_DB_MAX_CONNECTIONS: '40' },
        stop: () => pg.stop(),
      };
    } catch (err) {
      await pg.stop();
      throw err;
    }
  },
};
