// The one seam between google-ads-api and where its requests go. The library hard-codes
// https://googleads.googleapis.com in its axios calls and calls Google's OAuth itself
// (../../../shared/PLATFORMS.md §1), so this factory, and nothing else:
//   1. installs one request interceptor on the axios instance the library itself requires, which moves
//      googleads.googleapis.com requests onto the configured base URL (baseUrls.google_ads) and adds our
//      timeout and abort signal. The route travels in AsyncLocalStorage, so concurrent calls for
//      different base URLs never mix, and requests made outside our calls are left alone;
//   2. overrides customer.getAccessToken (a public method the library calls as this.getAccessToken) to
//      return our credential's token, so token refresh stays with the runtime (refresh once, persist).
// Everything else, the request building, the streamed JSON parsing and the GoogleAdsFailure errors, is
// the library's own code.
import { AsyncLocalStorage } from 'node:async_hooks';
import { StringDecoder } from 'node:string_decoder';
import type { AxiosStatic, InternalAxiosRequestConfig } from 'axios';
// Static imports, so esbuild puts the library in the bundle (Lambda's /var/task has no node_modules).
// google-ads-api 25 ships an ESM build that does `import axios from 'axios'`; importing axios the same way
// gives this module the library's own instance, under Node and in the bundle alike.
import axios from 'axios';
import * as googleAdsApi from 'google-ads-api';
import type { Customer } from 'google-ads-api';
import { GOOGLE_ADS_API_VERSION } from './google-ads-api-version';

export { GOOGLE_ADS_API_VERSION };

export const GOOGLE_ADS_HOST = 'https://googleads.googleapis.com';
export const GOOGLE_ADS_REQUEST_TIMEOUT_MS = 120_000;

interface Route {
  baseUrl: string;
  timeoutMs: number;
  signal?: AbortSignal;
}

export const googleAdsLib = googleAdsApi;
const { googleAdsVersion } = googleAdsLib;
// the library builds its URLs from its own version; a library upgrade must come with this constant's
if (googleAdsVersion !== GOOGLE_ADS_API_VERSION) {
  throw new Error(
    `google-ads-api speaks ${googleAdsVersion} but GOOGLE_ADS_API_VERSION is ${GOOGLE_ADS_API_VERSION}; update them together`,
  );
}
const routes = new AsyncLocalStorage<Route>();
let libraryAxios: AxiosStatic | null = null;

/**
 * The axios the library imports. axios ships separate CJS and ESM builds; an interceptor on the other
 * build's instance would never see the library's requests.
 * The library must not get an axios of its own (npm dedupe axios): the sandbox tests would then reach
 * googleads.googleapis.com instead of the sandbox, and fail.
 */
export function libraryAxiosInstance(): AxiosStatic {
  if (libraryAxios) return libraryAxios;
  axios.interceptors.request.use((config: InternalAxiosRequestConfig) => {
    const route = routes.getStore();
    if (!route || !config.url?.startsWith(GOOGLE_ADS_HOST)) return config;
    config.url = route.baseUrl + config.url.slice(GOOGLE_ADS_HOST.length);
    config.timeout = route.timeoutMs;
    if (route.signal) config.signal = route.signal;
    return config;
  });
  libraryAxios = axios;
  return axios;
}

/** The two Customer methods searchStream reuses; private in the library's types, pinned with its version. */
interface CustomerInternals {
  prepareGoogleAdsServicePostRequestArgs(
    method: string,
    accessToken: string,
    extra: Record<string, unknown>,
  ): InternalAxiosRequestConfig;
  handleStreamError(err: unknown): Promise<never>;
}

const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const isJsonSpace = (b: number) => b === 0x20 || b === 0x0a || b === 0x0d || b === 0x09;

/** The text of UTF-8 bytes held in pieces; a character split between two pieces is decoded whole. */
export function utf8Text(pieces: readonly Buffer[]): string {
  if (pieces.length === 1) return pieces[0]!.toString('utf8');
  const decoder = new StringDecoder('utf8');
  let text = '';
  for (const piece of pieces) text += decoder.write(piece);
  return text + decoder.end();
}

