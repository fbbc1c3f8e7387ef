// The facts' tiers (extracted_data → archived_data → archive_manifests): plain functions over a Kysely
// transaction as the loader role (retention moves rows across the tables RLS would hide), and, for the month
// written to the object store, over the pg connection whose COPY streams it out. The set-based moves stay
// one statement each: a month moves and is counted in the same statement that checks it.
import { sql, type Transaction } from 'kysely';
import type pg from 'pg';
import { to as copyTo, type CopyToStreamQuery } from 'pg-copy-streams';
import type { DB } from '@tributary/shared/db/schema';

type Trx = Transaction<DB>;

const FACT_COLUMN_NAMES = [
  'organization_id',
  'project_id',
  'data_source_id',
  'platform',
  'data_type',
  'data_date',
  'account_id',
  'account_name',
  'campaign_id',
  'campaign_name',
  'ad_group_id',
  'ad_group_name',
  'ad_id',
  'ad_name',
  'extra_dimensions',
  'impressions',
  'clicks',
  'cost',
  'conversions',
  'revenue',
  'currency',
  'extra_metrics',
  'row_key',
  'content_hash',
  'extraction_job_id',
  'updated_at',
] as const;
const FACT_COLUMNS = FACT_COLUMN_NAMES.join(', ');
const UPDATE_ALL = FACT_COLUMN_NAMES.map((c) => `${c} = excluded.${c}`).join(', ');

/** Loader role: every project, with the days before which its facts leave the hot table and the warm archive. */
export async function projectsDueForRetention(
  trx: Trx,
  today: string,
): Promise<{ id: string; organizationId: string; hotBefore: string; coldBefore: string }[]> {
  return trx
    .selectFrom('projects')
    .select([
      'id',
      'organizationId',
      sql<string>`(${today}::date - hot_retention_days)::text`.as('hotBefore'),
      sql<string>`(${today}::date - archive_retention_days)::text`.as('coldBefore'),
    ])
    .orderBy('id')
    .execute();
}

/** The first days (YYYY-MM-DD) of the months holding hot facts of the project dated before `before`. */
export async function hotMonthsBefore(trx: Trx, projectId: string, before: string): Promise<string[]> {
  const rows = await trx
    .selectFrom('extractedData')
    .select(sql<string>`to_char(date_trunc('month', data_date), 'YYYY-MM-DD')`.as('m'))
    .distinct()
    .where('projectId', '=', projectId)
    .where('dataDate', '<', before)
    .orderBy('m')
    .execute();
  return rows.map((r) => r.m);
}

/**
 * The months (YYYY-MM) of warm facts before the month of `before`, leaving out any month the user asked to
 * have back (a restored manifest).
 */
export async function warmMonthsBefore(trx: Trx, projectId: string, before: string): Promise<string[]> {
  const rows = await trx
    .selectFrom('archivedData as a')
    .select(sql<string>`to_char(date_trunc('month', a.data_date), 'YYYY-MM')`.as('m'))
    .distinct()
    .where('a.projectId', '=', projectId)
    .where('a.dataDate', '<', sql<string>`date_trunc('month', ${before}::date)`)
    .where(({ not, exists, selectFrom }) =>
      not(
        exists(
          selectFrom('archiveManifests as x')
            .select(sql`1`.as('one'))
            .whereRef('x.projectId', '=', 'a.projectId')
            .where('x.status', '=', 'restored')
            .where('x.rangeStart', '=', sql<string>`date_trunc('month', a.data_date)::date`),
        ),
      ),
    )
    .orderBy('m')
    .execute();
  return rows.map((r) => r.m);
}

/**
 * The loader's exclusive lock on each of the project's data sources (fact-loader.ts, lockLoad), in id order:
 * a load in progress finishes first, so its restated rows are moved rather than missed.
 */
export async function lockProjectSourcesLikeTheLoader(trx: Trx, projectId: string): Promise<void> {
  await sql`SELECT count(pg_advisory_xact_lock(hashtextextended(id::text, 7)))
    FROM (SELECT id FROM data_sources WHERE project_id = ${projectId} ORDER BY id) AS s`.execute(trx);
}

export interface WarmMoveCheck {
  moved: string;
  archived: string;
  movedSum: string;
  archivedSum: string;
}

/**
 * Moves one month of hot facts (dated before `before`) into the warm archive and counts, in the same
 * statement, what left and what arrived: row count and a checksum of the keys and content hashes.
 */
export async function moveMonthToWarm(
  trx: Trx,
  projectId: string,
  month: string,
  before: string,
): Promise<WarmMoveCheck> {
  const columns = sql.raw(FACT_COLUMNS);
  const result = await sql<WarmMoveCheck>`WITH moved AS (
      DELETE FROM extracted_data
      WHERE project_id = ${projectId} AND data_date >= ${month}::date
        AND data_date < least((${month}::date + interval '1 month')::date, ${before}::date)
      RETURNING ${columns}
    ), arrived AS (
      INSERT INTO archived_data (${columns}) SELECT ${columns} FROM moved
      ON CONFLICT ON CONSTRAINT archived_data_natural_key DO UPDATE SET ${sql.raw(UPDATE_ALL)}, archived_at = now()
      RETURNING row_key, content_hash
    )
    SELECT (SELECT count(*) FROM moved)::text AS moved, (SELECT count(*) FROM arrived)::text AS archived,
           (SELECT coalesce(sum(row_key::numeric + content_hash::numeric), 0) FROM moved)::text AS moved_sum,
           (SELECT coalesce(sum(row_key::numeric + content_hash::numeric), 0) FROM arrived)::text AS archived_sum`.execute(
    trx,
  );
  return result.rows[0]!;
}

