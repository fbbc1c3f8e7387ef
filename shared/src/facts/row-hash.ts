// The one place that decides a fact row's identity (row_key) and its content (content_hash), and writes
// it as a line of PostgreSQL COPY text. The loader, and anything else that writes facts, goes through here.
//
// Both hashes are 64-bit: row_key identifies a row within (data source, data type, day), where a platform
// gives at most tens of thousands of rows, so a collision is ~1e-11 per day. The hash is cyrb53 widened to
// both 32-bit lanes, in plain JS: measured faster than xxhash-wasm here, because a wasm call must first copy
// the string out as UTF-8 (see `npm run bench`).
import type { Decimal, FactRow } from '../domain/fact-row';

/** Column order of a fact line. Key columns first, then content, so both hashes cover one contiguous run. */
export const FACT_COPY_COLUMNS = [
  'data_type', 'data_date',
  'account_id', 'campaign_id', 'ad_group_id', 'ad_id', 'extra_dimensions',
  'account_name', 'campaign_name', 'ad_group_name', 'ad_name',
  'impressions', 'clicks', 'cost', 'conversions', 'revenue', 'currency', 'extra_metrics',
  'row_key', 'content_hash',
  'organization_id', 'project_id', 'data_source_id', 'platform', 'extraction_job_id',
] as const;

export interface HashedFactLine {
  /** `data_type \t data_date \t key… \t content… \t row_key \t content_hash` (no load-constant suffix) */
  line: string;
  keyHi: number;
  keyLo: number;
  contentHi: number;
  contentLo: number;
}

let outHi = 0;
let outLo = 0;
/** 64-bit string hash into (outHi, outLo); cyrb53's mixing, both lanes kept. */
function hash64(str: string, seed: number): void {
  let h1 = 0xdeadbeef ^ seed;
  let h2 = 0x41c6ce57 ^ seed;
  for (let i = 0; i < str.length; i++) {
    const ch = str.charCodeAt(i);
    h1 = Math.imul(h1 ^ ch, 2654435761);
    h2 = Math.imul(h2 ^ ch, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507);
  h1 ^= Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507);
  h2 ^= Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  outHi = h2 >>> 0;
  outLo = h1 >>> 0;
}

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
  if (!DECIMAL.test(v)) throw new FactRowError(`${field} must be a decimal, got "${v.slice(0, 40)}"`);
  return v;
}
const DECIMAL = /^-?\d+(\.\d+)?([eE][-+]?\d+)?$/;
const DATE = /^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$/;
const CURRENCY = /^[A-Z]{3}$/;

/** JSON with keys sorted, so the same content always hashes the same. */
function canonicalJson(obj: Record<string, unknown> | undefined): string {
  if (!obj) return '{}';
  const keys = Object.keys(obj);
  if (keys.length === 0) return '{}';
  keys.sort();
  let out = '{';
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i]!;
    const v = obj[k];
    if (v === undefined) continue;
    if (out.length > 1) out += ',';
    out += JSON.stringify(k) + ':' + JSON.stringify(v);
  }
  return copyText(out + '}');
}

export class FactRowError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** Validates one row cheaply (this runs a million times per load) and returns its COPY line and hashes. */
export function hashFactRow(row: FactRow): HashedFactLine {
  if (!row.dataType || row.dataType.length > 100) throw new FactRowError('dataType is required (at most 100 characters)');
  if (!DATE.test(row.date)) throw new FactRowError(`date must be YYYY-MM-DD, got "${String(row.date).slice(0, 40)}"`);
  if (row.currency != null && !CURRENCY.test(row.currency)) throw new FactRowError(`currency must be an ISO 4217 code, got "${row.currency}"`);

  const key = `${text(row.accountId)}\t${text(row.campaignId)}\t${text(row.adGroupId)}\t${text(row.adId)}\t${canonicalJson(row.extraDimensions)}`;
  const content =
    `${text(row.accountName)}\t${text(row.campaignName)}\t${text(row.adGroupName)}\t${text(row.adName)}\t` +
    `${decimal(row.impressions, 'impressions')}\t${decimal(row.clicks, 'clicks')}\t${decimal(row.cost, 'cost')}\t` +
    `${decimal(row.conversions, 'conversions')}\t${decimal(row.revenue, 'revenue')}\t${text(row.currency)}\t${canonicalJson(row.extraMetrics)}`;
  hash64(key, 0);
  const keyHi = outHi;
  const keyLo = outLo;
  hash64(content, 0x9e3779b9);
  const contentHi = outHi;
  const contentLo = outLo;
  const line = `${copyText(row.dataType)}\t${row.date}\t${key}\t${content}\t${int64Text(keyHi, keyLo)}\t${int64Text(contentHi, contentLo)}`;
  return { line, keyHi, keyLo, contentHi, contentLo };
}
