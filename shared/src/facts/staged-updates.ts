// The staged updates: rows whose key exists but whose content changed (a restated day, a renamed campaign).
// They are COPYed into fact_load_staging in batches (the COPY of new rows pauses for each), keyed by the
// load's id, and one set-based UPDATE … FROM applies them at the end, returning how much the numbers moved
// per day and data type: the restatement record. Staging is a regular unlogged table, written inside the
// load's transaction on its one connection: a failed load's staged rows roll back with it.
import { from as copyFrom } from 'pg-copy-streams';
import type { FactBatch } from './fact-encoder';
import type { LoadConnection } from './load-connection';
import { COPY_COLUMN_LIST } from './copy-writer';

/** Changed rows are staged in batches of this many. */
export const STAGE_BATCH_ROWS = 5_000;

export interface RestatementDelta {
  date: string;
  dataType: string;
  rowsChanged: number;
  impressionsDelta: string;
  clicksDelta: string;
  costDelta: string;
  conversionsDelta: string;
  revenueDelta: string;
}

export class StagedUpdates {
  private buffer = Buffer.allocUnsafe(64 * 1024);
  private used = 0;
  private pending = 0;
  private seq = 0;

  /**
   * @param loadColumns what follows every line: the columns the load decides, and the line break
   */
  constructor(
    private readonly conn: LoadConnection,
    private readonly loadId: string,
    private readonly loadColumns: Buffer,
  ) {}

  /** rows staged so far */
  get rows(): number {
    return this.seq;
  }

  /** Stages row i of the batch; returns a promise only when a full batch of staged rows is sent. */
  stage(batch: FactBatch, i: number): Promise<void> | undefined {
    // load id, then seq: within one load the last version of a key wins
    const prefix = `${this.loadId}\t${this.seq}\t`;
    for (;;) {
      const start = this.used + prefix.length;
      const end = batch.writeLine(i, this.buffer, start, this.buffer.length - this.loadColumns.length);
      if (end < 0) {
        this.grow(prefix.length - end + this.loadColumns.length);
        continue;
      }
      this.buffer.write(prefix, this.used, 'latin1');
      this.used = end + this.loadColumns.copy(this.buffer, end);
      break;
    }
    this.seq++;
    return ++this.pending >= STAGE_BATCH_ROWS ? this.flush() : undefined;
  }

  /** Sends the staged rows not sent yet. */
  async flush(): Promise<void> {
    if (this.pending === 0) return;
    const bytes = this.buffer.subarray(0, this.used);
    this.buffer = Buffer.allocUnsafe(this.buffer.length);
    this.used = 0;
    this.pending = 0;
    await this.conn.run(async (client) => {
      const stream = client.query(copyFrom(`COPY fact_load_staging (load_id, seq, ${COPY_COLUMN_LIST}) FROM STDIN`));
      this.conn.track(stream);
      await new Promise<void>((resolve, reject) => {
        stream.once('finish', () => resolve());
        stream.once('error', reject);
        stream.end(bytes);
      });
      this.conn.track(null);
    });
  }

  /**
   * Applies every staged row to the data source's facts (rows written by this load's COPY included) and
   * removes them from staging. Returns the restatements: per day and data type, the rows whose content
   * changed and how much their numbers moved.
   */
  async apply(dataSourceId: string): Promise<RestatementDelta[]> {
    if (this.seq === 0) return [];
    await this.flush();
    return this.conn.run(async (client) => {
      const res = await client.query(APPLY_STAGED_SQL, [this.loadId, dataSourceId]);
      await client.query('DELETE FROM fact_load_staging WHERE load_id = $1', [this.loadId]);
      return res.rows.map((r) => ({
        date: r.data_date,
        dataType: r.data_type,
        rowsChanged: Number(r.rows_changed),
        impressionsDelta: r.impressions_delta,
        clicksDelta: r.clicks_delta,
        costDelta: r.cost_delta,
        conversionsDelta: r.conversions_delta,
        revenueDelta: r.revenue_delta,
      }));
    });
  }

  private grow(atLeast: number): void {
    const grown = Buffer.allocUnsafe(Math.max(this.buffer.length * 2, this.used + atLeast));
    this.buffer.copy(grown, 0, 0, this.used);
    this.buffer = grown;
  }
}

/**
 * Applies a load's staged rows. Within one load the last version of a key wins (DISTINCT ON ... seq DESC).
 * The `before` CTE sees the table as it was before the UPDATE (all CTEs share one snapshot), which gives
 * the restatement deltas without a second pass.
 */
const APPLY_STAGED_SQL = `
WITH staged AS (
  SELECT DISTINCT ON (data_type, data_date, row_key) *
  FROM fact_load_staging WHERE load_id = $1
  ORDER BY data_type, data_date, row_key, seq DESC
),
before AS (
  SELECT t.data_type, t.data_date, t.row_key, t.impressions, t.clicks, t.cost, t.conversions, t.revenue
  FROM extracted_data t JOIN staged s
    ON t.data_source_id = $2 AND t.data_type = s.data_type AND t.data_date = s.data_date AND t.row_key = s.row_key
  WHERE t.content_hash <> s.content_hash
),
updated AS (
  UPDATE extracted_data t SET
    account_name = s.account_name, campaign_name = s.campaign_name, ad_group_name = s.ad_group_name,
    ad_name = s.ad_name, impressions = s.impressions, clicks = s.clicks, cost = s.cost,
    conversions = s.conversions, revenue = s.revenue, currency = s.currency, extra_metrics = s.extra_metrics,
    content_hash = s.content_hash, extraction_job_id = s.extraction_job_id, updated_at = now()
  FROM staged s
  WHERE t.data_source_id = $2 AND t.data_type = s.data_type AND t.data_date = s.data_date AND t.row_key = s.row_key
    AND t.content_hash <> s.content_hash
  RETURNING t.data_type, t.data_date, t.row_key, t.impressions, t.clicks, t.cost, t.conversions, t.revenue
)
SELECT u.data_date::text AS data_date, u.data_type, count(*) AS rows_changed,
       coalesce(sum(coalesce(u.impressions, 0) - coalesce(b.impressions, 0)), 0)::text AS impressions_delta,
       coalesce(sum(coalesce(u.clicks, 0) - coalesce(b.clicks, 0)), 0)::text AS clicks_delta,
       coalesce(sum(coalesce(u.cost, 0) - coalesce(b.cost, 0)), 0)::text AS cost_delta,
       coalesce(sum(coalesce(u.conversions, 0) - coalesce(b.conversions, 0)), 0)::text AS conversions_delta,
       coalesce(sum(coalesce(u.revenue, 0) - coalesce(b.revenue, 0)), 0)::text AS revenue_delta
FROM updated u JOIN before b USING (data_type, data_date, row_key)
GROUP BY u.data_date, u.data_type
ORDER BY u.data_date, u.data_type`;
