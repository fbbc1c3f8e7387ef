// Deterministic synthetic fact rows, for the loader's tests and `npm run bench`: `accounts` x `campaigns`
// x `adsPerCampaign` rows per day over `days` days, with a `version` that changes the numbers of a chosen
// fraction of rows (a restatement) without changing their identity.
import type { FactRow } from '../domain/fact-row';

export interface SyntheticOptions {
  days: number;
  rowsPerDay: number;
  startDate?: string;
  /** rows whose (day, index) hash falls under this fraction get restated numbers */
  changedFraction?: number;
  version?: number;
  batchSize?: number;
}

export function addDays(date: string, days: number): string {
  const d = new Date(`${date}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + days);
  return d.toISOString().slice(0, 10);
}

/** Whether row i of day d is among the restated ones: a fixed pseudo-random choice. */
export function isRestated(day: number, i: number, fraction: number): boolean {
  const x = Math.imul(day * 100_003 + i, 2654435761) >>> 0;
  return x / 4294967296 < fraction;
}

export function* syntheticFacts(opts: SyntheticOptions): Generator<FactRow[]> {
  const start = opts.startDate ?? '2026-06-01';
  const batchSize = opts.batchSize ?? 5_000;
  let batch: FactRow[] = [];
  for (let day = 0; day < opts.days; day++) {
    const date = addDays(start, day);
    for (let i = 0; i < opts.rowsPerDay; i++) {
      const restated =
        opts.changedFraction !== undefined && (opts.version ?? 0) > 0 && isRestated(day, i, opts.changedFraction);
      const bump = restated ? opts.version! : 0;
      const account = i % 7;
      const campaign = Math.floor(i / 10);
      batch.push({
        dataType: 'ad_daily',
        date,
        accountId: `10000${account}`,
        accountName: `Account ${account}`,
        campaignId: `${2000 + campaign}`,
        campaignName: `Campaign ${campaign} — ${account % 2 ? 'Brand' : 'Prospecting'}`,
        adGroupId: `${30000 + Math.floor(i / 3)}`,
        adGroupName: `Ad group ${Math.floor(i / 3)}`,
        adId: `${400000 + i}`,
        adName: `Ad ${i}`,
        impressions: 1000 + ((i * 37 + day * 11) % 5000),
        clicks: 10 + ((i * 7 + day) % 300),
        cost: ((i * 131 + day * 17) % 100_000) / 100,
        conversions: ((i + day) % 13) + bump,
        revenue: (((i * 53 + day) % 90_000) / 100 + bump * 10).toFixed(2),
        currency: account % 3 === 0 ? 'EUR' : 'USD',
        extraMetrics: { video_views: (i * 3 + day) % 1000, all_conversions: ((i + day) % 17) + bump },
      });
      if (batch.length >= batchSize) {
        yield batch;
        batch = [];
      }
    }
  }
  if (batch.length) yield batch;
}
