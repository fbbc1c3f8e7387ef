// The connector runtime: every platform request of every connector goes through this module, which owns
// acquire → call → classify → retry → resume. A connector only declares (its rate budget, its classifyError,
// its throttleHint) and makes its requests through `callPlatform`; it never calls the limiter, sleeps or
// retries by itself.
//
// Retry policy, per failed request:
//   RateLimitedError       -> tell the shared limiter (so other workers on the credential pause too),
//                             wait exactly retryAfterMs, try again; an exhausted period quota (or a wait
//                             longer than maxRateLimitWaitMs) is thrown to the pipeline instead
//   TransientPlatformError -> back off exponentially with full jitter (AWS Architecture Blog,
//                             "Exponential Backoff And Jitter": spreads retries of concurrent workers)
//   ConnectorAuthError     -> refresh the token ONCE (connector.refresh), persist it, try again; a second
//                             auth failure is the user's to fix
//   anything else          -> thrown at once: retrying a bad request or a malformed page changes nothing
// `runExtract` adds resumption: after a failure it continues from the cursor of the last page it yielded,
// so a retried window never yields a page twice.
//
// The attempt budget: a request is tried IN_PROCESS_ATTEMPTS times by one worker, and the state machine runs
// a worker whose platform failed transiently STATE_MACHINE_RUNS times in all (its Extract and Plan Retry for
// TransientPlatformError: MaxAttempts = STATE_MACHINE_RUNS - 1, checked by a test against the ASL file). So
// a request that keeps failing is sent at most MAX_ATTEMPTS_PER_CALL times, wherever the retry happens.
import type { Connector, ConnectorContext, ExtractRequest, RawPage } from '../contract';
import {
  ConnectorAuthError,
  ConnectorError,
  FatalConnectorError,
  RateBudgetSpentError,
  RateLimitedError,
  ReportNotReadyError,
  TransientPlatformError,
} from '../contract';
import { isNetworkError } from './classify';
import { systemSleep } from './sleep';

export interface RetryOptions {
  /** attempts per call, the first included (rate-limit waits count too) */
  maxAttempts?: number;
  baseDelayMs?: number;
  maxDelayMs?: number;
  /** a platform wait longer than this is not slept through in-process: the error goes to the pipeline to reschedule */
  maxRateLimitWaitMs?: number;
  /** [0,1): injectable so tests can pin the jitter */
  random?: () => number;
}

/** tries of one request by one worker (rate-limit waits count too) */
export const IN_PROCESS_ATTEMPTS = 4;
/** worker runs the state machine makes for one item or plan whose platform failed transiently */
export const STATE_MACHINE_RUNS = 2;
/** the most times one request is sent, in-process and state-machine retries together */
export const MAX_ATTEMPTS_PER_CALL = IN_PROCESS_ATTEMPTS * STATE_MACHINE_RUNS;

const DEFAULTS = {
  maxAttempts: IN_PROCESS_ATTEMPTS,
  baseDelayMs: 1_000,
  maxDelayMs: 60_000,
  maxRateLimitWaitMs: 15 * 60_000,
} as const;

/** The limiter key shared by every worker of one credential. */
export function rateBucket(ctx: ConnectorContext<unknown>, platform: string): string {
  return ctx.rateBucket ?? platform;
}

/**
 * One platform request: takes a unit of the credential's rate budget, sends it, classifies a failure with
 * the connector's classifyError, and pauses the credential when the connector's throttleHint says usage is
 * near the platform's limit. Retrying is the caller's (withRetries / runExtract), never the connector's.
 */
