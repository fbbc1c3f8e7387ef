// JSON ({"meta", "columns", "rows", "next_cursor"}) and NDJSON (one object a line). Numbers are written
// as PostgreSQL's numeric text, so no digit is lost to a binary float on the way out.
import type { Writable } from 'node:stream';
import type { OutputColumn } from '../query-builder';
import { endStream, writeChunk, type EndInfo, type RawRow, type RowWriter, type WriterOptions } from './row-writer';

function rowSerializer(columns: readonly OutputColumn[]): (row: RawRow) => string {
  const keys = columns.map((c) => JSON.stringify(c.key));
  const numeric = columns.map((c) => c.type !== 'text' && c.type !== 'date');
  return (row) => {
    let s = '{';
    for (let i = 0; i < keys.length; i++) {
      const v = row[i];
      s +=
        (i ? ',' : '') +
        keys[i] +
        ':' +
        (v === null || v === undefined ? 'null' : numeric[i] ? String(v) : JSON.stringify(v));
    }
    return s + '}';
  };
}

export function jsonWriter(out: Writable, options: WriterOptions): RowWriter {
  const serialize = rowSerializer(options.columns);
  let first = true;
  return {
    contentType: 'application/json; charset=utf-8',
    fileExtension: 'json',
    async start() {
      const columns = options.columns.map((c) => ({ key: c.key, name: c.header, type: c.type }));
      await writeChunk(out, `{"meta":${JSON.stringify(options.meta)},"columns":${JSON.stringify(columns)},"rows":[`);
    },
    async writeRows(rows: readonly RawRow[]) {
      if (!rows.length) return;
      let s = '';
      for (const r of rows) {
        s += (first ? '\n' : ',\n') + serialize(r);
        first = false;
      }
      await writeChunk(out, s);
    },
    async end(info: EndInfo) {
      await writeChunk(
        out,
        `\n],"row_count":${info.rowCount},"next_cursor":${JSON.stringify(info.nextCursor ?? null)}}\n`,
      );
      await endStream(out);
    },
  };
}

export function ndjsonWriter(out: Writable, options: WriterOptions): RowWriter {
  const serialize = rowSerializer(options.columns);
  return {
    contentType: 'application/x-ndjson; charset=utf-8',
    fileExtension: 'ndjson',
    async start() {},
    async writeRows(rows: readonly RawRow[]) {
      if (!rows.length) return;
      let s = '';
      for (const r of rows) s += serialize(r) + '\n';
      await writeChunk(out, s);
    },
    async end() {
      await endStream(out);
    },
  };
}
