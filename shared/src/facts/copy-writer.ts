// The COPY writer: new rows go straight into extracted_data with COPY, no staging and no second pass, so a
// first load runs at close to COPY's own speed. Each row's text is written straight into the chunk's bytes,
// followed by the load's own columns; chunks of about 256 KB are sent as they fill. The COPY opens with
// the first chunk, once the connection is free, and is held open until another statement needs the
// connection (a read of the next month's keys, a batch of staged updates): the next chunk opens a new one.
import { once } from 'node:events';
import { from as copyFrom } from 'pg-copy-streams';
import type { FactBatch } from './fact-encoder';
import type { HeldStatement, LoadConnection } from './load-connection';
import { FACT_COPY_COLUMNS } from './row-hash';

/** Rows are sent to the database in chunks of about this many bytes. */
const WRITE_CHUNK_BYTES = 256 * 1024;

export const COPY_COLUMN_LIST = FACT_COPY_COLUMNS.join(', ');

type CopyStream = ReturnType<typeof copyFrom>;

export class CopyWriter {
  private chunk = Buffer.allocUnsafe(WRITE_CHUNK_BYTES);
  private used = 0;
  private copy: OpenCopy | null = null;
  private rowsWritten = 0;

  /**
   * @param conn the load's connection
   * @param loadColumns what follows every line: the columns the load decides, and the line break
   * @param table the table COPY writes into (extracted_data; a test may name another of the same columns)
   */
  constructor(
    private readonly conn: LoadConnection,
    private readonly loadColumns: Buffer,
    private readonly table = 'extracted_data',
  ) {}

  /** rows appended so far */
  get rows(): number {
    return this.rowsWritten;
  }

  /**
   * Appends row i of the batch. Returns a promise only when the row must wait (a full chunk on its way):
   * most rows complete synchronously, which saves a microtask a row.
   */
  append(batch: FactBatch, i: number): Promise<void> | undefined {
    const end = batch.writeLine(i, this.chunk, this.used, this.chunk.length - this.loadColumns.length);
    if (end < 0) return this.appendAfterSend(batch, i, -end);
    this.used = end + this.loadColumns.copy(this.chunk, end);
    this.rowsWritten++;
    return undefined;
  }

  /** Sends what is buffered and ends the COPY: its rows are then in the table (within the transaction). */
  async finish(): Promise<void> {
    if (this.used > 0) await this.send();
    await this.conn.idle();
  }

  private async appendAfterSend(batch: FactBatch, i: number, needed: number): Promise<void> {
    if (this.used > 0) await this.send();
    // a row longer than a chunk (huge extras) gets a chunk of its own size; the chunk is empty by now
    const size = needed + this.loadColumns.length;
    if (size > this.chunk.length) this.chunk = Buffer.allocUnsafe(size);
    const end = batch.writeLine(i, this.chunk, 0, this.chunk.length - this.loadColumns.length);
    if (end < 0) throw new Error(`row ${i} needs ${-end} bytes, more than it asked for`);
    this.used = end + this.loadColumns.copy(this.chunk, end);
    this.rowsWritten++;
  }

  /** the buffered bytes go out; the stream keeps them until sent, so the next rows go to a new chunk */
  private async send(): Promise<void> {
    const bytes = this.chunk.subarray(0, this.used);
    this.chunk = Buffer.allocUnsafe(WRITE_CHUNK_BYTES);
    this.used = 0;
    const copy = this.copy ?? (this.copy = await this.conn.hold(() => this.open()));
    await copy.write(bytes);
  }

  private open(): OpenCopy {
    const stream = this.conn.client.query(copyFrom(`COPY ${this.table} (${COPY_COLUMN_LIST}) FROM STDIN`));
    this.conn.track(stream);
    // released: the next rows go to a new COPY (at once: this one may still be sending its last bytes)
    return new OpenCopy(stream, () => {
      if (this.copy?.stream === stream) this.copy = null;
    });
  }
}

/** One open COPY: released (its data ended) when the connection is wanted for another statement. */
class OpenCopy implements HeldStatement {
  private draining: Promise<void> | null = null;
  private failure: Error | null = null;
  private readonly finished: Promise<void>;

  constructor(
    readonly stream: CopyStream,
    private readonly released: () => void,
  ) {
    this.finished = new Promise<void>((resolve, reject) => {
      stream.once('finish', () => resolve());
      stream.once('error', (err: Error) => {
        this.failure = err;
        reject(err);
      });
    });
    this.finished.catch(() => {}); // reported by write() or release()
  }

  async write(bytes: Buffer): Promise<void> {
    if (this.failure) throw this.failure;
    if (this.stream.write(bytes)) return;
    this.draining = Promise.race([once(this.stream, 'drain').then(() => {}), this.finished]);
    await this.draining;
    this.draining = null;
  }

  async release(): Promise<void> {
    this.released();
    if (this.draining) await this.draining;
    this.stream.end();
    await this.finished;
  }
}
