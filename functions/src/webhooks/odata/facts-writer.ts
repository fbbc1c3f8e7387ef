// Facts entities written by Node from PostgreSQL's COPY text lines, with a writer compiled once per page
// shape: each property's `"Name":` prefix is bytes made up front, and a row's fields are copied byte for
// byte from COPY's buffer into a 64 KB output block, escaped where JSON needs it. No row becomes a string or
// an object. PostgreSQL does what a plain COPY does (the same query, text format) while Node turns the
// previous chunk into JSON on another core, instead of PostgreSQL building JSON itself on one.
//
// COPY text format: fields split by TAB, rows end with LF, NULL is \N, and backslash escapes \\ \b \f \n \r
// \t \v stand for the characters; any other control character comes raw. JSON keeps all of those escapes
// except \v, and needs `"` and raw control characters escaped.
import { Transform, type TransformCallback } from 'node:stream';

export type FieldKind = 'text' | 'number' | 'int64';

export interface WriterField {
  /** the property name in the entity */
  name: string;
  /** the field's position in a COPY line */
  index: number;
  kind: FieldKind;
}

const TAB = 0x09;
const LF = 0x0a;
const BACKSLASH = 0x5c;
const QUOTE = 0x22;
const BLOCK = 64 * 1024;
const HEX = Buffer.from('0123456789abcdef');
const NULL_BYTES = Buffer.from('null');

/**
 * One page of entities: `prefix`, then up to `pageRows` rows as JSON objects joined by commas. A line
 * past the page (the query reads one more) only says there is a next page; the page's last row's trailing
 * `keyColumns` fields, decoded, are the keys a next link continues after.
 */
export class FactsPageWriter extends Transform {
  rows = 0;
  more = false;
  lastKeys: (string | null)[] | null = null;

  private readonly names: Buffer[];
  private readonly kinds: Uint8Array;
  private readonly sourceIndex: Int32Array;
  private readonly starts: Int32Array;
  private readonly ends: Int32Array;
  private readonly width: number;
  private carry: Buffer | null = null;
  private out = Buffer.allocUnsafe(BLOCK);
  private pos = 0;
  private readonly namesLength: number;
  /** how often one COPY field is written ($select may name a property twice) */
  private readonly uses: number;

  constructor(
    fields: readonly WriterField[],
    /** fields in a COPY line; the last `keyColumns` of them are the order keys */
    width: number,
    private readonly keyColumns: number,
    private readonly pageRows: number,
    prefix: string,
  ) {
    super();
    this.width = width;
    // `{"Date":` for the first property, `,"Platform":` for the others: a row is prefixes and values
    this.names = fields.map((f, i) => Buffer.from(`${i === 0 ? '{' : ','}${JSON.stringify(f.name)}:`));
    this.kinds = Uint8Array.from(fields.map((f) => (f.kind === 'text' ? 0 : f.kind === 'number' ? 1 : 2)));
    this.sourceIndex = Int32Array.from(fields.map((f) => f.index));
    this.namesLength = this.names.reduce((n, b) => n + b.length, 0);
    const counts = new Map<number, number>();
    for (const f of fields) counts.set(f.index, (counts.get(f.index) ?? 0) + 1);
    this.uses = Math.max(1, ...counts.values());
    this.starts = new Int32Array(width);
    this.ends = new Int32Array(width);
    this.push(Buffer.from(prefix));
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    if (this.more) return done();
    let buf = chunk;
    if (this.carry) {
      buf = Buffer.concat([this.carry, chunk]);
      this.carry = null;
    }
    let start = 0;
    const len = buf.length;
    while (start < len) {
      const lf = buf.indexOf(LF, start);
      if (lf < 0) break;
      if (this.rows >= this.pageRows) {
        this.more = true;
        start = len;
        break;
      }
      if (!this.row(buf, start, lf)) return done(new Error('unexpected COPY line'));
      start = lf + 1;
    }
    if (start < len && !this.more) this.carry = Buffer.from(buf.subarray(start));
    done();
  }

  override _flush(done: TransformCallback): void {
    if (this.carry) return done(new Error('COPY ended inside a line'));
    this.flushBlock();
    done();
  }

