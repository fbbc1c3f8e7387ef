// What the tests of loads racing deletion, retention and partition creation share: a database per test file,
// a superuser query for arranging and reading rows, a seeded data source as the loader's target, and loads whose
// batches arrive slowly or wait for a signal, so that the other side of the race starts while a load holds its locks.
import pg from 'pg';
import { afterAll, beforeAll } from 'vitest';
import type { FactRow } from '../domain/fact-row';
import { seedDataSource, type SeededSource } from '../testing/seed';
import { createTestDatabase, type TestDatabase } from '../testing/test-database';

export interface RaceDatabase {
  /** the test file's database (set in beforeAll) */
  readonly t: TestDatabase;
  /** one statement as the superuser, on a connection of its own */
  admin<T extends pg.QueryResultRow>(text: string, values?: unknown[]): Promise<T[]>;
  /** a new organization, project and data source, and the loader's target for that source */
  seedTarget(): Promise<{ src: SeededSource; target: LoadTarget }>;
}

export interface LoadTarget {
  organizationId: string;
  projectId: string;
  dataSourceId: string;
  platform: string;
}

/** Creates the test file's database before its tests and drops it after them. */
export function raceDatabase(): RaceDatabase {
  let t: TestDatabase | undefined;
  beforeAll(async () => {
    t = await createTestDatabase();
  });
  afterAll(async () => {
    await t?.drop();
  });
  const db = () => {
    if (!t) throw new Error('the race database exists from beforeAll on');
    return t;
  };
  return {
    get t() {
      return db();
    },
    async admin<T extends pg.QueryResultRow>(text: string, values: unknown[] = []) {
      const c = new pg.Client({ connectionString: db().adminUrl });
      await c.connect();
      try {
        return (await c.query<T>(text, values)).rows;
      } finally {
        await c.end();
      }
    },
    async seedTarget() {
      const src = await seedDataSource(db().adminUrl, { platform: 'google_ads' });
      const target = {
        organizationId: src.organizationId,
        projectId: src.projectId,
        dataSourceId: src.dataSourceId,
        platform: 'google_ads',
      };
      return { src, target };
    },
  };
}

/** The batches a few ms apart; `meanwhile` starts when the second is asked for, while the load holds its locks. */
export async function* slowBatches(
  batches: readonly FactRow[][],
  meanwhile: () => void,
  pauseMs: number,
): AsyncGenerator<FactRow[]> {
  for (const [i, b] of batches.entries()) {
    if (i === 1) meanwhile();
    await new Promise((r) => setTimeout(r, pauseMs));
    yield b;
  }
}

/**
 * A load's batches that stop after the first until `release` is called: `held` resolves once the load has
 * taken its locks and asked for more.
 */
export function heldBatches(batches: readonly FactRow[][]): {
  batches: AsyncGenerator<FactRow[]>;
  held: Promise<void>;
  release(): void;
} {
  let release!: () => void;
  const released = new Promise<void>((r) => (release = r));
  let holding!: () => void;
  const held = new Promise<void>((r) => (holding = r));
  async function* gen(): AsyncGenerator<FactRow[]> {
    yield batches[0]!;
    holding();
    await released;
    yield* batches.slice(1);
  }
  return { batches: gen(), held, release };
}
