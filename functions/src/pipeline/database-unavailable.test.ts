// A window whose database went away for a moment (a terminated backend, a server that is not there) is run
// again by the state machine's Retry rather than failed: the worker names the error DatabaseUnavailable and
// the definition retries that name. Found by the reliability faults figure, where a terminated loader left
// its run partial until the next schedule.
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '@tributary/shared/local/embedded-postgres';
import { createTestDatabase, type TestDatabase } from '@tributary/shared/testing/test-database';
import { EXTRACTION_DEFINITION } from '@tributary/shared/workflow/extraction-definition';
import { DatabaseUnavailableError, isDatabaseUnavailable } from './worker';

let t: TestDatabase;

beforeAll(async () => {
  t = await createTestDatabase();
});

afterAll(async () => {
  await t?.drop();
});

/** the errors the Extract state retries, from the definition itself */
function extractRetries(): string[] {
  const definition = JSON.parse(EXTRACTION_DEFINITION) as {
    States: Record<string, { ItemProcessor?: { States: Record<string, { Retry?: { ErrorEquals: string[] }[] }> } }>;
  };
  const map = Object.values(definition.States).find((s) => s.ItemProcessor)!;
  return (map.ItemProcessor!.States.Extract!.Retry ?? []).flatMap((r) => r.ErrorEquals);
}

describe('a database that goes away during a window', () => {
  it("when the loader's backend is terminated mid-transaction, the error is DatabaseUnavailable and Extract retries it", async () => {
    const loader = new pg.Client({ connectionString: (t.config as { url: string }).url });
    loader.on('error', () => {});
    await loader.connect();
    const admin = new pg.Client({ connectionString: t.adminUrl });
    await admin.connect();
    let error: unknown;
    let after: unknown;
    try {
      await loader.query('BEGIN');
      const pid = (await loader.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
      // in the middle of a statement, as a COPY of the loader would be
      const running = loader.query('SELECT pg_sleep(30)').then(
        () => null,
        (e: unknown) => e,
      );
      await new Promise((r) => setTimeout(r, 100));
      await admin.query('SELECT pg_terminate_backend($1)', [pid]);
      error = await running;
      // and the next statement on the broken client
      after = await loader.query('SELECT 1').then(
        () => null,
        (e: unknown) => e,
      );
    } finally {
      await admin.end();
      await loader.end().catch(() => {});
    }
    expect(error).toBeInstanceOf(Error);
    expect(isDatabaseUnavailable(error)).toBe(true);
    expect(isDatabaseUnavailable(after)).toBe(true);
    expect(extractRetries()).toContain(new DatabaseUnavailableError(error).name);
  });

  it('when the server is not there, the error is DatabaseUnavailable; a query the database refuses is not', async () => {
    const gone = new pg.Client({ connectionString: `postgres://x:y@127.0.0.1:${await freePort()}/none` });
    const refused = await gone.connect().then(
      () => null,
      (e: unknown) => e,
    );
    expect(isDatabaseUnavailable(refused)).toBe(true);
    const bad = await t.db
      .withClient({ role: 'app' }, (c) => c.query('SELECT 1/0'))
      .then(
        () => null,
        (e: unknown) => e,
      );
    expect(isDatabaseUnavailable(bad)).toBe(false);
  });
});
