// The data layer's entry point: a pg pool for the configured database, a typed Kysely instance over it,
// and transactions that carry their role and organization context.
//
// RDS Proxy multiplexes client connections and "pins" a connection to one client when it sees session
// state (SET, temp tables, session advisory locks). So every piece of context here is transaction-scoped:
// SET LOCAL ROLE and set_config(..., true) vanish at COMMIT, and a connection goes back to the pool clean.
import { readFileSync } from 'node:fs';
import { createSecureContext, type ConnectionOptions, type SecureContext } from 'node:tls';
import { CamelCasePlugin, Kysely, PostgresDialect, sql, type Transaction } from 'kysely';
import pg from 'pg';
import type { DatabaseConfig } from '../config/config';
import { ServiceUnavailableError } from '../domain/errors';
import type { DB } from './schema';
import { awsSdk } from '../adapters/aws-sdk';
import type * as RdsSigner from '@aws-sdk/rds-signer';

// DATE stays 'YYYY-MM-DD': a JS Date would shift reporting days across time zones.
pg.types.setTypeParser(pg.types.builtins.DATE, (v) => v);

export type DbRole = 'app' | 'loader';
const ROLE_NAMES: Record<DbRole, string> = { app: 'tributary_app', loader: 'tributary_loader' };

export interface DbContext {
  /** the organization every row-level-security policy is keyed on; unset shows no organization-scoped row */
  orgId?: string | null;
  /** lets memberships/organizations of this user be read before an organization is chosen */
  userId?: string | null;
  role?: DbRole;
  /** this transaction's statement_timeout; by default the role's (ROLE_STATEMENT_TIMEOUT_MS) */
  statementTimeoutMs?: number;
}

/**
 * Every statement has a deadline, so a query keeps no connection busy after the Lambda that asked has gone:
 * web requests (API Gateway stops at 30 s) get 30 s, loads and maintenance 14 minutes (under Lambda's 15).
 * A request that streams for longer (a webhook export) sets its own.
 */
export const ROLE_STATEMENT_TIMEOUT_MS: Record<DbRole, number> = { app: 30_000, loader: 14 * 60_000 };

