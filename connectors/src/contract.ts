// The connector contract: what every platform folder (connectors/src/<platform>/) implements.
// A connector states what it is (identity, auth, catalog, streams); the runtime (connectors/src/runtime/)
// handles retries, rate budgets, windows and resumption. Modelled on Airbyte's declarative streams.
//
// This file is the contract only: types and the error classes the pipeline's retries key on.
import type * as z from 'zod';
import type { FactRow } from '@tributary/shared/domain/fact-row';
import type { Platform } from '@tributary/shared/domain/platform';

// ---------------------------------------------------------------------------------------------------
// Errors, classified once. The class name is the contract: Step Functions `Retry` matches on it
// (`this.name = new.target.name`), so only RateLimitedError and TransientPlatformError are retried there.

export type ConnectorErrorKind =
  'rate_limited' | 'transient' | 'auth_expired' | 'permission_denied' | 'invalid_request' | 'fatal' | 'not_ready';

export abstract class ConnectorError extends Error {
  abstract readonly kind: ConnectorErrorKind;
  constructor(
    message: string,
    readonly platform: Platform,
    /** safe to show a user: what went wrong and what to do about it */
    readonly userMessage: string = message,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = new.target.name;
  }
}
/** The platform asked us to slow down; wait `retryAfterMs` (as the platform told us) and try again. */
export class RateLimitedError extends ConnectorError {
  readonly kind = 'rate_limited' as const;
  /**
   * A period's quota is used up (GA4's tokens per hour or per day): every call fails until it returns, so the
   * worker does not sleep through the wait; the error goes to the pipeline, which reschedules the window.
   */
  readonly quotaExhausted: boolean;
  constructor(
    message: string,
    platform: Platform,
    readonly retryAfterMs: number,
    options?: { cause?: unknown; quotaExhausted?: boolean },
  ) {
    super(message, platform, `${message} (retrying in ${Math.ceil(retryAfterMs / 1000)} s)`, options);
    this.quotaExhausted = options?.quotaExhausted ?? false;
  }
}
/** 5xx, timeouts, dropped connections: retry with backoff and jitter. */
export class TransientPlatformError extends ConnectorError {
  readonly kind = 'transient' as const;
}
/** The access token expired or was revoked: refresh once, then ask the user to reconnect. */
export class ConnectorAuthError extends ConnectorError {
  readonly kind = 'auth_expired' as const;
}
/** The login works but may not see this account or report: the user must grant access. */
export class PermissionDeniedError extends ConnectorError {
  readonly kind = 'permission_denied' as const;
}
/** Our request was wrong for this account (bad field, unknown account): fix the configuration. */
export class ConnectorConfigError extends ConnectorError {
  readonly kind = 'invalid_request' as const;
}
/**
 * An asynchronous platform job (an Amazon Ads report, a Shopify bulk operation) is still running. Not a
 * failure: the worker records `resumeCursor` (which names the job) on its work item and hands the wait to
 * the state machine's Wait state; the next extract resumes from the cursor and polls the same job instead
 * of starting another. Thrown before the window's first page only: nothing is loaded yet when it is.
 */
export class ReportNotReadyError extends ConnectorError {
  readonly kind = 'not_ready' as const;
  constructor(
    message: string,
    platform: Platform,
    readonly retryAfterMs: number,
    readonly resumeCursor: string,
    options?: { cause?: unknown },
  ) {
    super(message, platform, `${message} (checking again in ${Math.ceil(retryAfterMs / 1000)} s)`, options);
  }
}
/** Anything else that retrying will not fix (a malformed page, an unknown response shape). */
export class FatalConnectorError extends ConnectorError {
  readonly kind = 'fatal' as const;
}

// ---------------------------------------------------------------------------------------------------
// Auth

export interface OAuth2Spec {
  kind: 'oauth2';
  authorizeUrl: string;
  tokenUrl: string;
  scopes: readonly string[];
  pkce: boolean;
  /** extra query parameters for the authorize URL (e.g. access_type=offline, prompt=consent) */
  authorizeParams?: Record<string, string>;
  /**
   * Credential fields the user names before the consent page, sent with the OAuth start (Shopify's `shop`: its
   * consent page lives on the store's own host). Labels come from the credential schema's metadata.
   */
  startFields?: readonly string[];
  /**
   * When the platform also connects without the consent flow (a private API key, a custom app's token): the
   * credential fields the user types in instead. The dashboard then offers both ways.
   */
  keyFields?: readonly string[];
}
/**
 * How the dashboard asks for a credential field: the credential schema's fields carry zod metadata,
 * `z.string().meta({ title: 'Private API key', description: 'Settings → API keys', secret: true })`;
 * the platform catalog (GET /api/v1/platforms) reads it, so a connect form needs no per-platform code.
 */
