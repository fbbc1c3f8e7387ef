// The rehearsal's stand-in for the Lambda Node.js runtime, run as `node lambda-runtime.mjs <task dir> <module>
// <export>` in a fresh process whose environment is the function's (the parent sets it). Like the real runtime it
// lives outside the task directory, provides the `awslambda` streaming global, loads the handler module
// (timing that, and the whole init), then answers invocations. It also records every AWS SDK call (service, command,
// input) by wrapping the SDK's Client.send, so the parent can check each against the function's role.
// Messages go over the IPC channel: {type:'ready', moduleLoadMs, sinceStartMs} | {type:'error', ...} |
// {type:'result', ...}. sinceStartMs: from this process's start (Node's time origin) to the handler ready.
// A fifth argument names a file for a CPU profile of the init (`npm run rehearse -- --cpu-prof <dir>`).
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { availableParallelism } from 'node:os';
import { createRequire } from 'node:module';
import path from 'node:path';
import { Writable } from 'node:stream';
import { pathToFileURL } from 'node:url';

const [taskDir, moduleName, exportName, functionName, initProfile] = process.argv.slice(2);
const calls = [];

// The AWS SDK v3 the runtime provides sits in node_modules beside the task directory (and beside this
// file). Its clients extend one Client class (@smithy/core/client; @smithy/smithy-client before); where
// `import` and `require` load different builds of it, both are wrapped.
const requireHere = createRequire(import.meta.url);
const copies = new Set();
for (const id of ['@smithy/core/client', '@smithy/smithy-client']) {
  try {
    copies.add(requireHere(id).Client);
    copies.add((await import(id)).Client);
  } catch {
    // not in this SDK version
  }
}
if (copies.size === 0) throw new Error('the AWS SDK beside the task has no Client class to record calls from');
for (const Client of copies) {
  const originalSend = Client.prototype.send;
  Client.prototype.send = function send(command, ...rest) {
    calls.push({
      service: this.config?.serviceId ?? 'unknown',
      command: command?.constructor?.name ?? 'unknown',
      input: safeJson(command?.input),
    });
    return originalSend.call(this, command, ...rest);
  };
}

function safeJson(value) {
  try {
    return JSON.parse(
      JSON.stringify(value, (_k, v) =>
        v instanceof Uint8Array ? `<${v.length} bytes>` : typeof v === 'bigint' ? String(v) : v,
      ),
    );
  } catch {
    return null;
  }
}

// Lambda's nodejs22.x has Node's `navigator` global (Node 21+). Where this runs on Node 20 it is provided the same
// way, so libraries take the path they take in Lambda: pg, finding no navigator, would otherwise probe for
// Cloudflare Workers by building a fetch Response at load, which loads Node's undici (20-40 ms) at every start.
if (!('navigator' in globalThis)) {
  const major = Number(process.versions.node.split('.')[0]);
  Object.defineProperty(globalThis, 'navigator', {
    configurable: true,
    enumerable: true,
    value: {
      hardwareConcurrency: availableParallelism(),
      language: 'en-US',
      platform: process.platform,
      userAgent: `Node.js/${major}`,
    },
  });
}

const STREAMING = Symbol.for('aws.lambda.runtime.handler.streaming');
globalThis.awslambda = {
  streamifyResponse(handler) {
    handler[STREAMING] = 'response';
    return handler;
  },
  HttpResponseStream: {
    from(stream, prelude) {
      stream.prelude = prelude;
      return stream;
    },
  },
};

function send(message) {
  return new Promise((resolve) => process.send(message, () => resolve()));
}

let handler;
const profiler = initProfile ? new Session() : undefined;
if (profiler) {
  profiler.connect();
  await profiler.post('Profiler.enable');
  await profiler.post('Profiler.setSamplingInterval', { interval: 100 });
  await profiler.post('Profiler.start');
}
const started = performance.now();
try {
  const mod = await import(pathToFileURL(path.join(taskDir, moduleName)).href);
  if (profiler) writeFileSync(initProfile, JSON.stringify((await profiler.post('Profiler.stop')).profile));
  handler = mod[exportName] ?? mod.default?.[exportName];
  if (typeof handler !== 'function') throw new Error(`${moduleName} exports no function ${exportName}`);
  const ready = performance.now();
  await send({ type: 'ready', moduleLoadMs: ready - started, sinceStartMs: ready, calls: calls.splice(0) });
} catch (error) {
  await send({ type: 'error', phase: 'init', message: String(error?.stack ?? error), calls: calls.splice(0) });
  process.exit(1);
}

process.on('message', async ({ id, event }) => {
  const context = {
    awsRequestId: `rehearsal-${id}`,
    functionName,
    getRemainingTimeInMillis: () => 60_000,
    callbackWaitsForEmptyEventLoop: false,
  };
  const began = performance.now();
  try {
    let result;
    if (handler[STREAMING] === 'response') {
      const chunks = [];
      const stream = new Writable({
        write(chunk, _enc, cb) {
          chunks.push(Buffer.from(chunk));
          cb();
        },
      });
      const finished = new Promise((resolve) => stream.on('finish', resolve));
      await handler(event, stream, context);
      if (!stream.writableFinished) await Promise.race([finished, new Promise((r) => setTimeout(r, 5_000))]);
      result = {
        statusCode: stream.prelude?.statusCode,
        headers: stream.prelude?.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      };
    } else {
      result = await handler(event, context);
    }
    await send({
      type: 'result',
      id,
      ms: performance.now() - began,
      result: safeJson(result) ?? null,
      calls: calls.splice(0),
    });
  } catch (error) {
    await send({
      type: 'result',
      id,
      ms: performance.now() - began,
      error: { name: error?.name, message: String(error?.message ?? error) },
      calls: calls.splice(0),
    });
  }
});