/**
 * The elements of a streamed top-level JSON array of objects, each as its own bytes, without parsing them:
 * a scan that tracks only string and nesting state, jumping through strings with indexOf (most bytes are
 * inside strings). An element comes as the slices of the chunks it arrived in, not copied into one buffer
 * (a 10,000-row batch is megabytes). Memory holds one element. A response that ends before the array
 * closes is an error (a cut connection, or a truncated proxy answer).
 * Each element also comes with how many objects its array-valued members hold: a searchStream message has
 * one array, its results, so that is its row count, known without parsing the message.
 */
export async function* splitJsonArray(chunks: AsyncIterable<Buffer>): AsyncGenerator<JsonArrayElement> {
  let depth = 0;
  let inString = false;
  /** the previous chunk ended on a backslash inside a string: this chunk's first byte is escaped */
  let escaped = false;
  let closed = false;
  let parts: Buffer[] = [];
  /** the member being read (depth 3) is an array: objects opened directly inside it are counted */
  let memberIsArray = false;
  let arrayObjects = 0;
  for await (const chunk of chunks) {
    const len = chunk.length;
    let start = depth >= 2 ? 0 : -1;
    let nextBackslash = -1; // cached: searched again only once passed
    let i = 0;
    while (i < len) {
      if (inString) {
        if (escaped) {
          escaped = false;
          i++;
          continue;
        }
        if (nextBackslash !== len && nextBackslash < i) {
          nextBackslash = chunk.indexOf(BACKSLASH, i);
          if (nextBackslash === -1) nextBackslash = len;
        }
        const quote = chunk.indexOf(QUOTE, i);
        if (nextBackslash < len && (quote === -1 || nextBackslash < quote)) {
          // an escape before the closing quote: skip the backslash and the byte it escapes
          if (nextBackslash + 1 >= len) escaped = true;
          i = nextBackslash + 2;
          continue;
        }
        if (quote === -1) break;
        inString = false;
        i = quote + 1;
        continue;
      }
      const b = chunk[i]!;
      if (
        depth <= 1 &&
        b !== OPEN_BRACE &&
        b !== OPEN_BRACKET &&
        b !== CLOSE_BRACKET &&
        b !== COMMA &&
        !isJsonSpace(b)
      ) {
        throw new Error('searchStream response is not a JSON array of objects');
      }
      if (b === QUOTE) {
        inString = true;
      } else if (b === OPEN_BRACE || b === OPEN_BRACKET) {
        if (closed || (depth === 0 && b === OPEN_BRACE))
          throw new Error('searchStream response is not a JSON array of objects');
        if (depth === 1) start = i;
        else if (depth === 2) memberIsArray = b === OPEN_BRACKET;
        else if (depth === 3 && memberIsArray && b === OPEN_BRACE) arrayObjects++;
        depth++;
      } else if (b === CLOSE_BRACE || b === CLOSE_BRACKET) {
        depth--;
        if (depth === 1) {
          parts.push(chunk.subarray(start, i + 1));
          yield { bytes: parts, arrayObjects };
          parts = [];
          arrayObjects = 0;
          start = -1;
        } else if (depth === 0) {
          closed = true;
        } else if (depth < 0) {
          throw new Error('searchStream response is not a JSON array of objects');
        }
      }
      i++;
    }
    if (depth >= 2) parts.push(chunk.subarray(start));
  }
  if (!closed) throw new Error('searchStream response ended mid-JSON (unexpected end of the stream)');
}

/** One element of a JSON array, as the pieces of the chunks it arrived in. */
export interface JsonArrayElement {
  bytes: Buffer[];
  /** objects directly inside the element's array-valued members */
  arrayObjects: number;
}

export interface GoogleAdsClientOptions {
  baseUrl?: string;
  clientId: string;
  clientSecret: string;
  developerToken: string;
  accessToken: string;
  refreshToken: string;
  loginCustomerId?: string;
  signal?: AbortSignal;
  timeoutMs?: number;
}

/** One message of a searchStream response: a batch of up to 10,000 rows, or an error Google sent mid-stream. */
export interface SearchStreamBatch {
  /** the message's bytes exactly as Google sent them (what the raw archive keeps), in the pieces they arrived in */
  bytes: Buffer[];
  /** how many rows `results` holds, counted while the message was split (no parse needed) */
  rowCount: number;
  /** the rows, parsed from `bytes` on first read: a caller that hands the bytes elsewhere never pays for it */
  readonly results: unknown[];
}

