// Unit: the XLSX writer's cells keep their column's type and format, whatever the row (styles are shared per column).
import { PassThrough } from 'node:stream';
import ExcelJS from 'exceljs';
import { describe, expect, it } from 'vitest';
import type { OutputColumn } from '../query-builder';
import { xlsxWriter } from './xlsx.writer';

const columns: OutputColumn[] = [
  { key: 'date', header: 'Date', type: 'date' },
  { key: 'campaign', header: 'Campaign', type: 'text' },
  { key: 'cost', header: 'Cost', type: 'money' },
  { key: 'clicks', header: 'Clicks', type: 'number' },
];

describe('xlsx writer', () => {
  it('when rows mix values and empty cells, every cell keeps its column format', async () => {
    const out = new PassThrough();
    const chunks: Buffer[] = [];
    out.on('data', (c: Buffer) => chunks.push(c));
    const writer = xlsxWriter(out, {
      columns,
      meta: {
        project_id: 'p',
        date_range: { start_date: '2026-06-01', end_date: '2026-06-02' },
        aggregation: 'daily',
        currency: 'USD',
        fx_rates_used: [],
        time_zone_note: '',
        generated_at: '2026-06-03T00:00:00Z',
      },
    });
    await writer.start();
    await writer.writeRows([
      ['2026-06-01', 'Brand', '12.50', 3],
      [null, '=1+1', null, null],
      ['2026-06-02', null, '-2', 0],
    ]);
    await writer.end({ rowCount: 3, nextCursor: null });
    const book = new ExcelJS.Workbook();
    await book.xlsx.load(Buffer.concat(chunks) as unknown as ArrayBuffer);
    const sheet = book.getWorksheet('Data')!;
    const cell = (r: number, c: number) => sheet.getRow(r).getCell(c);
    expect(cell(2, 1).value).toEqual(new Date('2026-06-01T00:00:00Z'));
    expect(cell(4, 1).value).toEqual(new Date('2026-06-02T00:00:00Z'));
    for (const r of [2, 4]) expect(cell(r, 1).numFmt).toBe('yyyy-mm-dd');
    expect(cell(3, 2).value).toBe('=1+1');
    for (const r of [2, 3]) expect(cell(r, 2).numFmt).toBe('@');
    expect([cell(2, 3).value, cell(4, 3).value]).toEqual([12.5, -2]);
    for (const r of [2, 4]) expect(cell(r, 3).numFmt).toBe('0.00');
    expect([cell(2, 4).value, cell(4, 4).value]).toEqual([3, 0]);
    expect(cell(4, 4).numFmt ?? 'General').toBe('General');
    expect(cell(3, 1).value).toBeNull();
  });
});
