// Picks the output format from `format=` or, failing that, the Accept header, and builds its writer.
import type { Writable } from 'node:stream';
import { ValidationError } from '@tributary/shared/domain/errors';
import { OUTPUT_FORMATS, type OutputFormat } from '../query.schemas';
import { delimitedWriter } from './delimited.writer';
import { htmlWriter } from './html.writer';
import { jsonWriter, ndjsonWriter } from './json.writer';
import type { RowWriter, WriterOptions } from './row-writer';
import { xlsxWriter } from './xlsx.writer';
import { xmlWriter } from './xml.writer';

const BY_MEDIA_TYPE: Record<string, OutputFormat> = {
  'application/json': 'json',
  'application/x-ndjson': 'ndjson',
  'application/ndjson': 'ndjson',
  'text/csv': 'csv',
  'text/tab-separated-values': 'tsv',
  'application/xml': 'xml',
  'text/xml': 'xml',
  'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet': 'xlsx',
  'text/html': 'html',
};

export function chooseFormat(
  formatParam: string | null | undefined,
  accept: string | undefined,
  fallback: OutputFormat,
): OutputFormat {
  if (formatParam !== null && formatParam !== undefined) {
    const f = formatParam.toLowerCase();
    if ((OUTPUT_FORMATS as readonly string[]).includes(f)) return f as OutputFormat;
    throw new ValidationError('Unknown format', { field: 'format', allowed: OUTPUT_FORMATS });
  }
  if (accept) {
    const ranked = accept
      .split(',')
      .map((part, i) => {
        const [type, ...params] = part.trim().toLowerCase().split(';');
        const q = Number(
          params
            .map((p) => p.trim())
            .find((p) => p.startsWith('q='))
            ?.slice(2) ?? '1',
        );
        return { type: type!.trim(), q: Number.isFinite(q) ? q : 0, i };
      })
      .filter((a) => a.q > 0)
      .sort((a, b) => b.q - a.q || a.i - b.i);
    for (const a of ranked) {
      const f = BY_MEDIA_TYPE[a.type];
      if (f) return f;
    }
  }
  return fallback;
}

export function createRowWriter(format: OutputFormat, out: Writable, options: WriterOptions): RowWriter {
  switch (format) {
    case 'csv':
      return delimitedWriter(out, options, ',');
    case 'tsv':
      return delimitedWriter(out, options, '\t');
    case 'json':
      return jsonWriter(out, options);
    case 'ndjson':
      return ndjsonWriter(out, options);
    case 'xml':
      return xmlWriter(out, options);
    case 'xlsx':
      return xlsxWriter(out, options);
    case 'html':
      return htmlWriter(out, options);
  }
}

export const CONTENT_TYPES: Record<OutputFormat, string> = {
  json: 'application/json; charset=utf-8',
  ndjson: 'application/x-ndjson; charset=utf-8',
  csv: 'text/csv; charset=utf-8',
  tsv: 'text/tab-separated-values; charset=utf-8',
  xml: 'application/xml; charset=utf-8',
  xlsx: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
  html: 'text/html; charset=utf-8',
};