function lazyBatch(bytes: Buffer[], rowCount: number): SearchStreamBatch {
  let results: unknown[] | undefined;
  return {
    bytes,
    rowCount,
    get results() {
      if (!results) {
        results = (JSON.parse(utf8Text(bytes)) as { results?: unknown[] }).results ?? [];
        if (results.length !== rowCount)
          throw new Error(`searchStream batch holds ${results.length} rows, counted ${rowCount}`);
      }
      return results;
    },
  };
}

export interface GoogleAdsClient {
  customer(customerId: string): Customer;
  /**
   * GoogleAdsService.SearchStream, batch by batch as the response arrives. The request and its errors are
   * the library's own (its request builder and its stream-error parser); only the reading differs: the
   * library's queryStream tokenizes every byte with stream-json, about ten times the cost of JSON.parse,
   * so the response's top-level array is split into its messages and each is parsed whole.
   */
  searchStream(customerId: string, query: string): AsyncGenerator<SearchStreamBatch>;
  /** runs fn with this client's route: every library request fn makes goes to the configured base URL */
  run<T>(fn: () => T): T;
  /** a plain REST call on the same route, for endpoints the library only offers over gRPC */
  get<T>(pathAfterVersion: string): Promise<T>;
}

export function createGoogleAdsClient(o: GoogleAdsClientOptions): GoogleAdsClient {
  const axios = libraryAxiosInstance();
  // disable_parsing: keep the REST JSON as Google sent it (int64 as strings), so cost_micros never
  // passes through a float before normalize turns it into an exact decimal
  const api = new googleAdsLib.GoogleAdsApi({
    client_id: o.clientId,
    client_secret: o.clientSecret,
    developer_token: o.developerToken,
    disable_parsing: true,
  });
  const route: Route = {
    baseUrl: (o.baseUrl ?? GOOGLE_ADS_HOST).replace(/\/+$/, ''),
    timeoutMs: o.timeoutMs ?? GOOGLE_ADS_REQUEST_TIMEOUT_MS,
    ...(o.signal ? { signal: o.signal } : {}),
  };
  return {
    customer(customerId) {
      const customer = api.Customer({
        customer_id: customerId,
        refresh_token: o.refreshToken,
        ...(o.loginCustomerId ? { login_customer_id: o.loginCustomerId } : {}),
      });
      customer.getAccessToken = async () => o.accessToken;
      return customer;
    },
    async *searchStream(customerId, query) {
      const customer = this.customer(customerId) as unknown as CustomerInternals;
      let body: AsyncIterable<Buffer>;
      try {
        const args = customer.prepareGoogleAdsServicePostRequestArgs('searchStream', o.accessToken, {
          responseType: 'stream',
          data: { query },
        });
        body = (await routes.run(route, () => axios.request(args))).data as AsyncIterable<Buffer>;
      } catch (err) {
        await customer.handleStreamError(err); // always throws: the GoogleAdsFailure as the library builds it
        throw err;
      }
      for await (const { bytes, arrayObjects } of splitJsonArray(body)) {
        if (arrayObjects > 0) {
          // a batch of rows (an error message holds no array member): parsed only if someone reads them
          yield lazyBatch(bytes, arrayObjects);
          continue;
        }
        const message = JSON.parse(utf8Text(bytes)) as {
          results?: unknown[];
          error?: { message?: string; details?: unknown[] };
        };
        if (message.error) {
          // an error after the stream started (200 already sent): raised as the library raises one before it
          const failure = message.error.details?.[0];
          throw failure
            ? new googleAdsLib.errors.GoogleAdsFailure(failure as never)
            : new Error(message.error.message ?? 'Unknown GoogleAdsFailure', { cause: message.error });
        }
        const results = message.results ?? [];
        yield { bytes, rowCount: results.length, results };
      }
    },
    run: (fn) => routes.run(route, fn),
    get: (pathAfterVersion) =>
      routes.run(route, async () => {
        const res = await axios.get(`${GOOGLE_ADS_HOST}/${GOOGLE_ADS_API_VERSION}/${pathAfterVersion}`, {
          headers: {
            Authorization: `Bearer ${o.accessToken}`,
            'developer-token': o.developerToken,
            ...(o.loginCustomerId ? { 'login-customer-id': o.loginCustomerId } : {}),
          },
        });
        return res.data;
      }),
  };
}
