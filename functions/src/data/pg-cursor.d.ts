// pg-cursor ships no type declarations; this covers the part the data runner uses.
declare module 'pg-cursor' {
  import type { Submittable } from 'pg';
  export default class Cursor<Row = unknown[]> implements Submittable {
    constructor(text: string, values?: unknown[], config?: { rowMode?: 'array'; types?: unknown });
    submit(connection: unknown): void;
    read(rowCount: number): Promise<Row[]>;
    close(): Promise<void>;
  }
}
