// CSV and TSV through papaparse: RFC 4180 quoting, CRLF line ends, ISO dates (as PostgreSQL gives them),
// dot decimals without thousands separators (numeric text straight from PostgreSQL), readable headers.
import type { Writable } from 'node:stream';
import Papa from 'papaparse';
import { neutralizeFormula } from './spreadsheet-safety';
import { BOM, endStream, writeChunk, type RawRow, type RowWriter, type WriterOptions } from './row-writer';

export function delimitedWriter(out: Writable, options: WriterOptions, delimiter: ',' | '\t'): RowWriter {
  const textColumns = options.columns.map((c) => c.type === 'text');
  const unparse = (rows: unknown[][]) =>
    Papa.unparse(rows, { delimiter, newline: '\r\n', header: false, quotes: false });
  return {
    contentType: delimiter === ',' ? 'text/csv; charset=utf-8' : 'text/tab-separated-values; charset=utf-8',
    fileExtension: delimiter === ',' ? 'csv' : 'tsv',
    async start() {
      await writeChunk(out, (options.bom ? BOM : '') + unparse([options.columns.map((c) => c.header)]) + '\r\n');
    },
    async writeRows(rows: readonly RawRow[]) {
      if (!rows.length) return;
      const safe = rows.map((r) =>
        r.map((v, i) => (v === null ? '' : textColumns[i] ? neutralizeFormula(String(v)) : v)),
      );
      await writeChunk(out, unparse(safe) + '\r\n');
    },
    async end() {
      await endStream(out);
    },
  };
}
