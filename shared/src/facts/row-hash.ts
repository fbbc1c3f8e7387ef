// The one place that decides a fact row's identity (row_key) and its content (content_hash), and writes
// it as a line of PostgreSQL COPY text. The loader, and anything else that writes facts, goes through here.
//
// Both hashes are 64-bit: row_key identifies a row within (data source, data type, day), where a platform
// gives at most tens of thousands of rows, so a collision is ~1e-11 per day. The hash is cyrb53's mixing
// with both 32-bit lanes kept, fed field by field straight from the row: no string is built to hash a row,
// because on an unchanged re-load hashing is all the loader does for most rows, and building the COPY text
// (number formatting, JSON, concatenation) costs several times the hash. The text is built only for rows
// that must be sent (`factLine`).
//
// What the hash sees: strings by their UTF-16 code units, numbers by their IEEE-754 bits (so 1.5 and "1.5"
// differ: a connector that switches representation causes one harmless rewrite), null and absent alike,
// and the extras as an order-independent sum of per-entry hashes (so key order never matters).
import type { Decimal, FactRow } from '../domain/fact-row';

/** Column order of a fact line, as COPY receives it. */
export const FACT_COPY_COLUMNS = [
  'data_type',
  'data_date',
  'account_id',
  'campaign_id',
  'ad_group_id',
  'ad_id',
  'extra_dimensions',
  'account_name',
  'campaign_name',
  'ad_group_name',
  'ad_name',
  'impressions',
  'clicks',
  'cost',
  'conversions',
  'revenue',
  'currency',
  'extra_metrics',
  'row_key',
  'content_hash',
  'organization_id',
  'project_id',
  'data_source_id',
  'platform',
  'extraction_job_id',
] as const;

/** A row's two 64-bit hashes as 32-bit halves (unsigned). */
export interface FactRowHashes {
  keyHi: number;
  keyLo: number;
  contentHi: number;
  contentLo: number;
}

export interface HashedFactLine extends FactRowHashes {
  /** `data_type \t data_date \t key… \t content… \t row_key \t content_hash` (no load-constant suffix) */
  line: string;
}

export class FactRowError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

// ---- the hash: cyrb53 mixing, both lanes kept, fed one value at a time ----

let h1 = 0;
let h2 = 0;
let outHi = 0;
let outLo = 0;

// Markers are above 0xFFFF, so they can never be confused with a UTF-16 code unit of a string.
const END_OF_STRING = 0x10001;
const NULL_VALUE = 0x10002;
const NUMBER_VALUE = 0x10003;
const TRUE_VALUE = 0x10004;
const FALSE_VALUE = 0x10005;
const OBJECT_VALUE = 0x10006;

function begin(seed: number): void {
  h1 = 0xdeadbeef ^ seed;
  h2 = 0x41c6ce57 ^ seed;
}
function mix(v: number): void {
  h1 = Math.imul(h1 ^ v, 2654435761);
  h2 = Math.imul(h2 ^ v, 1597334677);
}
function end(): void {
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507);
  h1 ^= Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507);
  h2 ^= Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  outHi = h2 >>> 0;
  outLo = h1 >>> 0;
}

const float = new Float64Array(1);
const floatWords = new Uint32Array(float.buffer);

function feedString(s: string): void {
  for (let i = 0; i < s.length; i++) mix(s.charCodeAt(i));
  mix(END_OF_STRING);
}
function feedValue(v: unknown): void {
  if (v === null || v === undefined) mix(NULL_VALUE);
  else if (typeof v === 'string') feedString(v);
  else if (typeof v === 'number') {
    float[0] = v;
    mix(NUMBER_VALUE);
    mix(floatWords[0]!);
    mix(floatWords[1]!);
  } else if (typeof v === 'boolean') mix(v ? TRUE_VALUE : FALSE_VALUE);
  else {
    // nested structures are rare in extras (Meta's action lists): their JSON text is hashed as is
    mix(OBJECT_VALUE);
    feedString(JSON.stringify(v) ?? '');
  }
}

