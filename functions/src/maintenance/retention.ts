// Retention: facts age from the hot table to the warm archive to compressed files in S3, and come back.
//
//   hot  (extracted_data)   the last `hot_retention_days` (default 90): what extraction writes
//   warm (archived_data)    older, up to `archive_retention_days` (default 2 years): still queried, through
//                           the `facts` view, by the data API and the webhooks
//   cold (S3)               older still: one gzipped NDJSON object per project and month, with an
//                           archive_manifests row (where, how many rows, SHA-256)
//
// Every move is checked before the source rows go: hot → warm moves and counts in one statement, comparing
// row count and a checksum of what left and what arrived; warm → cold re-reads the stored object and
// compares its checksum and line count, and the DELETE must remove exactly as many rows as were written.
// A mismatch rolls the transaction back and leaves the rows where they were.
import { createHash } from 'node:crypto';
import { PassThrough, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip, gunzipSync } from 'node:zlib';
import { to as copyTo } from 'pg-copy-streams';
import type { Database } from '@tributary/shared/db/database';
import { ensureMonthPartitionsOf } from '@tributary/shared/facts/month-partitions';
import type { BlobStore } from '@tributary/shared/ports/blob-store';

export class RetentionCheckError extends Error {
  constructor(
    message: string,
    readonly details: Record<string, unknown>,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

const FACT_COLUMNS = [
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
].join(', ');
const UPDATE_ALL = FACT_COLUMNS.split(', ')
  .map((c) => `${c} = excluded.${c}`)
  .join(', ');

export interface ProjectRef {
  organizationId: string;
  projectId: string;
}

export interface WarmMove {
  month: string;
  rows: number;
}

/** Moves a project's hot facts dated before `before` into the warm archive, a month per transaction. */
export async function moveToWarmArchive(db: Database, project: ProjectRef, before: string): Promise<WarmMove[]> {
  const months = await db.withClient({ role: 'loader', orgId: project.organizationId }, async (c) =>
    (
      await c.query<{ m: string }>(
        `SELECT DISTINCT to_char(date_trunc('month', data_date), 'YYYY-MM-DD') AS m FROM extracted_data WHERE project_id = $1 AND data_date < $2 ORDER BY 1`,
        [project.projectId, before],
      )
    ).rows.map((r) => r.m),
  );
  const moved: WarmMove[] = [];
  for (const month of months) {
    // first, in a short transaction of its own: created inside the move, the partition's lock on the archive's
    // default partition would stop every reader of the facts while the move waits for a running load
    await ensureMonthPartitionsOf(db, { role: 'loader', orgId: project.organizationId }, 'archived_data', month, month);
    const rows = await db.withClient({ role: 'loader', orgId: project.organizationId }, async (c) => {
      // the loader's exclusive lock on each of the project's data sources (fact-loader.ts, lockLoad), in id
      // order: a load in progress finishes first, so its restated rows are moved rather than missed
      await c.query(
        `SELECT count(pg_advisory_xact_lock(hashtextextended(id::text, 7))) FROM (SELECT id FROM data_sources WHERE project_id = $1 ORDER BY id) AS s`,
        [project.projectId],
      );
      const r = await c.query<{ moved: string; archived: string; moved_sum: string; archived_sum: string }>(
        `WITH moved AS (
           DELETE FROM extracted_data
           WHERE project_id = $1 AND data_date >= $2::date AND data_date < least(($2::date + interval '1 month')::date, $3::date)
           RETURNING ${FACT_COLUMNS}
         ), arrived AS (
           INSERT INTO archived_data (${FACT_COLUMNS}) SELECT ${FACT_COLUMNS} FROM moved
           ON CONFLICT ON CONSTRAINT archived_data_natural_key DO UPDATE SET ${UPDATE_ALL}, archived_at = now()
           RETURNING row_key, content_hash
         )
         SELECT (SELECT count(*) FROM moved)::text AS moved, (SELECT count(*) FROM arrived)::text AS archived,
                (SELECT coalesce(sum(row_key::numeric + content_hash::numeric), 0) FROM moved)::text AS moved_sum,
                (SELECT coalesce(sum(row_key::numeric + content_hash::numeric), 0) FROM arrived)::text AS archived_sum`,
        [project.projectId, month, before],
      );
      const check = r.rows[0]!;
      if (check.moved !== check.archived || check.moved_sum !== check.archived_sum) {
        throw new RetentionCheckError('hot to warm move did not balance; nothing was moved', { month, ...check });
      }
      return Number(check.moved);
    });
    if (rows > 0) moved.push({ month: month.slice(0, 7), rows });
  }
  return moved;
}

export interface ColdArchive {
  manifestId: string;
  month: string;
  objectKey: string;
  rows: number;
  bytes: number;
  checksumSha256: string;
}

/**
 * Writes one month of a project's warm facts to the object store as gzipped NDJSON (one row_to_json object
 * a line, the table's own column names), checks the stored object, records a manifest and deletes the rows.
 */
export async function archiveMonthToObjectStore(
  db: Database,
  blobs: BlobStore,
  bucket: string,
  project: ProjectRef,
  month: string,
): Promise<ColdArchive | null> {
  // COPY takes no parameters, so what goes into its text is checked to be exactly a uuid and a month
  if (!/^\d{4}-(0[1-9]|1[0-2])(-01)?$/.test(month)) throw new RangeError(`month must be YYYY-MM, got "${month}"`);
  if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(project.projectId))
    throw new RangeError('projectId must be a uuid');
  const start = `${month.slice(0, 7)}-01`;
  return db.withClient({ role: 'loader', orgId: project.organizationId }, async (c) => {
    // one archiver per project at a time; a second one waits and then finds nothing left to do
    await c.query(`SELECT pg_advisory_xact_lock(hashtextextended('retention:' || $1, 11))`, [project.projectId]);
    const manifestId = (await c.query<{ id: string }>(`SELECT gen_random_uuid() AS id`)).rows[0]!.id;
    const objectKey = `archive/${project.organizationId}/${project.projectId}/${month.slice(0, 7)}/${manifestId}.ndjson.gz`;

    // PostgreSQL writes the NDJSON itself: CSV with delimiter and quote bytes that JSON text never holds
    // copies each row_to_json line through untouched (text COPY would escape its backslashes).
    const where = `project_id = '${project.projectId}'::uuid AND data_date >= '${start}'::date AND data_date < ('${start}'::date + interval '1 month')`;
    const source = c.query(
      copyTo(
        `COPY (SELECT row_to_json(a) FROM (SELECT ${FACT_COLUMNS} FROM archived_data WHERE ${where} ORDER BY data_source_id, data_type, data_date, row_key) a) TO STDOUT WITH (FORMAT csv, DELIMITER E'\\x01', QUOTE E'\\x02')`,
      ),
    );
    let rows = 0;
    let bytes = 0;
    const sha = createHash('sha256');
    const countLines = new Transform({
      transform(chunk: Buffer, _enc, done) {
        for (let i = chunk.indexOf(10); i !== -1; i = chunk.indexOf(10, i + 1)) rows++;
        done(null, chunk);
      },
    });
    const measure = new Transform({
      transform(chunk: Buffer, _enc, done) {
        sha.update(chunk);
        bytes += chunk.length;
        done(null, chunk);
      },
    });
    const body = new PassThrough();
    const upload = blobs.put(bucket, objectKey, body, {
      contentType: 'application/x-ndjson',
      contentEncoding: 'gzip',
      metadata: { 'tributary-project': project.projectId, 'tributary-month': month.slice(0, 7) },
    });
    await Promise.all([pipeline(source, countLines, createGzip({ level: 6 }), measure, body), upload]);
    if (rows === 0) {
      await blobs.delete(bucket, objectKey);
      return null;
    }
    const checksum = sha.digest('hex');

    try {
      // the stored object must be byte-for-byte what was written, and hold every row
      const stored = await blobs.get(bucket, objectKey);
      const storedChecksum = createHash('sha256').update(stored).digest('hex');
      const storedRows = countNewlines(gunzipSync(stored));
      if (storedChecksum !== checksum || storedRows !== rows) {
        throw new RetentionCheckError('the archived object does not match what was written; rows kept', {
          month,
          objectKey,
          rows,
          storedRows,
          checksum,
          storedChecksum,
        });
      }
      const deleted = await c.query(`DELETE FROM archived_data WHERE ${where}`);
      if (deleted.rowCount !== rows) {
        throw new RetentionCheckError('rows changed while the month was archived; rows kept', {
          month,
          objectKey,
          rows,
          deleted: deleted.rowCount,
        });
      }
      await c.query(
        `INSERT INTO archive_manifests (id, organization_id, project_id, range_start, range_end, bucket, object_key, row_count, byte_size, checksum_sha256)
         VALUES ($1, $2, $3, $4::date, ($4::date + interval '1 month' - interval '1 day')::date, $5, $6, $7, $8, $9)`,
        [manifestId, project.organizationId, project.projectId, start, bucket, objectKey, rows, bytes, checksum],
      );
    } catch (err) {
      await blobs.delete(bucket, objectKey).catch(() => {});
      throw err;
    }
    return { manifestId, month: month.slice(0, 7), objectKey, rows, bytes, checksumSha256: checksum };
  });
}

export interface RestoredArchive {
  manifestId: string;
  month: string;
  rows: number;
  /** rows already present (a newer extraction of the same key): kept, not overwritten */
  alreadyPresent: number;
}

/**
 * Brings every cold month overlapping [start, end] back into the warm archive, after checking each object
 * against its manifest. A restored month is marked so that the daily job leaves it warm; its object is
 * deleted once the restore has committed.
 */
export async function restoreFromObjectStore(
  db: Database,
  blobs: BlobStore,
  project: ProjectRef,
  range: { start: string; end: string },
): Promise<RestoredArchive[]> {
  const manifests = await db.withClient(
    { role: 'loader', orgId: project.organizationId },
    async (c) =>
      (
        await c.query<{
          id: string;
          range_start: string;
          bucket: string;
          object_key: string;
          row_count: string;
          checksum_sha256: string;
        }>(
          `SELECT id, range_start::text, bucket, object_key, row_count::text, checksum_sha256 FROM archive_manifests
       WHERE project_id = $1 AND status = 'archived' AND range_start <= $3::date AND range_end >= $2::date ORDER BY range_start`,
          [project.projectId, range.start, range.end],
        )
      ).rows,
  );
  const restored: RestoredArchive[] = [];
  for (const m of manifests) {
    const stored = await blobs.get(m.bucket, m.object_key);
    const checksum = createHash('sha256').update(stored).digest('hex');
    if (checksum !== m.checksum_sha256) {
      throw new RetentionCheckError('the archived object does not match its manifest; nothing restored', {
        manifestId: m.id,
        objectKey: m.object_key,
        expected: m.checksum_sha256,
        actual: checksum,
      });
    }
    const lines = gunzipSync(stored)
      .toString('utf8')
      .split('\n')
      .filter((l) => l.length > 0);
    if (lines.length !== Number(m.row_count)) {
      throw new RetentionCheckError(
        'the archived object holds a different number of rows than its manifest; nothing restored',
        { manifestId: m.id, expected: Number(m.row_count), actual: lines.length },
      );
    }
    const loader = { role: 'loader', orgId: project.organizationId } as const;
    await ensureMonthPartitionsOf(db, loader, 'archived_data', m.range_start, m.range_start);
    const result = await db.withClient(loader, async (c) => {
      let inserted = 0;
      for (let i = 0; i < lines.length; i += 5_000) {
        const r = await c.query(
          `INSERT INTO archived_data (${FACT_COLUMNS})
           SELECT ${FACT_COLUMNS} FROM json_populate_recordset(null::archived_data, $1::json)
           WHERE project_id = $2
           ON CONFLICT ON CONSTRAINT archived_data_natural_key DO NOTHING`,
          [`[${lines.slice(i, i + 5_000).join(',')}]`, project.projectId],
        );
        inserted += r.rowCount ?? 0;
      }
      await c.query(`UPDATE archive_manifests SET status = 'restored', restored_at = now() WHERE id = $1`, [m.id]);
      return inserted;
    });
    await blobs.delete(m.bucket, m.object_key).catch(() => {}); // the rows are back; a leftover object is only waste
    restored.push({
      manifestId: m.id,
      month: m.range_start.slice(0, 7),
      rows: result,
      alreadyPresent: lines.length - result,
    });
  }
  return restored;
}

export interface RetentionRun {
  projects: number;
  warm: (WarmMove & { projectId: string })[];
  cold: (ColdArchive & { projectId: string })[];
}

/** The daily job: every project's hot facts past its hot window go warm, warm months past its archive window go cold. */
export async function runRetention(
  db: Database,
  blobs: BlobStore,
  options: { bucket: string; today: string },
): Promise<RetentionRun> {
  const projects = await db.withClient(
    { role: 'loader' },
    async (c) =>
      (
        await c.query<{ id: string; organization_id: string; hot_before: string; cold_before: string }>(
          `SELECT id, organization_id, ($1::date - hot_retention_days)::text AS hot_before, ($1::date - archive_retention_days)::text AS cold_before FROM projects ORDER BY id`,
          [options.today],
        )
      ).rows,
  );
  const run: RetentionRun = { projects: projects.length, warm: [], cold: [] };
  for (const p of projects) {
    const ref = { organizationId: p.organization_id, projectId: p.id };
    for (const w of await moveToWarmArchive(db, ref, p.hot_before)) run.warm.push({ ...w, projectId: p.id });
    // whole months only, and never a month the user asked to have back
    const months = await db.withClient({ role: 'loader', orgId: p.organization_id }, async (c) =>
      (
        await c.query<{ m: string }>(
          `SELECT DISTINCT to_char(date_trunc('month', data_date), 'YYYY-MM') AS m FROM archived_data a
         WHERE project_id = $1 AND data_date < date_trunc('month', $2::date)
           AND NOT EXISTS (SELECT 1 FROM archive_manifests x WHERE x.project_id = a.project_id AND x.status = 'restored'
                             AND x.range_start = date_trunc('month', a.data_date)::date)
         ORDER BY 1`,
          [p.id, p.cold_before],
        )
      ).rows.map((r) => r.m),
    );
    for (const month of months) {
      const archived = await archiveMonthToObjectStore(db, blobs, options.bucket, ref, month);
      if (archived) run.cold.push({ ...archived, projectId: p.id });
    }
  }
  return run;
}

function countNewlines(buf: Buffer): number {
  let n = 0;
  for (let i = buf.indexOf(10); i !== -1; i = buf.indexOf(10, i + 1)) n++;
  return n;
}
