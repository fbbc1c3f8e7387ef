// A real workbook through exceljs's streaming WorkbookWriter: numbers are number cells, dates are date
// cells (formatted yyyy-mm-dd), text is text. Rows are committed as they come, so the sheet is zipped out
// while PostgreSQL is still producing it; shared strings are off because they would hold every name in memory.
import type { Writable } from 'node:stream';
// loaded by the first workbook, not at cold start: exceljs is ~150 ms of a cold start of the functions it rides in
import type ExcelJS from 'exceljs';
import { neutralizeFormula, xmlSafeText } from './spreadsheet-safety';
import {
  drained,
  type AboutData,
  type RawRow,
  type ResultMeta,
  type RowWriter,
  type WriterOptions,
} from './row-writer';
import { once } from 'node:events';

export function xlsxWriter(out: Writable, options: WriterOptions): RowWriter {
  let workbook!: ExcelJS.stream.xlsx.WorkbookWriter;
  let sheet!: ExcelJS.Worksheet;
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
  // one style object per column, given to each of its cells: exceljs finds a style's id by the object, and the
  // copy each cell makes of its column's style missed that cache, rendering the style's XML cell by cell
  const styles: Partial<ExcelJS.Style>[] = options.columns.map((c) =>
    c.type === 'date'
      ? { numFmt: 'yyyy-mm-dd' }
      : c.type === 'money'
        ? { numFmt: '0.00' }
        : c.type === 'text'
          ? { numFmt: '@' }
          : {},
  );
  return {
    contentType: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
    fileExtension: 'xlsx',
    async start() {
      const { default: exceljs } = await import('exceljs');
      workbook = new exceljs.stream.xlsx.WorkbookWriter({ stream: out, useSharedStrings: false, useStyles: true });
      sheet = workbook.addWorksheet('Data');
      sheet.columns = options.columns.map((c, i) => ({
        header: c.header,
        key: c.key,
        width: Math.max(12, c.header.length + 2),
        ...(styles[i]!.numFmt ? { style: styles[i] } : {}),
      }));
    },
    async writeRows(rows: readonly RawRow[]) {
      for (const r of rows) {
        const row = sheet.addRow(r.map(convert));
        row.eachCell({ includeEmpty: true }, (cell, column) => {
          cell.style = styles[column - 1]!;
        });
        row.commit();
      }
      await drained(out);
    },
    async end() {
      const finished = once(out, 'finish');
      sheet.commit();
      if (options.meta.about) writeAboutSheet(workbook, options.meta.about, options.meta);
      await workbook.commit();
      if (!out.writableFinished) await finished;
    },
  };
}

/** The second sheet: the sources and their freshness, stale warnings, and restatements since the last download. */
function writeAboutSheet(workbook: ExcelJS.stream.xlsx.WorkbookWriter, about: AboutData, meta: ResultMeta): void {
  const sheet = workbook.addWorksheet('About this data');
  sheet.columns = [
    { width: 28 },
    { width: 16 },
    { width: 22 },
    { width: 18 },
    { width: 26 },
    { width: 12 },
    { width: 10 },
  ];
  const add = (values: ExcelJS.CellValue[]) =>
    sheet.addRow(values.map((v) => (typeof v === 'string' ? neutralizeFormula(v) : v))).commit();
  add(['Data as of', about.as_of ?? 'no successful run yet']);
  add(['Oldest last complete day', about.oldest_complete_day ?? 'unknown']);
  add(['Date range', `${meta.date_range.start_date} to ${meta.date_range.end_date}`]);
  add(['Dates', meta.time_zone_note]);
  add(['Generated at', meta.generated_at]);
  add([]);
  const stale = about.sources.filter((s) => s.stale);
  add([
    stale.length
      ? `Warning: ${stale.length} source(s) are stale: ${stale.map((s) => s.name).join(', ')}`
      : 'Every source is up to date',
  ]);
  add([]);
  add(['Source', 'Platform', 'Account', 'Last complete day', 'Last successful run', 'Status', 'Stale']);
  for (const s of about.sources)
    add([s.name, s.platform, s.account, s.last_complete_day, s.last_successful_run, s.status, s.stale ? 'yes' : 'no']);
  add([]);
  add([
    about.restatements_since
      ? `Restatements since your previous download (${about.restatements_since})`
      : 'Restatements (no previous download with this key)',
  ]);
  add(['Date', 'Report', 'Metric', 'Change', 'Rows changed', 'Source', 'Run completed']);
  for (const r of about.restatements)
    add([r.date, r.report, r.metric, Number(r.delta), r.rows_changed, r.source, r.run_completed_at]);
  if (!about.restatements.length) add(['none']);
  sheet.commit();
}
