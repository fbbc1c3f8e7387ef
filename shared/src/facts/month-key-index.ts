// The month's key index: what the data source already has, month by month, as (row_key, content_hash)
// pairs in a typed-array hash map (key-index.ts), so that every arriving row is classified in memory:
//   new        its key is not there: the COPY writer sends it;
//   changed    its key is there with another content hash: it is staged as an update;
//   unchanged  same key, same content hash: counted and dropped, its text never even built.
// A month is read once, before its first row is classified: per day and data type one bytea of 16-byte
// pairs, about 16 bytes a row against about 200 to send one. Rows come month by month, so the next
// month is read ahead while this month's rows are classified (on the load's one connection; the loader
// yields to the event loop between batches so that the read's answer is taken in meanwhile).
import type { FactLoadWindow } from './fact-loader';
import { KeyIndex, SlotState } from './key-index';
import type { LoadConnection } from './load-connection';

export const RowFate = {
  New: 0,
  Changed: 1,
  Unchanged: 2,
} as const;
export type RowFate = (typeof RowFate)[keyof typeof RowFate];

export interface MonthKeyIndexOptions {
  dataSourceId: string;
  /** a load with a window reads only its own days of a month, of its one data type */
  window: FactLoadWindow | null;
  /** the months that have a partition; a month without one is first made ready by `prepareMonth` */
  hasPartition(month: string): boolean;
  /** creates a month's partition (a load without a window meeting a new month) */
  prepareMonth(month: string): Promise<void>;
}

export class MonthKeyIndex {
  private readonly index = new KeyIndex();
  // A scope is one (data type, day): row keys are unique within it. Rows arrive grouped by day, so the
  // last scope is remembered and the map is consulted only when the day or data type changes.
  private readonly scopes = new Map<string, number>();
  private lastType = '';
  private lastDate = '';
  private lastScope = -1;
  private readonly reads = new Map<string, Promise<void>>();
  /** months whose keys are all read */
  private readonly readMonths = new Set<string>();
  /** days read before the rest of their month */
  private readonly readDays = new Set<string>();
  /** months whose rows have started */
  private readonly entered = new Set<string>();

  constructor(
    private readonly conn: LoadConnection,
    private readonly options: MonthKeyIndexOptions,
  ) {}

  /** entries held: existing keys read, and keys this load added */
  get size(): number {
    return this.index.count;
  }

  /**
   * The scope of rows of `dataType` on `date`, once the keys of that day are read: a number at once when
   * they are (nearly always), else a promise.
   */
  scope(dataType: string, date: string): number | Promise<number> {
    if (date === this.lastDate && dataType === this.lastType) return this.lastScope;
    const month = date.slice(0, 7);
    if (!this.entered.has(month)) {
      this.entered.add(month);
      if (!this.isRead(month, date)) return this.enter(month, date).then(() => this.scope(dataType, date));
      this.readNext(month); // this month was read ahead: the next one is now
    } else if (!this.isRead(month, date)) {
      return this.reads.get(month)!.then(() => this.scope(dataType, date));
    }
    this.lastType = dataType;
    this.lastDate = date;
    return (this.lastScope = this.scopeOf(dataType, date));
  }

  /**
   * Reads the months of [fromMonth, toMonth] that have a partition, in order; resolves once the first is
   * read (the rest follow on the connection while rows are classified).
   */
  async readAhead(fromMonth: string, toMonth: string): Promise<void> {
    let first: Promise<void> | null = null;
    for (let month = fromMonth; month <= toMonth; month = nextMonth(month)) {
      if (!this.options.hasPartition(month)) continue;
      first ??= this.read(month);
      void this.read(month);
    }
    if (first) await first;
  }

  /**
   * Classifies the row whose hashes are at hashes[4i..4i+3] and records its content: a second version of a
   * key within one load is then 'changed' against the first.
   */
  classify(scope: number, hashes: Uint32Array, i: number): RowFate {
    const o = i * 4;
    const kh = hashes[o]!;
    const kl = hashes[o + 1]!;
    const ch = hashes[o + 2]!;
    const cl = hashes[o + 3]!;
    const index = this.index;
    const state = index.lookup(scope, kh, kl);
    if (state === SlotState.Empty) {
      index.setLast(scope, kh, kl, ch, cl, SlotState.Inserted);
      return RowFate.New;
    }
    if (index.lastHi === ch && index.lastLo === cl) return RowFate.Unchanged;
    index.setLast(scope, kh, kl, ch, cl, state);
    return RowFate.Changed;
  }

  private isRead(month: string, date: string): boolean {
    return this.readMonths.has(month) || this.readDays.has(date);
  }