declare module 'zod' {
  interface GlobalMeta {
    /** typed into a masked field and never shown again */
    secret?: boolean;
  }
}

export interface ApiKeySpec {
  kind: 'api_key';
  /** the credential's fields the user fills in, e.g. ['api_key'] or ['api_token', 'user_id'] */
  fields: readonly string[];
}
export type AuthSpec = OAuth2Spec | ApiKeySpec;

/** What the user named before the consent page (auth.startFields), by field name: Shopify's shop, Amazon's region. */
export type StartValues = Readonly<Record<string, string>>;

/** Tokens as the OAuth exchange or refresh returned them. */
export interface OAuthTokens {
  accessToken: string;
  refreshToken?: string;
  /** epoch ms */
  expiresAt?: number;
  scope?: string;
  tokenType?: string;
}

// ---------------------------------------------------------------------------------------------------
// Catalog

export interface AccountInfo {
  id: string;
  name: string;
  /** ISO 4217 */
  currency: string;
  /** IANA time zone the platform reports days in */
  timeZone: string;
}

export interface ReportTypeInfo {
  /** stable id, stored as extracted_data.data_type, e.g. 'campaign_daily' */
  id: string;
  name: string;
  dimensions: readonly string[];
  metrics: readonly string[];
  /** how many recent days the platform keeps restating; they are always extracted again */
  lookbackDays: number;
}

export interface Catalog {
  accounts: AccountInfo[];
  reportTypes: ReportTypeInfo[];
}

// ---------------------------------------------------------------------------------------------------
// Extraction

/** Inclusive day range in the account's time zone, YYYY-MM-DD. */
export interface DateWindow {
  start: string;
  end: string;
}

export interface ExtractRequest {
  account: AccountInfo;
  reportType: string;
  window: DateWindow;
  /** where a retried worker resumes: the cursor of the last page it fully loaded, if any */
  resumeCursor?: string | null;
  /** the data source's own options (extraction_config.options) as the connector's resolveOptions completed them */
  options?: Readonly<Record<string, string>>;
}

/** One page as the platform sent it, plus what is needed to resume after it. */
export interface RawPage {
  /** the platform's own response body (parsed JSON), archived to S3 as is */
  body: unknown;
  /**
   * The body's bytes exactly as the platform sent them (one JSON value), in the pieces they arrived in,
   * when the connector read them itself: archived instead of serializing `body` again.
   */
  raw?: readonly Buffer[];
  /** opaque; passed back as resumeCursor to continue after this page */
  cursor: string | null;
  /** page number within this extract call, from 0 */
  index: number;
}

export interface RecordMeta {
  account: AccountInfo;
  reportType: string;
  window: DateWindow;
}