  /** Splits one line into fields and writes its entity. */
  private row(buf: Buffer, start: number, end: number): boolean {
    const starts = this.starts;
    const ends = this.ends;
    let f = 0;
    let s = start;
    for (let i = start; i < end; i++) {
      if (buf[i] === TAB) {
        if (f >= this.width) return false;
        starts[f] = s;
        ends[f++] = i;
        s = i + 1;
      }
    }
    if (f !== this.width - 1) return false;
    starts[f] = s;
    ends[f] = end;

    // worst case a field grows sixfold (\u00XX for each raw control byte)
    const need = (end - start) * 6 * this.uses + this.namesLength + this.names.length * 6 + 16;
    if (this.pos + need > this.out.length) {
      this.flushBlock();
      if (need > this.out.length) this.out = Buffer.allocUnsafe(need);
    }
    const out = this.out;
    let p = this.pos;
    if (this.rows > 0) out[p++] = 0x2c;
    const names = this.names;
    for (let k = 0; k < names.length; k++) {
      const name = names[k]!;
      p += name.copy(out, p);
      const src = this.sourceIndex[k]!;
      const a = starts[src]!;
      const b = ends[src]!;
      if (b - a === 2 && buf[a] === BACKSLASH && buf[a + 1] === 0x4e) {
        p += NULL_BYTES.copy(out, p);
        continue;
      }
      const kind = this.kinds[k]!;
      if (kind === 0) p = writeText(buf, a, b, out, p);
      else p = writeNumber(buf, a, b, out, p, kind === 2);
    }
    if (names.length === 0) out[p++] = 0x7b;
    out[p++] = 0x7d;
    this.pos = p;
    this.rows++;
    if (this.rows === this.pageRows && this.keyColumns > 0) {
      this.lastKeys = [];
      for (let i = this.width - this.keyColumns; i < this.width; i++)
        this.lastKeys.push(decodeCopyText(buf, starts[i]!, ends[i]!));
    }
    return true;
  }

  private flushBlock(): void {
    if (this.pos === 0) return;
    this.push(this.out.subarray(0, this.pos));
    this.out = Buffer.allocUnsafe(BLOCK);
    this.pos = 0;
  }
}

/** A COPY text field as a JSON string: COPY's escapes are JSON's, except \v; quotes and raw controls escaped. */
function writeText(buf: Buffer, a: number, b: number, out: Buffer, p: number): number {
  out[p++] = QUOTE;
  for (let i = a; i < b; i++) {
    const c = buf[i]!;
    if (c >= 0x20 && c !== QUOTE && c !== BACKSLASH) {
      out[p++] = c;
    } else if (c === BACKSLASH) {
      const e = buf[i + 1]!;
      i++;
      if (e === 0x76) p = unicodeEscape(0x0b, out, p);
      else {
        out[p++] = BACKSLASH;
        out[p++] = e;
      }
    } else if (c === QUOTE) {
      out[p++] = BACKSLASH;
      out[p++] = QUOTE;
    } else {
      p = unicodeEscape(c, out, p);
    }
  }
  out[p++] = QUOTE;
  return p;
}

function unicodeEscape(c: number, out: Buffer, p: number): number {
  out[p++] = BACKSLASH;
  out[p++] = 0x75;
  out[p++] = 0x30;
  out[p++] = 0x30;
  out[p++] = HEX[c >> 4]!;
  out[p++] = HEX[c & 15]!;
  return p;
}

/**
 * A numeric's text is a JSON number as it stands; NaN and ±Infinity are written as strings, as PostgreSQL's
 * own JSON does. An Int64 property rounds half away from zero, as round(numeric)::bigint does.
 */
function writeNumber(buf: Buffer, a: number, b: number, out: Buffer, p: number, int64: boolean): number {
  const first = buf[a]!;
  const digitAt = first === 0x2d ? a + 1 : a;
  const d = buf[digitAt];
  if (d === undefined || d < 0x30 || d > 0x39) {
    out[p++] = QUOTE;
    for (let i = a; i < b; i++) out[p++] = buf[i]!;
    out[p++] = QUOTE;
    return p;
  }
  if (int64) {
    const dot = buf.indexOf(0x2e, a);
    if (dot >= 0 && dot < b) return p + out.write(roundedInteger(buf.toString('latin1', a, b)), p, 'latin1');
  }
  for (let i = a; i < b; i++) out[p++] = buf[i]!;
  return p;
}

/** '12.5' → '13', '-12.5' → '-13', '0.4' → '0', in exact integer arithmetic. */
export function roundedInteger(text: string): string {
  const negative = text.startsWith('-');
  const [whole = '0', fraction = ''] = (negative ? text.slice(1) : text).split('.');
  let n = BigInt(whole || '0');
  if ((fraction.charCodeAt(0) || 0x30) >= 0x35) n += 1n;
  return n === 0n ? '0' : `${negative ? '-' : ''}${n}`;
}

/** A COPY text field as its value (for the keys a next link carries). */
export function decodeCopyText(buf: Buffer, a: number, b: number): string | null {
  if (b - a === 2 && buf[a] === BACKSLASH && buf[a + 1] === 0x4e) return null;
  const raw = buf.toString('utf8', a, b);
  if (!raw.includes('\\')) return raw;
  return raw.replace(/\\(.)/g, (_m, c: string) => ESCAPES[c] ?? c);
}
const ESCAPES: Record<string, string> = { b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v' };
