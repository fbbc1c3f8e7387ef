// dynalite: DynamoDB's API on loopback, persisted in LevelDB under .tributary/. Used by the local runner
// and by tests; creates the key-value table the way infra/ does (partition key pk, TTL on expiresAt).
import dynalite from 'dynalite';
import type { Server } from 'node:http';
import { ensureDynamoDbTables } from '../adapters/dynamodb-tables';
import { assertPortFree } from './embedded-postgres';

import { LOCAL_AWS_CREDENTIALS } from './stand-in-credentials';
export { LOCAL_AWS_CREDENTIALS };

export interface DynaliteHandle {
  endpoint: string;
  stop(): Promise<void>;
}

export async function startDynalite(opts: { port: number; path?: string; tables: string[] }): Promise<DynaliteHandle> {
  await assertPortFree(opts.port, 'dynalite (local DynamoDB)');
  const server: Server = dynalite({ path: opts.path, createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, '127.0.0.1', () => resolve());
  });
  const endpoint = `http://127.0.0.1:${opts.port}`;
  await ensureDynamoDbTables(
    endpoint,
    opts.tables.map((name) => ({ name })),
  );
  return { endpoint, stop: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}