export interface Logger {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

/** Per-credential rate budget shared by every concurrent worker (DynamoDB in AWS, dynalite locally). */
export interface RateLimiter {
  /**
   * Waits until one more call on `bucket` (with `tag`: see RatePolicy.tag) is within the platform's limits, then takes
   * it.
   */
  acquire(bucket: string, signal?: AbortSignal, tag?: string): Promise<void>;
  /** The platform told us to back off: nobody on this bucket calls before `untilMs` (epoch ms). */
  pauseUntil(bucket: string, untilMs: number): Promise<void>;
}

/**
 * Everything a connector gets from outside. Credentials are decrypted; `baseUrls` is how a sandbox
 * stands in for the real API (each connector documents the keys it reads); `onTokensRefreshed` lets
 * the caller persist a refreshed token through the secret store.
 */
export interface ConnectorContext<Cred> {
  credential: Cred;
  baseUrls: Readonly<Record<string, string>>;
  rateLimiter: RateLimiter;
  /**
   * the limiter bucket shared by every worker of this credential, e.g. `google_ads:<credential id>`; defaults to the
   * platform
   */
  rateBucket?: string;
  logger: Logger;
  signal?: AbortSignal;
  onTokensRefreshed?: (credential: Cred) => Promise<void>;
  /**
   * The deployment's OAuth app for this platform (client id, secret, Google Ads developer token). It is given
   * here, per call, and never stored in a tenant's credential: a refresh uses it unless the credential names
   * an app of its own.
   */
  oauthClient?: OAuthClientConfig;
  /** injectable clock and sleep, so tests of waits run instantly */
  now?: () => number;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

/** A pinned platform API version and its published end: declared once per connector, checked at start-up. */
export interface ApiVersionPin {
  /** as the platform names it in its URLs, e.g. 'v25', 'v26.0', 'v1beta' */
  version: string;
  /** YYYY-MM-DD, the first day the platform no longer serves it; null when the platform has published none */
  sunset: string | null;
  /** where the sunset date comes from (or why there is none), for whoever updates it */
  source: string;
}

export interface RatePolicy {
  /** calls allowed per interval */
  limit: number;
  intervalMs: number;
  /**
   * A period quota (calls per day): once spent, a call does not wait for it in-process; it fails with
   * RateLimitedError (quotaExhausted) and the pipeline reschedules the window for when the quota returns.
   */
  quota?: boolean;
  /**
   * Only calls made with this tag count (callPlatform's `tag`): a platform whose endpoints have limits of their
   * own (Klaviyo's reports: 2 a minute; its accounts and metrics: far more). Untagged policies count every call.
   */
  tag?: string;
}

/**
 * Thrown by RateLimiter.acquire when a `quota` policy is spent, or the credential is paused for longer than a
 * worker should sleep (a platform's spent daily quota): the window is rescheduled instead.
 */
export class RateBudgetSpentError extends Error {
  constructor(
    readonly retryAfterMs: number,
    readonly policy?: RatePolicy,
  ) {
    super(
      policy
        ? `the rate budget of ${policy.limit} calls per ${Math.round(policy.intervalMs / 3_600_000)} h is spent`
        : `the credential is paused for ${Math.ceil(retryAfterMs / 60_000)} min`,
    );
    this.name = 'RateBudgetSpentError';
  }
}

// ---------------------------------------------------------------------------------------------------
// Streams: what a connector declares about extraction; the runtime (runtime/streams.ts) runs them. A stream is
// an Airbyte manifest entry (or a Singer SDK stream) in TypeScript: a request builder, a paginator, a cursor.
// The runtime owns the loop: acquire → call → classify → (runExtract: retry → resume from cursor) → yield.

/** One page as a stream's paginator hands it to the runtime, which numbers it. */
export interface PageOut {
  body: unknown;
  raw?: readonly Buffer[];
  cursor: string | null;
}

/** The one platform request a stream makes next, built from its state. `send` and `open` only do the I/O. */
export type PlatformRequest<Res> = {
  /** what the request is for, in the words of logs and error messages */
  what: string;
  /** the rate policy tag it counts against (RatePolicy.tag) */
  tag?: string;
  /** off the rate budget (a presigned file download, not the platform's API): classified, not budgeted */
  unbudgeted?: boolean;
} & (
  | { send: () => Promise<Res> }
  /**
   * One request whose response arrives in parts (Google Ads' searchStream): the first part is the request, paid
   * from the rate budget; later parts are the same response arriving, classified but not budgeted. The stream
   * ends with the response's last part.
   */
  | { open: () => AsyncIterator<Res> }
);

/** What the runtime gives a stream's plan step (and nothing else may make calls): budgeted, classified requests. */
export interface StreamIo<Cred> {
  readonly ctx: ConnectorContext<Cred>;
  call<T>(what: string, send: () => Promise<T>, options?: { tag?: string }): Promise<T>;
}

/** Everything a stream's builders see: the context (credential, base URLs), the request and the plan. */
export interface StreamInput<Cred, Plan> {
  ctx: ConnectorContext<Cred>;
  request: ExtractRequest;
  plan: Plan;
}

/**
 * An asynchronous platform job a stream waits for before it reads the job's results (Meta's async report run):
 * the stream starts it, the runtime polls it (its waits, its budget) until it is ready, then the stream's
 * requests read its results from the state `ready` returns.
 */
export interface StreamJob<Cred, Plan, State, Job, Ready = true> {
  /** whether this state must run a job first (a state resumed from a page of a job's results already names it) */
  wanted(state: State, x: StreamInput<Cred, Plan>): boolean;
  /** starts the job (its requests through `io`) and returns what names it */
  start(io: StreamIo<Cred>, state: State, x: StreamInput<Cred, Plan>): Promise<Job>;
  /** one poll (through `io`): what reads the results once they can be read, else undefined; a failed job throws */
  poll(io: StreamIo<Cred>, job: Job, x: StreamInput<Cred, Plan>): Promise<Ready | undefined>;
  /**
   * The runtime's polling: at most maxPolls polls, waiting delayMs(poll) before each one after the first. With
   * `defer`, a job still running after them is handed to the state machine's Wait state (ReportNotReadyError
   * with `cursor(job)`), and the next extract resumes from that cursor instead of starting another job.
   */
  polling: { maxPolls: number; delayMs(poll: number): number; defer?: { retryAfterMs: number } };
  /** with polling.defer: the resume cursor that names the running job */
  cursor?(job: Job): string;
  /** whether the job was just started (known to be running): the first poll waits too */
  fresh?(job: Job): boolean;
  /**
   * Optional: a job that ended but failed at the platform (Amazon's FAILED report) → the job started in its
   * place, which the runtime polls anew; null when the result is usable. Throws when it may not be tried again.
   */
  again?(io: StreamIo<Cred>, job: Job, ready: Ready, x: StreamInput<Cred, Plan>): Promise<Job | null>;
  /** the job in the words of logs and error messages */
  describe(job: Job, x: StreamInput<Cred, Plan>): string;
  /** the state that reads the ready job's results */
  ready(state: State, job: Job, ready: Ready, x: StreamInput<Cred, Plan>): State;
}

/**
 * A stream of one report type (or a family): the runtime resumes it from the cursor, asks `request` for the next
 * call, sends it, hands the response to `paginate`, yields the page (if any) and goes on from the next state
 * until there is none. States are the stream's own; only a page's cursor (a string) leaves the process.
 */
export interface Stream<Cred, Plan = undefined, State = unknown, Res = unknown> {
  reportTypes: readonly string[];
  /**
   * Optional: whether this stream serves the request, when several serve one report type (Shopify: short windows
   * page the orders query, long ones go through a bulk operation). The first stream that does is run.
   */
  when?(request: ExtractRequest): boolean;
  /**
   * Optional, once per extract before the first request: what every request of the window needs (the brand's
   * connected networks, the report's fields). Calls go through `io`; a failure here is retried like any call.
   */
  plan?(io: StreamIo<Cred>, request: ExtractRequest): Promise<Plan>;
  /** Optional: the asynchronous job to run before the requests, when `job.wanted` says the state needs one. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the job's handle is the stream's own
  job?: StreamJob<Cred, Plan, State, any, any>;
  /** The resume cursor (null: the window's start) → the state to go on from; null when nothing is left. */
  resume(cursor: string | null, x: StreamInput<Cred, Plan>): State | null;
  /** Request builder: the call to make in this state, or null when the window is read. */
  request(state: State, x: StreamInput<Cred, Plan>): PlatformRequest<Res> | null;
  /**
   * Paginator: a response (or a part of one) → the page(s) it completes, if any (a file of many days is many
   * pages), and the next state; null when the window is read.
   */
  paginate(
    res: Res,
    state: State,
    x: StreamInput<Cred, Plan>,
  ): { page?: PageOut | readonly PageOut[]; next: State | null };
  /** Optional: told of a failure of this extract before it is passed on (to forget a job that will not serve). */
  failed?(err: unknown, x: StreamInput<Cred, Plan>): void;
  /** Optional: a closing page after the last request (one empty page for a window without rows). */
  end?(state: State, x: StreamInput<Cred, Plan>, pages: number): PageOut | undefined;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- streams differ in plan, state and response
export type AnyStream<Cred> = Stream<Cred, any, any, any>;

export interface Connector<Cred = unknown> {
  platform: Platform;
  displayName: string;
  /**
   * the platform API version this connector speaks and the day the platform stops serving it (runtime/api-versions.ts)
   */
  apiVersion: ApiVersionPin;
  auth: AuthSpec;
  /** the secret stored per credential (tokens, keys, client ids); validated at the API edge */
  credentialSchema: z.ZodType<Cred>;
  /** the limits we hold ourselves to, per credential; comments cite the platform's limits page */
  rateLimits: readonly RatePolicy[];
  /**
   * The report types this connector extracts, the same for every account (discover returns them too). A run
   * plans from this list and the data source's stored account, without a call when the account is fresh.
   */
  reportTypes: readonly ReportTypeInfo[];
  /**
   * How far back the platform serves report data, in calendar months before the current month: a backfill
   * that starts earlier is refused (400) rather than failing window after window at the platform.
   */
  dataRetentionMonths?: number;
  /**
   * The same in days, for platforms whose retention is shorter than months can say (Amazon Ads keeps about 95
   * days): when set, it is the bound, checked in the same places as dataRetentionMonths.
   */
  dataRetentionDays?: number;

