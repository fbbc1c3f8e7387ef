// A load's one connection, shared by its parts (the key index's reads, the COPY writer, the staged updates).
// A connection runs one statement at a time, so statements queue here in the order they were asked for.
// The COPY of new rows is the one statement that stays open between calls: it is held, and the next
// statement queued ends it first (the writer opens a new one when it has rows again).
import type pg from 'pg';

export interface HeldStatement {
  /** ends the statement cleanly (a COPY: its last bytes and the end of its data) */
  release(): Promise<void>;
}

/** A stream the server may be reading from when a load fails: it is destroyed rather than finished. */
export interface AbortableStream {
  destroy(err?: Error): unknown;
}

export class LoadConnection {
  private tail: Promise<unknown> = Promise.resolve();
  private held: HeldStatement | null = null;
  private queued = 0;
  /** the stream in flight, destroyed by abort() */
  private stream: AbortableStream | null = null;

  constructor(readonly client: pg.PoolClient) {}

  /** whether a statement is queued or running (a held one aside) */
  get busy(): boolean {
    return this.queued > 0;
  }

  /** Runs `statement` once every statement queued before it is done, ending a held one first. */
  run<T>(statement: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    this.queued++;
    const p = this.tail.then(async () => {
      try {
        await this.releaseHeld();
        return await statement(this.client);
      } finally {
        this.queued--;
      }
    });
    this.tail = p.catch(() => {}); // a failure is reported to whoever awaits the statement
    return p;
  }

  /**
   * Opens a statement that stays open after `open` returns, until the next run() (or idle()) releases it.
   * Queued like run(): it opens once the statements before it are done.
   */
  hold<S extends HeldStatement>(open: (client: pg.PoolClient) => S): Promise<S> {
    return this.run(async (client) => {
      const statement = open(client);
      this.held = statement;
      return statement;
    });
  }

  /** Marks the stream the server is reading, so that abort() can destroy it; null once it is done. */
  track(stream: AbortableStream | null): void {
    this.stream = stream;
  }

  /** Once every queued statement is done and a held one is released. */
  async idle(): Promise<void> {
    await this.run(async () => {});
  }

  /** A failed load: the stream in flight is destroyed (the server rolls the transaction back). */
  abort(err: Error): void {
    this.held = null;
    this.stream?.destroy(err);
    this.stream = null;
  }

  private async releaseHeld(): Promise<void> {
    const held = this.held;
    if (!held) return;
    this.held = null;
    await held.release();
  }
}
