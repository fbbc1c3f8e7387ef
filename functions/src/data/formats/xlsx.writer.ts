// A real workbook through exceljs's streaming WorkbookWriter: numbers are number cells, dates are date
// cells (formatted yyyy-mm-dd), text is text. Rows are committed as they come, so the sheet is zipped out
// while PostgreSQL is still producing it; shared strings are off because they would hold every name in memory.
import type { Writable } from 'node:stream';
import ExcelJS from 'exceljs';
import { xmlSafeText } from './spreadsheet-safety';
import { drained, type RawRow, type RowWriter, type WriterOptions } from './row-writer';
import { once } from 'node:events';

export function xlsxWriter(out: Writable, options: WriterOptions): RowWriter {
  const workbook = new ExcelJS.stream.xlsx.WorkbookWriter({ stream: out, useSharedStrings: false, useStyles: true });
  const sheet = workbook.addWorksheet('Data');
  const types = options.columns.map((c) => c.type);
  const convert = (v: string | number | null, i: number): ExcelJS.CellValue => {
    if (v === null || v === undefined) return null;
    switch (types[i]) {
      case 'date':
        return new Date(`${String(v)}T00:00:00Z`);
      case 'text':
        // the value as it is (a text cell formatted as Text, '@', is never read as a formula, even once edited),
        // less the characters XML 1.0 forbids: the sheet is XML, and one of them would make the file unreadable
        return xmlSafeText(String(v));
      default:
        return Number(v);
    }
  };
  return {
    contentType: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
    fileExtension: 'xlsx',
    async start() {
      sheet.columns = options.columns.map((c) => ({
        header: c.header,
        key: c.key,
        width: Math.max(12, c.header.length + 2),
        ...(c.type === 'date' ? { style: { numFmt: 'yyyy-mm-dd' } } : c.type === 'money' ? { style: { numFmt: '0.00' } } : c.type === 'text' ? { style: { numFmt: '@' } } : {}),
      }));
    },
    async writeRows(rows: readonly RawRow[]) {
      for (const r of rows) sheet.addRow(r.map(convert)).commit();
      await drained(out);
    },
    async end() {
      const finished = once(out, 'finish');
      sheet.commit();
      await workbook.commit();
      if (!out.writableFinished) await finished;
    },
  };
}