/** Feeds a record as the sum of its entries' hashes, so the order of its keys does not matter. */
function feedRecord(obj: Record<string, unknown> | undefined): void {
  if (!obj) {
    mix(NULL_VALUE);
    return;
  }
  const savedH1 = h1;
  const savedH2 = h2;
  let sumHi = 0;
  let sumLo = 0;
  let entries = 0;
  for (const k in obj) {
    const v = obj[k];
    if (v === undefined) continue; // as JSON would drop it
    begin(0x2545f491);
    feedString(k);
    feedValue(v);
    end();
    sumHi = (sumHi + outHi) >>> 0;
    sumLo = (sumLo + outLo) >>> 0;
    entries++;
  }
  h1 = savedH1;
  h2 = savedH2;
  if (entries === 0)
    mix(NULL_VALUE); // {} and absent are the same content
  else {
    mix(sumHi);
    mix(sumLo);
    mix(entries);
  }
}

// ---- validation that runs on every row: cheap, and cached for the values that repeat row after row ----

/** a fact's day: YYYY-MM-DD */
export const DATE = /^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$/;
const CURRENCY = /^[A-Z]{3}$/;
const DECIMAL = /^-?\d+(\.\d+)?([eE][-+]?\d+)?$/;
let lastGoodDate = '';
let lastGoodCurrency = '';

function checkIdentity(row: FactRow): void {
  const { dataType, date, currency } = row;
  if (typeof dataType !== 'string' || dataType.length === 0 || dataType.length > 100)
    throw new FactRowError('dataType is required (at most 100 characters)');
  if (date !== lastGoodDate) {
    if (typeof date !== 'string' || !DATE.test(date))
      throw new FactRowError(`date must be YYYY-MM-DD, got "${String(date).slice(0, 40)}"`);
    lastGoodDate = date;
  }
  if (currency != null && currency !== lastGoodCurrency) {
    if (!CURRENCY.test(currency)) throw new FactRowError(`currency must be an ISO 4217 code, got "${currency}"`);
    lastGoodCurrency = currency;
  }
}

/**
 * A row's identity and content hashes, without building its text. Checks what the hashes depend on
 * (data type, date, currency); the numbers are checked by factLine, when a row is actually sent.
 */
export function hashFactRowKeys(row: FactRow): FactRowHashes {
  hashFactRowInto(row, scratch, 0);
  return { keyHi: scratch[0]!, keyLo: scratch[1]!, contentHi: scratch[2]!, contentLo: scratch[3]! };
}
const scratch = new Uint32Array(4);

/** hashFactRowKeys without an object a row: key hi, lo, content hi, lo go to out[at..at+3]. */
export function hashFactRowInto(row: FactRow, out: Uint32Array, at: number): void {
  checkIdentity(row);
  begin(0);
  feedValue(row.accountId);
  feedValue(row.campaignId);
  feedValue(row.adGroupId);
  feedValue(row.adId);
  feedRecord(row.extraDimensions);
  end();
  out[at] = outHi;
  out[at + 1] = outLo;
  begin(0x9e3779b9);
  feedValue(row.accountName);
  feedValue(row.campaignName);
  feedValue(row.adGroupName);
  feedValue(row.adName);
  feedValue(row.impressions);
  feedValue(row.clicks);
  feedValue(row.cost);
  feedValue(row.conversions);
  feedValue(row.revenue);
  feedValue(row.currency);
  feedRecord(row.extraMetrics);
  end();
  out[at + 2] = outHi;
  out[at + 3] = outLo;
}

// ---- COPY text ----