  /**
   * The first row of a month that was not read ahead: the week from its day is read first and its rows go
   * on while the rest of the month is read (a month's read is most of what an unchanged re-load waits for).
   */
  private async enter(month: string, date: string): Promise<void> {
    if (!this.options.hasPartition(month)) await this.options.prepareMonth(month);
    let wait = this.reads.get(month);
    if (!wait) {
      const last = Math.min(Number(date.slice(8, 10)) + HEAD_DAYS - 1, daysIn(month));
      const head = { from: date, to: `${month}-${String(last).padStart(2, '0')}` };
      wait = this.conn.run((client) => this.fetch(client, month, { only: head }));
      this.reads.set(
        month,
        this.conn.run((client) => this.fetch(client, month, { except: head })),
      );
    }
    await wait;
    this.readNext(month);
  }

  /**
   * The next month's keys are read now, while this month's rows are classified; only a month that has its
   * partition: a read of one without would scan the default partition and hold a lock on it that creating
   * the partition (on another connection) must wait for.
   */
  private readNext(month: string): void {
    const next = nextMonth(month);
    const w = this.options.window;
    // (a failure is reported where the month's rows await the read)
    if (this.options.hasPartition(next) && (!w || next <= w.end.slice(0, 7))) void this.read(next).catch(() => {});
  }

  /** one read a month, started at most once */
  private read(month: string): Promise<void> {
    let p = this.reads.get(month);
    if (!p) {
      p = this.conn.run((client) => this.fetch(client, month, {}));
      this.reads.set(month, p);
    }
    return p;
  }

  /** Reads the month's keys, or only those of some days (`only`), or all but those (`except`). */
  private async fetch(client: LoadConnection['client'], month: string, days: { only?: DayRange; except?: DayRange }) {
    const w = this.options.window;
    const { only, except } = days;
    const res = await client.query({
      text: `SELECT data_type, data_date::text, string_agg(int8send(row_key) || int8send(content_hash), ''::bytea)
             FROM extracted_data
             WHERE data_source_id = $1 AND data_date >= $2::date AND data_date < ($2::date + interval '1 month')
               AND ($3::text IS NULL OR (data_type = $3 AND data_date BETWEEN $4::date AND $5::date))
               AND ($6::date IS NULL OR data_date BETWEEN $6::date AND $7::date)
               AND ($8::date IS NULL OR data_date NOT BETWEEN $8::date AND $9::date)
             GROUP BY data_type, data_date`,
      values: [
        this.options.dataSourceId,
        `${month}-01`,
        w?.dataType ?? null,
        w?.start ?? null,
        w?.end ?? null,
        only?.from ?? null,
        only?.to ?? null,
        except?.from ?? null,
        except?.to ?? null,
      ],
      rowMode: 'array',
    });
    const rows = res.rows as [string, string, Buffer][];
    this.index.reserve(rows.reduce((n, row) => n + row[2].length / 16, 0));
    for (const [dataType, date, pairs] of rows) {
      const scope = this.scopeOf(dataType, date);
      for (let o = 0; o < pairs.length; o += 16) {
        const kh = pairs.readUInt32BE(o);
        const kl = pairs.readUInt32BE(o + 4);
        this.index.set(scope, kh, kl, pairs.readUInt32BE(o + 8), pairs.readUInt32BE(o + 12), SlotState.Existing);
      }
    }
    if (only) {
      for (let d = Number(only.from.slice(8, 10)); d <= Number(only.to.slice(8, 10)); d++) {
        this.readDays.add(`${month}-${String(d).padStart(2, '0')}`);
      }
    } else {
      this.readMonths.add(month); // a month's `except` read follows its `only` read on the connection
    }
  }

  private scopeOf(dataType: string, date: string): number {
    const k = `${dataType}\u0000${date}`;
    let id = this.scopes.get(k);
    if (id === undefined) this.scopes.set(k, (id = this.scopes.size));
    return id;
  }
}

/** Days read first when a month's rows start before its keys were read ahead. */
const HEAD_DAYS = 7;

interface DayRange {
  from: string;
  to: string;
}

function daysIn(month: string): number {
  return new Date(Date.UTC(Number(month.slice(0, 4)), Number(month.slice(5, 7)), 0)).getUTCDate();
}

/** 'YYYY-MM' of the month after `month` ('YYYY-MM'). */
export function nextMonth(month: string): string {
  const y = Number(month.slice(0, 4));
  const m = Number(month.slice(5, 7));
  return m === 12 ? `${y + 1}-01` : `${y}-${String(m + 1).padStart(2, '0')}`;
}
