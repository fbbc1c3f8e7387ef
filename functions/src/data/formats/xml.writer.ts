// XML: <data><row><date>…</date>…</row>…</data>, one element per column, built (and escaped) by
// fast-xml-parser's builder a row at a time so the document never sits in memory whole.
import type { Writable } from 'node:stream';
import { XMLBuilder } from 'fast-xml-parser';
import { xmlSafeText } from './spreadsheet-safety';
import { endStream, writeChunk, type RawRow, type RowWriter, type WriterOptions } from './row-writer';

const escapeAttribute = (s: string) =>
  xmlSafeText(s).replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);

export function xmlWriter(out: Writable, options: WriterOptions): RowWriter {
  const builder = new XMLBuilder({ format: false, suppressEmptyNode: false });
  const keys = options.columns.map((c) => c.key);
  return {
    contentType: 'application/xml; charset=utf-8',
    fileExtension: 'xml',
    async start() {
      const m = options.meta;
      const attrs = {
        project_id: m.project_id,
        start_date: m.date_range.start_date,
        end_date: m.date_range.end_date,
        currency: m.currency,
        aggregation: m.aggregation,
      };
      const attrText = Object.entries(attrs)
        .map(([k, v]) => ` ${k}="${escapeAttribute(v)}"`)
        .join('');
      await writeChunk(out, `<?xml version="1.0" encoding="UTF-8"?>\n<data${attrText}>`);
    },
    async writeRows(rows: readonly RawRow[]) {
      if (!rows.length) return;
      let s = '';
      for (const r of rows) {
        const row: Record<string, string> = {};
        keys.forEach((k, i) => (row[k] = r[i] === null || r[i] === undefined ? '' : xmlSafeText(String(r[i]))));
        s += builder.build({ row }) as string;
      }
      await writeChunk(out, s);
    },
    async end() {
      await writeChunk(out, '</data>\n');
      await endStream(out);
    },
  };
}