export interface Database {
  readonly pool: pg.Pool;
  readonly kysely: Kysely<DB>;
  /** Runs fn in one transaction with the given role and context (default role: app). */
  transaction<T>(ctx: DbContext, fn: (trx: Transaction<DB>) => Promise<T>): Promise<T>;
  /** Same with a raw pg client, for COPY and other work Kysely does not model. */
  withClient<T>(ctx: DbContext, fn: (client: pg.PoolClient) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

export interface PoolTuning {
  /** how long a request waits for a pooled connection before it is refused with 503 (capacity, not a fault) */
  connectionTimeoutMillis?: number;
}

/** Long enough to ride out a burst, short enough that a client hears "busy" before its own timeout. */
export const DEFAULT_CONNECT_WAIT_MS = 5_000;
const RETRY_AFTER_SECONDS = 2;
/** a query that timed out will likely time out again at once; come back when the load may have passed */
const STATEMENT_TIMEOUT_RETRY_AFTER_SECONDS = 30;

export function poolConfig(config: DatabaseConfig, tuning: PoolTuning = {}): pg.PoolConfig {
  const common = {
    max: config.maxConnections,
    idleTimeoutMillis: 30_000,
    connectionTimeoutMillis: tuning.connectionTimeoutMillis ?? DEFAULT_CONNECT_WAIT_MS,
  };
  switch (config.kind) {
    case 'url':
      return { ...common, connectionString: config.url };
    case 'embedded':
      return {
        ...common,
        host: '127.0.0.1',
        port: config.port,
        user: config.user,
        password: config.password,
        database: config.database,
      };
    case 'iam-proxy': {
      // made on the first connection, not at cold start: loading the SDK's signer is ~100 ms of a cold start
      let signer: RdsSigner.Signer | undefined;
      const sign = () =>
        (signer ??= new (awsSdk.rdsSigner().Signer)({
          hostname: config.host,
          port: config.port,
          username: config.user,
          region: config.region,
        })).getAuthToken();
      // a fresh 15-minute IAM token for every new physical connection
      return {
        ...common,
        host: config.host,
        port: config.port,
        user: config.user,
        database: config.database,
        password: sign,
        ssl: verifyFull(config.caFile),
      };
    }
  }
}

/**
 * verify-full TLS, against `caFile` (the RDS bundle) when given, loaded with the first connection and shared by
 * the pool's connections. Not NODE_EXTRA_CA_CERTS: with it Node rebuilds its whole root store at every process
 * start (~20 ms of each cold start, before any of our code runs), database or not.
 */
function verifyFull(caFile: string | undefined): ConnectionOptions {
  if (!caFile) return { rejectUnauthorized: true };
  let context: SecureContext | undefined;
  return {
    rejectUnauthorized: true,
    // a getter: pg copies these options into tls.connect's for each new connection
    get secureContext() {
      return (context ??= createSecureContext({ ca: readFileSync(caFile) }));
    },
  };
}

const timeoutOf = (ctx: DbContext): number => ctx.statementTimeoutMs ?? ROLE_STATEMENT_TIMEOUT_MS[ctx.role ?? 'app'];

/** The statements that open every transaction: role first, then context, both transaction-scoped. */
export function contextStatements(ctx: DbContext): { text: string; values: unknown[] } {
  return {
    text: `SELECT set_config('role', $1, true), set_config('tributary.org_id', $2, true), set_config('tributary.user_id', $3, true), set_config('statement_timeout', $4, true)`,
    values: [
      ROLE_NAMES[ctx.role ?? 'app'],
      ctx.orgId ?? '',
      ctx.userId ?? '',
      String(Math.max(1, Math.round(timeoutOf(ctx)))),
    ],
  };
}

const DISCARD = Symbol('tributary.discardConnection');

/**
 * Marks an error as leaving its connection in a state no statement can follow (a COPY TO cut off mid-stream
 * keeps the protocol in copy mode, and pg would queue ROLLBACK behind it forever): withClient then closes
 * the connection instead of returning it to the pool, and the server rolls the transaction back.
 */
export function discardConnection<E extends Error>(err: E): E {
  (err as E & { [DISCARD]?: true })[DISCARD] = true;
  return err;
}
const mustDiscard = (err: unknown) => Boolean(err && typeof err === 'object' && (err as { [DISCARD]?: true })[DISCARD]);

/** pg-pool's wait for a free connection ran out: every connection is busy, so say so with 503 + Retry-After. */
function busy(err: unknown): unknown {
  if (err instanceof Error && /timeout exceeded when trying to connect/.test(err.message)) {
    return new ServiceUnavailableError('The service is busy; retry shortly', RETRY_AFTER_SECONDS);
  }
  return err;
}

/**
 * PostgreSQL stopped a statement at its statement_timeout (57014): the request asked for more than one response
 * may cost. A 503 that says how to ask for less, never a 500; a cancel for any other reason stays as it is.
 */
function stopped(err: unknown, timeoutMs: number): unknown {
  const pgError = err as { code?: unknown; message?: unknown } | null;
  if (pgError && pgError.code === '57014' && /statement timeout/.test(String(pgError.message))) {
    const seconds = Math.max(1, Math.round(timeoutMs / 1000));
    return new ServiceUnavailableError(
      `The query ran past its ${seconds} s limit and was stopped; ask for fewer days, filters that select less, or fewer dimensions`,
      STATEMENT_TIMEOUT_RETRY_AFTER_SECONDS,
      { reason: 'statement_timeout', limit_seconds: seconds },
    );
  }
  return err;
}

export function createDatabase(config: DatabaseConfig, tuning: PoolTuning = {}): Database {
  const pool = new pg.Pool(poolConfig(config, tuning));
  // A client that loses its server (restart, failover, `npm start`'s Ctrl-C stopping PostgreSQL: 57P01) must
  // not crash the process. The pool listens on idle clients only; a checked-out client between two queries
  // has no listener, and its 'error' would be unhandled. A query in flight still rejects as usual.
  pool.on('error', () => {});
  pool.on('connect', (client) => client.on('error', () => {}));
  // Column names are renamed (snake_case in SQL, camelCase in TypeScript); the keys inside jsonb values are not:
  // a data source's extraction_config, a schedule or audit details come back exactly as they were stored.
  const kysely = new Kysely<DB>({
    dialect: new PostgresDialect({ pool }),
    plugins: [new CamelCasePlugin({ maintainNestedObjectKeys: true })],
  });

  return {
    pool,
    kysely,
    transaction: (ctx, fn) => {
      let connected = false;
      return kysely
        .transaction()
        .execute(async (trx) => {
          connected = true;
          const [role, orgId, userId, timeout] = contextStatements(ctx).values;
          await sql`SELECT set_config('role', ${role}, true), set_config('tributary.org_id', ${orgId}, true), set_config('tributary.user_id', ${userId}, true), set_config('statement_timeout', ${timeout}, true)`.execute(
            trx,
          );
          return fn(trx);
        })
        .catch((err: unknown) => Promise.reject(connected ? stopped(err, timeoutOf(ctx)) : busy(err)));
    },
    withClient: async (ctx, fn) => {
      const client = await pool.connect().catch((err: unknown) => Promise.reject(busy(err)));
      let result: Awaited<ReturnType<typeof fn>>;
      try {
        await client.query('BEGIN');
        const { text, values } = contextStatements(ctx);
        await client.query(text, values);
        result = await fn(client);
        await client.query('COMMIT');
      } catch (err) {
        if (mustDiscard(err)) {
          client.release(err instanceof Error ? err : true);
          throw err;
        }
        await client.query('ROLLBACK').catch(() => {});
        client.release();
        throw stopped(err, timeoutOf(ctx));
      }
      client.release();
      return result;
    },
    // Kysely ends the pool only if a Kysely query ever ran (it takes the pool on first use); a process that
    // used only `pool` (the fact loader, COPY) would keep its idle connections, and stay alive, for 30 s.
    close: async () => {
      await kysely.destroy();
      if (!pool.ending) await pool.end();
    },
  };
}
