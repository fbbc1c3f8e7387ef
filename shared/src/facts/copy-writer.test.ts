// The COPY writer against the real (embedded) PostgreSQL: rows arrive byte for byte with the load's columns,
// a row longer than a chunk gets a chunk of its own, and a statement queued on the connection ends the open
// COPY first (seeing every row sent so far), after which the writer opens a new one.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type pg from 'pg';
import { contextStatements } from '../db/database';
import type { FactRow } from '../domain/fact-row';
import { seedDataSource, type SeededSource } from '../testing/seed';
import { createTestDatabase, type TestDatabase } from '../testing/test-database';
import { CopyWriter } from './copy-writer';
import { encodeFacts, encodeFactsToTransfer, receiveFactBatch, type FactBatch } from './fact-encoder';
import { LoadConnection } from './load-connection';
import { syntheticFacts } from './synthetic-facts';

let t: TestDatabase;
beforeAll(async () => {
  t = await createTestDatabase();
});
afterAll(async () => {
  await t?.drop();
});

const columns = (s: SeededSource) =>
  Buffer.from(`\t${s.organizationId}\t${s.projectId}\t${s.dataSourceId}\t${s.platform}\t\\N\n`);

/** a writer on a connection in the loader's role; its transaction commits if `use` succeeds */
async function withWriter(
  s: SeededSource,
  use: (writer: CopyWriter, conn: LoadConnection) => Promise<void>,
): Promise<void> {
  const client: pg.PoolClient = await t.db.pool.connect();
  let ok = false;
  try {
    await client.query('BEGIN');
    const ctx = contextStatements({ role: 'loader', orgId: s.organizationId });
    await client.query(ctx.text, ctx.values);
    const conn = new LoadConnection(client);
    await use(new CopyWriter(conn, columns(s)), conn);
    await conn.idle();
    await client.query('COMMIT');
    ok = true;
  } finally {
    if (!ok) await client.query('ROLLBACK').catch(() => {});
    client.release(!ok);
  }
}

async function appendAll(writer: CopyWriter, batch: FactBatch): Promise<void> {
  for (let i = 0; i < batch.count; i++) {
    const wait = writer.append(batch, i);
    if (wait) await wait;
  }
}

const stored = async (s: SeededSource) =>
  await t.db.transaction({ orgId: s.organizationId }, (trx) =>
    trx
      .selectFrom('extractedData')
      .select(['campaignName', 'extraMetrics', 'platform', 'projectId'])
      .orderBy('campaignName')
      .execute(),
  );

describe('COPY writer', () => {
  it("when rows of both encodings are appended, each arrives byte for byte with the load's columns, a huge one too", async () => {
    const s = await seedDataSource(t.adminUrl);
    const names = ['Rebajas – Navidad 🎄', '夏季促销', 'tab\there', 'back\\slash\nnew line'];
    const rows: FactRow[] = Array.from({ length: 2_000 }, (_, i) => ({
      dataType: 'campaign_daily',
      date: '2026-10-03',
      campaignId: `c${i}`,
      campaignName: `${names[i % 4]} ${String(i).padStart(4, '0')}`,
      clicks: i,
      extraMetrics: i === 777 ? { note: `${'x'.repeat(400_000)}€` } : { n: i },
    }));
    await withWriter(s, async (writer) => {
      await appendAll(writer, encodeFacts(rows.slice(0, 1_000)));
      await appendAll(writer, receiveFactBatch(encodeFactsToTransfer(rows.slice(1_000))));
      await writer.finish();
      expect(writer.rows).toBe(2_000);
    });
    const back = await stored(s);
    expect(back.length).toBe(2_000);
    const sorted = [...rows].sort((a, b) => (a.campaignName! < b.campaignName! ? -1 : 1));
    expect(back.map((r) => [r.campaignName, r.extraMetrics])).toEqual(
      sorted.map((r) => [r.campaignName, r.extraMetrics]),
    );
    expect(new Set(back.map((r) => `${r.platform} ${r.projectId}`))).toEqual(new Set([`${s.platform} ${s.projectId}`]));
  });

  it('when another statement is queued mid-load, the open COPY ends first and the writer opens a new one after', async () => {
    const s = await seedDataSource(t.adminUrl);
    const batches = [...syntheticFacts({ days: 4, rowsPerDay: 1_500, startDate: '2026-06-01' })].map(encodeFacts);
    const seen: number[] = [];
    await withWriter(s, async (writer, conn) => {
      await appendAll(writer, batches[0]!); // 5,000 rows: several chunks went out, the COPY is open
      const count = () =>
        conn.run(async (c) =>
          Number(
            (await c.query(`SELECT count(*) FROM extracted_data WHERE data_source_id = $1`, [s.dataSourceId])).rows[0]
              .count,
          ),
        );
      seen.push(await count());
      await appendAll(writer, batches[1]!);
      await writer.finish();
      seen.push(await count());
    });
    // the first count sees what was sent before it (whole chunks), the last one every row
    expect(seen[0]).toBeGreaterThan(3_000);
    expect(seen[0]).toBeLessThan(5_000);
    expect(seen[1]).toBe(6_000);
  });
});
