// An HTML table: what Excel's legacy web query (Data → From Web, older builds) and Google Sheets'
// IMPORTHTML read.
import type { Writable } from 'node:stream';
import { neutralizeFormula } from './spreadsheet-safety';
import { endStream, writeChunk, type RawRow, type RowWriter, type WriterOptions } from './row-writer';

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => ESCAPES[c]!);

export function htmlWriter(out: Writable, options: WriterOptions): RowWriter {
  const textColumns = options.columns.map((c) => c.type === 'text');
  return {
    contentType: 'text/html; charset=utf-8',
    fileExtension: 'html',
    async start() {
      const head = options.columns.map((c) => `<th>${escapeHtml(c.header)}</th>`).join('');
      await writeChunk(
        out,
        `<!DOCTYPE html>\n<html><head><meta charset="utf-8"><title>Tributary data</title></head><body>\n<table>\n<thead><tr>${head}</tr></thead>\n<tbody>\n`,
      );
    },
    async writeRows(rows: readonly RawRow[]) {
      if (!rows.length) return;
      let s = '';
      for (const r of rows) {
        s +=
          '<tr>' +
          r
            .map(
              (v, i) =>
                `<td>${v === null ? '' : escapeHtml(textColumns[i] ? neutralizeFormula(String(v)) : String(v))}</td>`,
            )
            .join('') +
          '</tr>\n';
      }
      await writeChunk(out, s);
    },
    async end() {
      await writeChunk(out, '</tbody>\n</table>\n</body></html>\n');
      await endStream(out);
    },
  };
}