  /**
   * How many windows of one run extract at once (the state machine's Map MaxConcurrency). The shared rate
   * budget, not this, decides when each call goes out.
   */
  maxConcurrency: number;
  /** A run's day range is split into windows of at most this many days, one work item each. */
  windowDays: number;
  /** The deployment's OAuth app this connector's consent flow uses (one Google app, one Meta app). */
  oauthApp?: 'google' | 'meta' | 'klaviyo' | 'shopify' | 'amazon';
  /**
   * Whether a page's RawPage.raw is the JSON text of its body, so the page can be normalized from its bytes
   * alone on the page encoder's thread (normalizers.ts loads its normalize module there).
   */
  normalizesRawBytes?: boolean;
  /**
   * What the platform answered (HTTP status and body, an SDK's error, a dropped connection) as one of the
   * contract's error classes. The runtime (runtime/call.ts) calls it for every failed request; nothing else
   * in the connector catches, sleeps or retries.
   */
  classifyError(err: unknown, at: { what: string; nowMs: number }): ConnectorError;
  /**
   * Optional: after a request that succeeded, how long every worker of the credential should pause (ms),
   * when the platform reports that usage is close to its limit; undefined to go on.
   */
  throttleHint?(result: unknown): number | undefined;

  /** One cheap live call: resolves if the credential works, else throws a classified ConnectorError. */
  validate(ctx: ConnectorContext<Cred>): Promise<void>;
  /** Accounts this login can see and the report types the platform offers. */
  discover(ctx: ConnectorContext<Cred>): Promise<Catalog>;
  /**
   * Optional: the catalog narrowed to one account, in as few calls as the platform allows. A run plans with
   * it when present: discover may walk every account a login sees (one call each under a Google Ads
   * manager), and a run needs only its own. `accounts` is empty when the login cannot see the account.
   */
  catalogFor?(ctx: ConnectorContext<Cred>, accountId: string): Promise<Catalog>;
  /**
   * Optional: checks a data source's own options (extraction_config.options, e.g. Klaviyo's conversion metric)
   * against the account, in as few calls as the platform allows, and returns them complete (defaults filled
   * in). Throws ConnectorConfigError naming what is wrong. A connector without it takes no options.
   */
  resolveOptions?(
    ctx: ConnectorContext<Cred>,
    account: AccountInfo,
    options: Readonly<Record<string, string>>,
  ): Promise<Record<string, string>>;
  /**
   * OAuth only: when the stored access token stops working (epoch ms), null when there is none yet, Infinity
   * when it does not expire. A run refreshes a token near its end once, before its windows start, so the
   * windows share one token instead of each refreshing it at the same moment.
   */
  accessTokenExpiresAt?(credential: Cred): number | null;
  /** What extraction asks the platform for, per report type: the runtime runs these (runtime/streams.ts). */
  streams: readonly AnyStream<Cred>[];
  /**
   * Raw pages for one account, report type and window, page by page, never the whole window at once. Written
   * by no connector: `declareConnector` (runtime/streams.ts) makes it the runtime's run of `streams`.
   */
  extract(ctx: ConnectorContext<Cred>, request: ExtractRequest): AsyncIterable<RawPage>;
  /** Pure: no I/O, no clock. Unknown metrics land in extraMetrics; missing ones are tolerated. */
  normalize(page: RawPage, meta: RecordMeta): FactRow[];

  /**
   * OAuth2 only: the consent URL to send the user to. Built from `baseUrls` so a sandbox's authorize page
   * stands in for the platform's; `codeChallenge` is the PKCE S256 challenge when auth.pkce is set.
   */
  buildAuthorizeUrl?(args: {
    clientId: string;
    redirectUri: string;
    state: string;
    codeChallenge?: string;
    baseUrls: Readonly<Record<string, string>>;
    start?: StartValues;
  }): string;
  /**
   * OAuth2 only: exchange an authorization code, and refresh. `shop`: the store the user named when the flow
   * started, for platforms whose OAuth lives on each store's own host (Shopify's name.myshopify.com).
   */
  exchangeCode?(args: {
    code: string;
    redirectUri: string;
    codeVerifier?: string;
    client: OAuthClientConfig;
    baseUrls: Readonly<Record<string, string>>;
    start?: StartValues;
  }): Promise<Cred>;
  refresh?(ctx: ConnectorContext<Cred>): Promise<Cred>;
}

/** The OAuth app registered with the platform (client id and secret come from deployment config). */
export interface OAuthClientConfig {
  clientId: string;
  clientSecret: string;
  /** Google Ads only: the developer token */
  developerToken?: string;
}