export async function manifestsToRestore(
  trx: Trx,
  projectId: string,
  range: { start: string; end: string },
): Promise<
  { id: string; rangeStart: string; bucket: string; objectKey: string; rowCount: string; checksum: string }[]
> {
  return trx
    .selectFrom('archiveManifests')
    .select([
      'id',
      'rangeStart',
      'bucket',
      'objectKey',
      sql<string>`row_count::text`.as('rowCount'),
      'checksumSha256 as checksum',
    ])
    .where('projectId', '=', projectId)
    .where('status', '=', 'archived')
    .where('rangeStart', '<=', range.end)
    .where('rangeEnd', '>=', range.start)
    .orderBy('rangeStart')
    .execute();
}

/**
 * Puts archived NDJSON lines (row_to_json of archived_data, the table's own column names) back into the warm
 * archive; a key already there (a newer extraction) is kept. Returns how many rows went in.
 */
export async function insertArchivedLines(trx: Trx, projectId: string, lines: readonly string[]): Promise<number> {
  const columns = sql.raw(FACT_COLUMNS);
  const result = await sql`INSERT INTO archived_data (${columns})
    SELECT ${columns} FROM json_populate_recordset(null::archived_data, ${`[${lines.join(',')}]`}::json)
    WHERE project_id = ${projectId}
    ON CONFLICT ON CONSTRAINT archived_data_natural_key DO NOTHING`.execute(trx);
  return Number(result.numAffectedRows ?? 0n);
}

export async function markManifestRestored(trx: Trx, manifestId: string): Promise<void> {
  await trx
    .updateTable('archiveManifests')
    .set({ status: 'restored', restoredAt: sql<Date>`now()` })
    .where('id', '=', manifestId)
    .execute();
}

// ---- one month to the object store: over the pg connection, whose COPY streams the rows out

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const MONTH_START = /^\d{4}-(0[1-9]|1[0-2])-01$/;

/** COPY takes no parameters, so what goes into its text is checked to be exactly a uuid and a month's first day. */
function warmMonthWhere(projectId: string, start: string): string {
  if (!UUID.test(projectId)) throw new RangeError('projectId must be a uuid');
  if (!MONTH_START.test(start)) throw new RangeError(`month must start on its first day, got "${start}"`);
  return `project_id = '${projectId}'::uuid AND data_date >= '${start}'::date AND data_date < ('${start}'::date + interval '1 month')`;
}

/** One archiver per project at a time; a second one waits and then finds nothing left to do. */
export async function lockProjectArchiver(c: pg.PoolClient, projectId: string): Promise<void> {
  await c.query(`SELECT pg_advisory_xact_lock(hashtextextended('retention:' || $1, 11))`, [projectId]);
}

export async function newManifestId(c: pg.PoolClient): Promise<string> {
  return (await c.query<{ id: string }>(`SELECT gen_random_uuid() AS id`)).rows[0]!.id;
}

/**
 * The month's warm rows as NDJSON, streamed as PostgreSQL writes it: CSV with delimiter and quote bytes that
 * JSON text never holds copies each row_to_json line through untouched (text COPY would escape backslashes).
 */
export function copyWarmMonthOut(c: pg.PoolClient, projectId: string, start: string): CopyToStreamQuery {
  const where = warmMonthWhere(projectId, start);
  return c.query(
    copyTo(
      `COPY (SELECT row_to_json(a) FROM (SELECT ${FACT_COLUMNS} FROM archived_data WHERE ${where} ORDER BY data_source_id, data_type, data_date, row_key) a) TO STDOUT WITH (FORMAT csv, DELIMITER E'\\x01', QUOTE E'\\x02')`,
    ),
  );
}

export async function deleteWarmMonth(c: pg.PoolClient, projectId: string, start: string): Promise<number> {
  return (await c.query(`DELETE FROM archived_data WHERE ${warmMonthWhere(projectId, start)}`)).rowCount ?? 0;
}

export async function insertManifest(
  c: pg.PoolClient,
  m: {
    id: string;
    organizationId: string;
    projectId: string;
    monthStart: string;
    bucket: string;
    objectKey: string;
    rows: number;
    bytes: number;
    checksumSha256: string;
  },
): Promise<void> {
  await c.query(
    `INSERT INTO archive_manifests (id, organization_id, project_id, range_start, range_end, bucket, object_key, row_count, byte_size, checksum_sha256)
     VALUES ($1, $2, $3, $4::date, ($4::date + interval '1 month' - interval '1 day')::date, $5, $6, $7, $8, $9)`,
    [m.id, m.organizationId, m.projectId, m.monthStart, m.bucket, m.objectKey, m.rows, m.bytes, m.checksumSha256],
  );
}
