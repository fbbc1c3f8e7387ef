// Webhook keys and signed sharing URLs.
//
// A key is 32 random bytes (base64url) behind a `twk_` tag; it is shown once, and the database keeps only
// its SHA-256 and a short visible prefix, so a leaked table gives nobody access. Signed URLs carry `exp`
// (epoch seconds) and `sig`, an HMAC-SHA256 over the path and every other query parameter (sorted, so
// the order a spreadsheet re-encodes them in does not matter). The HMAC key is derived with HKDF from the
// deployment's signing secret (never stored in PostgreSQL), salted with the webhook's current key hash: a
// rotation therefore voids every URL signed before it. Comparisons are constant-time.
import { createHash, createHmac, hkdfSync, randomBytes, timingSafeEqual } from 'node:crypto';

export const KEY_TAG = 'twk_';
/** what the database keeps to recognise a key in lists: the tag and 8 characters */
export const KEY_PREFIX_LENGTH = 12;
const KEY_SHAPE = /^twk_[A-Za-z0-9_-]{43}$/;

export interface GeneratedKey {
  key: string;
  keyHash: string;
  keyPrefix: string;
}

export function generateWebhookKey(): GeneratedKey {
  const key = KEY_TAG + randomBytes(32).toString('base64url');
  return { key, keyHash: hashWebhookKey(key), keyPrefix: key.slice(0, KEY_PREFIX_LENGTH) };
}

export function hashWebhookKey(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

export function looksLikeWebhookKey(key: string): boolean {
  return KEY_SHAPE.test(key);
}

export function constantTimeEqual(a: string, b: string): boolean {
  const ab = Buffer.from(a, 'utf8');
  const bb = Buffer.from(b, 'utf8');
  // compare equal-length digests so neither the content nor the length leaks through timing
  const da = createHash('sha256').update(ab).digest();
  const db = createHash('sha256').update(bb).digest();
  return timingSafeEqual(da, db) && ab.length === bb.length;
}

/** The parameters a signature covers: everything but `sig`, sorted by name then value. */
export function canonicalRequest(path: string, params: URLSearchParams): string {
  const pairs = [...params.entries()]
    .filter(([k]) => k !== 'sig')
    .sort(([ak, av], [bk, bv]) => (ak < bk ? -1 : ak > bk ? 1 : av < bv ? -1 : av > bv ? 1 : 0));
  return `${path}?${pairs.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join('&')}`;
}

export function urlSigningKey(signingSecret: Buffer, webhookId: string, keyHash: string): Buffer {
  return Buffer.from(
    hkdfSync('sha256', signingSecret, Buffer.from(keyHash, 'hex'), `tributary webhook url v1 ${webhookId}`, 32),
  );
}

export function signPath(signingKey: Buffer, path: string, params: URLSearchParams): string {
  return createHmac('sha256', signingKey).update(canonicalRequest(path, params)).digest('base64url');
}

export function verifySignature(signingKey: Buffer, path: string, params: URLSearchParams, nowMs: number): boolean {
  const sig = params.get('sig');
  const exp = params.get('exp');
  if (!sig || !exp || !/^\d{1,12}$/.test(exp)) return false;
  const expected = signPath(signingKey, path, params);
  const valid = constantTimeEqual(sig, expected);
  return valid && Number(exp) * 1000 > nowMs;
}

/** A time-limited URL for sharing: names the webhook (not its key) and fixes every parameter it carries. */
export function mintSignedUrl(
  baseUrl: string,
  signingSecret: Buffer,
  webhook: { id: string; keyHash: string },
  endpoint: 'data' | 'summary' | 'metrics',
  query: Record<string, string>,
  expiresAt: Date,
): string {
  const path = `/webhook/v1/tws_${webhook.id}/${endpoint}`;
  const params = new URLSearchParams(query);
  params.delete('sig');
  params.set('exp', String(Math.floor(expiresAt.getTime() / 1000)));
  params.set('sig', signPath(urlSigningKey(signingSecret, webhook.id, webhook.keyHash), path, params));
  return `${baseUrl.replace(/\/$/, '')}${path}?${params.toString()}`;
}