export async function callPlatform<Cred, T>(
  connector: Connector<Cred>,
  ctx: ConnectorContext<Cred>,
  what: string,
  fn: () => Promise<T>,
  options: { tag?: string } = {},
): Promise<T> {
  const bucket = rateBucket(ctx as ConnectorContext<unknown>, connector.platform);
  try {
    await ctx.rateLimiter.acquire(bucket, ctx.signal, options.tag);
  } catch (err) {
    if (!(err instanceof RateBudgetSpentError)) throw err;
    const resumesAt = new Date((ctx.now ?? Date.now)() + err.retryAfterMs).toISOString().slice(0, 16).replace('T', ' ');
    const spent = err.policy ? `its quota of ${err.policy.limit} calls is used up` : 'its quota is used up';
    throw new RateLimitedError(
      `${connector.displayName}: ${spent}; the extraction continues at ${resumesAt} UTC`,
      connector.platform,
      err.retryAfterMs,
      { quotaExhausted: true },
    );
  }
  const result = await classified(connector, ctx, what, fn);
  const pauseMs = connector.throttleHint?.(result);
  if (pauseMs !== undefined && pauseMs > 0) {
    ctx.logger.info('platform usage is near its limit; pausing this credential', {
      platform: connector.platform,
      what,
      pauseMs,
    });
    await ctx.rateLimiter.pauseUntil(bucket, (ctx.now ?? Date.now)() + pauseMs);
  }
  return result;
}

/**
 * Polls a platform job (an async report run) until `check` returns a value, waiting `delayMs(poll)` before
 * each poll after the first: the wait is the runtime's, so a connector never sleeps. Each poll is the
 * connector's own budgeted request. A job that is not done after `maxPolls` is transient: a retry starts anew.
 */
export async function pollPlatform<Cred, T>(
  connector: Connector<Cred>,
  ctx: ConnectorContext<Cred>,
  what: string,
  o: { maxPolls: number; delayMs: (poll: number) => number },
  check: () => Promise<T | undefined>,
): Promise<T> {
  const sleep = ctx.sleep ?? systemSleep;
  for (let poll = 0; poll < o.maxPolls; poll++) {
    if (poll > 0) await sleep(o.delayMs(poll), ctx.signal);
    const done = await check();
    if (done !== undefined) return done;
  }
  throw new TransientPlatformError(`${what} did not finish after ${o.maxPolls} polls`, connector.platform);
}

/**
 * Polls a platform job that may take hours (an Amazon Ads report, a Shopify bulk operation) a few times within
 * this invocation, then hands the wait to the state machine: a job still running after `polls` polls is a
 * ReportNotReadyError carrying `resumeCursor` (which names the job), so the next extract polls the same job
 * instead of starting another. `delayBeforeFirst`: the job was just started and is known to be running, so
 * the first poll waits too; after a state-machine wait it goes out at once. The waits are the runtime's.
 */
export async function pollOrDefer<Cred, T>(
  connector: Connector<Cred>,
  ctx: ConnectorContext<Cred>,
  what: string,
  o: {
    polls: number;
    delayMs: (poll: number) => number;
    delayBeforeFirst: boolean;
    resumeCursor: string;
    retryAfterMs: number;
  },
  check: () => Promise<T | undefined>,
): Promise<T> {
  const sleep = ctx.sleep ?? systemSleep;
  for (let poll = 0; poll < o.polls; poll++) {
    if (poll > 0 || o.delayBeforeFirst) await sleep(o.delayMs(poll), ctx.signal);
    const done = await check();
    if (done !== undefined) return done;
  }
  throw new ReportNotReadyError(`${what} is not ready yet`, connector.platform, o.retryAfterMs, o.resumeCursor);
}

/** A step of a request already paid for (the next batch of a response being streamed): classified, not budgeted. */
export async function classified<Cred, T>(
  connector: Connector<Cred>,
  ctx: ConnectorContext<Cred>,
  what: string,
  fn: () => Promise<T>,
): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof ConnectorError) throw err;
    throw connector.classifyError(err, { what, nowMs: (ctx.now ?? Date.now)() });
  }
}

/** Anything a connector let through unclassified: network failures are transient, the rest fatal. */
export function asConnectorError(connector: Connector<never> | Connector<any>, err: unknown): ConnectorError {
  if (err instanceof ConnectorError) return err;
  const message = err instanceof Error ? err.message : String(err);
  if (isNetworkError(err))
    return new TransientPlatformError(
      `network failure talking to ${connector.displayName}: ${message}`,
      connector.platform,
      undefined,
      { cause: err },
    );
  return new FatalConnectorError(
    `unexpected failure in the ${connector.displayName} connector: ${message}`,
    connector.platform,
    undefined,
    { cause: err },
  );
}

