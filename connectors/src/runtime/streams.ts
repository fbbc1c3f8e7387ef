// The stream runtime: runs a connector's declared streams (contract.ts: Stream), so no connector writes a paging
// loop. One extract: find the report type's stream → plan → resume from the cursor → request → send it through
// callPlatform (acquire, classify, throttle) → paginate → yield the page → next state, until the stream is read.
// Retries and resumption after a failure are runExtract's (call.ts): it calls `extract` again with the cursor
// of the last page it yielded, and the stream's `resume` turns that cursor back into a state.
import type {
  AnyStream,
  Connector,
  ConnectorContext,
  ExtractRequest,
  PageOut,
  PlatformRequest,
  RawPage,
  StreamInput,
  StreamIo,
} from '../contract';
import { ConnectorConfigError } from '../contract';
import { callPlatform, classified, pollOrDefer, pollPlatform } from './call';

/** A connector as written: everything but `extract`, which the runtime makes from its streams. */
export type ConnectorDeclaration<Cred> = Omit<Connector<Cred>, 'extract'>;

/** The connector the pipeline runs: the declaration, with `extract` running its streams. */
export function declareConnector<Cred>(declaration: ConnectorDeclaration<Cred>): Connector<Cred> {
  const connector: Connector<Cred> = {
    ...declaration,
    extract: (ctx, request) => extractStreams(connector, ctx, request),
  };
  return connector;
}

/** The stream that serves a report type; an unknown one is the data source's configuration to fix. */
export function streamFor<Cred>(connector: Connector<Cred>, request: ExtractRequest): AnyStream<Cred> {
  const { reportType } = request;
  const stream = connector.streams.find((s) => s.reportTypes.includes(reportType) && (s.when?.(request) ?? true));
  if (!stream)
    throw new ConnectorConfigError(
      `unknown ${connector.displayName} report type ${reportType}`,
      connector.platform,
      `${connector.displayName} has no report "${reportType}".`,
    );
  return stream;
}

/** For a stream's `resume`: a cursor it did not write. */
export function badCursor(connector: { platform: Connector['platform'] }, cursor: string | null): ConnectorConfigError {
  return new ConnectorConfigError(`bad resume cursor ${cursor}`, connector.platform);
}

/** The runtime's request port for a stream's plan step (and a connector's validate/discover): budgeted calls. */
export function streamIo<Cred>(connector: Connector<Cred>, ctx: ConnectorContext<Cred>): StreamIo<Cred> {
  return { ctx, call: (what, send, options) => callPlatform(connector, ctx, what, send, options) };
}

/** One extract of one window: the pages of the report type's stream, from the request's resume cursor on. */
export async function* extractStreams<Cred>(
  connector: Connector<Cred>,
  ctx: ConnectorContext<Cred>,
  request: ExtractRequest,
): AsyncGenerator<RawPage> {
  const stream = streamFor(connector, request);
  const plan: unknown = stream.plan ? await stream.plan(streamIo(connector, ctx), request) : undefined;
  const x: StreamInput<Cred, unknown> = { ctx, request, plan };
  try {
    yield* run(connector, ctx, stream, x);
  } catch (err) {
    stream.failed?.(err, x);
    throw err;
  }
  ctx.logger.info('window extracted', {
    platform: connector.platform,
    reportType: request.reportType,
    window: request.window,
  });
}

async function* run<Cred>(
  connector: Connector<Cred>,
  ctx: ConnectorContext<Cred>,
  stream: AnyStream<Cred>,
  x: StreamInput<Cred, unknown>,
): AsyncGenerator<RawPage> {
  const { request } = x;
  let state: unknown = stream.resume(request.resumeCursor ?? null, x);
  if (state === null) return;
  const job = stream.job;
  if (job?.wanted(state, x)) {
    // an asynchronous job first: started by the stream, polled here until its results can be read
    const io = streamIo(connector, ctx);
    let handle: unknown = await job.start(io, state, x);
    for (;;) {
      const what = job.describe(handle, x);
      const check = () => job.poll(io, handle, x);
      const { maxPolls, delayMs, defer } = job.polling;
      const ready: unknown = defer
        ? await pollOrDefer(
            connector,
            ctx,
            what,
            {
              polls: maxPolls,
              delayMs,
              delayBeforeFirst: job.fresh?.(handle) ?? false,
              resumeCursor: job.cursor!(handle),
              retryAfterMs: defer.retryAfterMs,
            },
            check,
          )
        : await pollPlatform(connector, ctx, what, { maxPolls, delayMs }, check);
      const instead: unknown = job.again ? await job.again(io, handle, ready, x) : null;
      if (instead === null) {
        state = job.ready(state, handle, ready, x);
        break;
      }
      handle = instead;
    }
  }
  let index = 0;
  for (;;) {
    const next: PlatformRequest<unknown> | null = stream.request(state, x);
    if (!next) break;
    const options = next.tag ? { tag: next.tag } : {};
    if ('send' in next) {
      const res = next.unbudgeted
        ? await classified(connector, ctx, next.what, next.send)
        : await callPlatform(connector, ctx, next.what, next.send, options);
      const out = stream.paginate(res, state, x);
      for (const page of pagesOf(out.page)) yield { ...page, index: index++ };
      if (out.next === null) break;
      state = out.next;
      continue;
    }
    // one request, its response in parts: the first part is the call, the rest arrive on the same response;
    // the stream ends with it
    const parts = next.open();
    let part = await callPlatform(connector, ctx, next.what, () => parts.next(), options);
    while (!part.done) {
      const out = stream.paginate(part.value, state, x);
      for (const page of pagesOf(out.page)) yield { ...page, index: index++ };
      if (out.next === null) {
        await parts.return?.();
        break;
      }
      state = out.next;
      part = await classified(connector, ctx, next.what, () => parts.next());
    }
    break;
  }
  const last = stream.end?.(state, x, index);
  if (last) yield { ...last, index: index++ };
}

const pagesOf = (page: PageOut | readonly PageOut[] | undefined): readonly PageOut[] =>
  page === undefined ? [] : Array.isArray(page) ? page : [page as PageOut];
