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
import type { Database } from '@tributary/shared/db/database';
import { ensureMonthPartitionsOf } from '@tributary/shared/facts/month-partitions';
import type { BlobStore } from '@tributary/shared/ports/blob-store';
import {
  copyWarmMonthOut,
  deleteWarmMonth,
  hotMonthsBefore,
  insertArchivedLines,
  insertManifest,
  lockProjectArchiver,
  lockProjectSourcesLikeTheLoader,
  manifestsToRestore,
  markManifestRestored,
  moveMonthToWarm,
  newManifestId,
  projectsDueForRetention,
  warmMonthsBefore,
} from './fact-archive.repository';

export class RetentionCheckError extends Error {
  constructor(
    message: string,
    readonly details: Record<string, unknown>,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

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
  const loader = { role: 'loader' as const, orgId: project.organizationId };
  const months = await db.transaction(loader, (trx) => hotMonthsBefore(trx, project.projectId, before));
  const moved: WarmMove[] = [];
  for (const month of months) {
    // first, in a short transaction of its own: created inside the move, the partition's lock on the archive's
    // default partition would stop every reader of the facts while the move waits for a running load
    await ensureMonthPartitionsOf(db, loader, 'archived_data', month, month);
    const rows = await db.transaction(loader, async (trx) => {
      await lockProjectSourcesLikeTheLoader(trx, project.projectId);
      const check = await moveMonthToWarm(trx, project.projectId, month, before);
      if (check.moved !== check.archived || check.movedSum !== check.archivedSum) {
        throw new RetentionCheckError('hot to warm move did not balance; nothing was moved', {
          month,
          moved: check.moved,
          archived: check.archived,
          moved_sum: check.movedSum,
          archived_sum: check.archivedSum,
        });
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
    await lockProjectArchiver(c, project.projectId);
    const manifestId = await newManifestId(c);
    const objectKey = `archive/${project.organizationId}/${project.projectId}/${month.slice(0, 7)}/${manifestId}.ndjson.gz`;

    const source = copyWarmMonthOut(c, project.projectId, start);
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
      const deleted = await deleteWarmMonth(c, project.projectId, start);
      if (deleted !== rows) {
        throw new RetentionCheckError('rows changed while the month was archived; rows kept', {
          month,
          objectKey,
          rows,
          deleted,
        });
      }
      await insertManifest(c, {
        id: manifestId,
        organizationId: project.organizationId,
        projectId: project.projectId,
        monthStart: start,
        bucket,
        objectKey,
        rows,
        bytes,
        checksumSha256: checksum,
      });
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
  const loader = { role: 'loader' as const, orgId: project.organizationId };
  const manifests = await db.transaction(loader, (trx) => manifestsToRestore(trx, project.projectId, range));
  const restored: RestoredArchive[] = [];
  for (const m of manifests) {
    const stored = await blobs.get(m.bucket, m.objectKey);
    const checksum = createHash('sha256').update(stored).digest('hex');
    if (checksum !== m.checksum) {
      throw new RetentionCheckError('the archived object does not match its manifest; nothing restored', {
        manifestId: m.id,
        objectKey: m.objectKey,
        expected: m.checksum,
        actual: checksum,
      });
    }
    const lines = gunzipSync(stored)
      .toString('utf8')
      .split('\n')
      .filter((l) => l.length > 0);
    if (lines.length !== Number(m.rowCount)) {
      throw new RetentionCheckError(
        'the archived object holds a different number of rows than its manifest; nothing restored',
        { manifestId: m.id, expected: Number(m.rowCount), actual: lines.length },
      );
    }
    await ensureMonthPartitionsOf(db, loader, 'archived_data', m.rangeStart, m.rangeStart);
    const result = await db.transaction(loader, async (trx) => {
      let inserted = 0;
      for (let i = 0; i < lines.length; i += 5_000)
        inserted += await insertArchivedLines(trx, project.projectId, lines.slice(i, i + 5_000));
      await markManifestRestored(trx, m.id);
      return inserted;
    });
    await blobs.delete(m.bucket, m.objectKey).catch(() => {}); // the rows are back; a leftover object is only waste
    restored.push({
      manifestId: m.id,
      month: m.rangeStart.slice(0, 7),
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

/**
 * The daily job: every project's hot facts past its hot window go warm, warm months past its archive window go cold.
 */
export async function runRetention(
  db: Database,
  blobs: BlobStore,
  options: { bucket: string; today: string },
): Promise<RetentionRun> {
  const projects = await db.transaction({ role: 'loader' }, (trx) => projectsDueForRetention(trx, options.today));
  const run: RetentionRun = { projects: projects.length, warm: [], cold: [] };
  for (const p of projects) {
    const ref = { organizationId: p.organizationId, projectId: p.id };
    for (const w of await moveToWarmArchive(db, ref, p.hotBefore)) run.warm.push({ ...w, projectId: p.id });
    // whole months only, and never a month the user asked to have back
    const months = await db.transaction({ role: 'loader', orgId: p.organizationId }, (trx) =>
      warmMonthsBefore(trx, p.id, p.coldBefore),
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