class RetryState<Cred> {
  attempt = 0;
  refreshed = false;
  constructor(
    readonly connector: Connector<Cred>,
    public ctx: ConnectorContext<Cred>,
    private readonly options: RetryOptions,
  ) {}

  /** Resolves when the failed call may be tried again; throws the classified error when it may not. */
  async handle(raw: unknown, what: string): Promise<void> {
    const err = asConnectorError(this.connector as Connector<any>, raw);
    const { ctx, connector } = this;
    const o = { ...DEFAULTS, ...this.options };
    if (ctx.signal?.aborted) throw err;
    this.attempt++;
    if (err instanceof ConnectorAuthError) {
      if (this.refreshed || !connector.refresh) throw err;
      this.refreshed = true;
      ctx.logger.info('access token rejected; refreshing once', { platform: connector.platform, what });
      let credential: Cred;
      try {
        credential = await connector.refresh(ctx);
      } catch (refreshErr) {
        throw asConnectorError(connector as Connector<any>, refreshErr);
      }
      await ctx.onTokensRefreshed?.(credential);
      this.ctx = { ...ctx, credential };
      return;
    }
    if (this.attempt >= o.maxAttempts) throw err;
    const sleep = ctx.sleep ?? systemSleep;
    const now = ctx.now ?? Date.now;
    if (err instanceof RateLimitedError) {
      if (err.quotaExhausted) {
        // the other workers of this credential stop too; this one hands the window back to the pipeline
        await ctx.rateLimiter.pauseUntil(
          rateBucket(ctx as ConnectorContext<unknown>, connector.platform),
          now() + err.retryAfterMs,
        );
        throw err;
      }
      if (err.retryAfterMs > o.maxRateLimitWaitMs) throw err;
      await ctx.rateLimiter.pauseUntil(
        rateBucket(ctx as ConnectorContext<unknown>, connector.platform),
        now() + err.retryAfterMs,
      );
      ctx.logger.info('rate limited; waiting as the platform asked', {
        platform: connector.platform,
        what,
        retryAfterMs: err.retryAfterMs,
        attempt: this.attempt,
      });
      await sleep(err.retryAfterMs, ctx.signal);
      return;
    }
    if (err instanceof TransientPlatformError) {
      const cap = Math.min(o.maxDelayMs, o.baseDelayMs * 2 ** (this.attempt - 1));
      const delayMs = Math.floor((this.options.random ?? Math.random)() * cap);
      ctx.logger.info('transient failure; backing off', {
        platform: connector.platform,
        what,
        delayMs,
        attempt: this.attempt,
        error: err.message,
      });
      await sleep(delayMs, ctx.signal);
      return;
    }
    throw err;
  }
}

/**
 * Runs one platform call with the retry policy above. `op` receives the context to use: after a token
 * refresh it carries the new credential.
 */
export async function withRetries<Cred, T>(
  connector: Connector<Cred>,
  ctx: ConnectorContext<Cred>,
  op: (ctx: ConnectorContext<Cred>) => Promise<T>,
  options: RetryOptions = {},
): Promise<T> {
  const state = new RetryState(connector, ctx, options);
  for (;;) {
    try {
      return await op(state.ctx);
    } catch (err) {
      await state.handle(err, 'call');
    }
  }
}

/**
 * `connector.extract` with retries and resumption. Pages are re-indexed from 0 across resumptions;
 * a failure after a page that gave no cursor cannot resume without repeating it, so it is thrown.
 */
export async function* runExtract<Cred>(
  connector: Connector<Cred>,
  ctx: ConnectorContext<Cred>,
  request: ExtractRequest,
  options: RetryOptions = {},
): AsyncGenerator<RawPage> {
  const state = new RetryState(connector, ctx, options);
  let resumeCursor = request.resumeCursor ?? null;
  let yielded = 0;
  let unresumable = false;
  for (;;) {
    try {
      for await (const page of connector.extract(state.ctx, { ...request, resumeCursor })) {
        yield { ...page, index: yielded++ };
        resumeCursor = page.cursor;
        unresumable = page.cursor === null;
      }
      return;
    } catch (err) {
      if (unresumable) throw asConnectorError(connector as Connector<any>, err);
      await state.handle(err, `${request.reportType} ${request.window.start}..${request.window.end}`);
    }
  }
}