const TWO_32 = 4294967296;
/** Signed 64-bit decimal text of (hi, lo), as PostgreSQL bigint expects it; exact without BigInt. */
export function int64Text(hi: number, lo: number): string {
  if (hi < 0x200000) return String(hi * TWO_32 + lo); // below 2^53: a double is exact
  if (hi >= 0x80000000) {
    // negative: two's complement magnitude = 2^64 - value
    const nlo = (TWO_32 - lo) % TWO_32;
    const nhi = (0xffffffff - hi + (lo === 0 ? 1 : 0)) >>> 0;
    return nhi === 0 && nlo === 0 ? '0' : `-${unsignedText(nhi, nlo)}`;
  }
  return unsignedText(hi, lo);
}
function unsignedText(hi: number, lo: number): string {
  if (hi < 0x200000) return String(hi * TWO_32 + lo);
  // split off the last 6 decimal digits: hi*2^32+lo = q*1e6 + r, with doubles that stay exact
  const hiQ = Math.floor(hi / 1e6);
  const hiR = hi % 1e6;
  const mid = hiR * TWO_32 + lo; // < 1e6 * 2^32 < 2^53
  const q = hiQ * TWO_32 + Math.floor(mid / 1e6); // < 2^64 / 1e6 < 2^53
  const r = mid % 1e6;
  return `${q}${String(r).padStart(6, '0')}`;
}

/** Parses a signed 64-bit decimal (from PostgreSQL) into its two 32-bit halves. */
export function int64Parts(text: string): [hi: number, lo: number] {
  const v = BigInt.asUintN(64, BigInt(text));
  return [Number(v >> 32n), Number(v & 0xffffffffn)];
}

/** COPY text escaping: backslash, tab, newline, carriage return. */
export function copyText(value: string): string {
  // fast path: most values need no escaping
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c === 92 || c === 9 || c === 10 || c === 13) return value.replace(/[\\\t\n\r]/g, escapeChar);
  }
  return value;
}
function escapeChar(c: string): string {
  return c === '\\' ? '\\\\' : c === '\t' ? '\\t' : c === '\n' ? '\\n' : '\\r';
}

const NULL = '\\N';
function text(v: string | null | undefined): string {
  return v === null || v === undefined ? NULL : copyText(v);
}
function decimal(v: Decimal | null | undefined, field: string): string {
  if (v === null || v === undefined) return NULL;
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) throw new FactRowError(`${field} must be a finite number, got ${v}`);
    return String(v);
  }
  if (typeof v !== 'string' || !DECIMAL.test(v))
    throw new FactRowError(`${field} must be a decimal, got "${String(v).slice(0, 40)}"`);
  return v;
}
function json(obj: Record<string, unknown> | undefined): string {
  if (!obj) return '{}';
  // PostgreSQL's jsonb refuses \u0000; a NUL in a platform's text is dropped rather than failing the load
  const s = JSON.stringify(obj);
  return copyText(s.includes('\\u0000') ? s.replaceAll('\\u0000', '') : s);
}

/** The COPY line of a row whose hashes are known. Checks the numbers; throws FactRowError if one is not. */
export function factLine(row: FactRow, h: FactRowHashes): string {
  return factLineOf(row, h.keyHi, h.keyLo, h.contentHi, h.contentLo);
}

/** factLine with the hashes as their halves. */
export function factLineOf(row: FactRow, keyHi: number, keyLo: number, contentHi: number, contentLo: number): string {
  return (
    `${copyText(row.dataType)}\t${row.date}\t${text(row.accountId)}\t${text(row.campaignId)}\t${text(row.adGroupId)}\t${text(row.adId)}\t${json(row.extraDimensions)}\t` +
    `${text(row.accountName)}\t${text(row.campaignName)}\t${text(row.adGroupName)}\t${text(row.adName)}\t` +
    `${decimal(row.impressions, 'impressions')}\t${decimal(row.clicks, 'clicks')}\t${decimal(row.cost, 'cost')}\t` +
    `${decimal(row.conversions, 'conversions')}\t${decimal(row.revenue, 'revenue')}\t${text(row.currency)}\t${json(row.extraMetrics)}\t` +
    `${int64Text(keyHi, keyLo)}\t${int64Text(contentHi, contentLo)}`
  );
}

/** Hashes and text of one row, for writers that send every row (the benchmark's plain COPY, fixtures). */
export function hashFactRow(row: FactRow): HashedFactLine {
  const h = hashFactRowKeys(row);
  return { ...h, line: factLine(row, h) };
}
