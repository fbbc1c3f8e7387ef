// The page encoder's thread (see page-encoder.ts): parses a page's raw bytes, normalizes them with the
// platform's normalizer and encodes the rows with the fact loader's encoder (hashes and text of every row,
// in typed arrays that are transferred back). Loads only the normalizers and the encoder, never a platform SDK.
import { isAscii } from 'node:buffer';
import { parentPort } from 'node:worker_threads';
import { rawBytesNormalizer, type PageNormalizer } from '@tributary/connectors/normalizers';
import { encodeFactsToTransfer, factBatchTransferList } from '@tributary/shared/facts/fact-encoder';
import type { EncodeRequest, EncodeReply } from './page-encoder';

const normalizers = new Map<string, Promise<PageNormalizer>>();

async function encode(request: EncodeRequest): Promise<EncodeReply> {
  try {
    const load = rawBytesNormalizer(request.platform);
    if (!load) throw new Error(`no off-thread normalizer for ${request.platform}`);
    let normalizer = normalizers.get(request.platform);
    if (!normalizer) normalizers.set(request.platform, (normalizer = load()));
    const raw = Buffer.from(request.raw.buffer, request.raw.byteOffset, request.raw.byteLength);
    // ASCII (nearly every page) decodes as Latin-1, a copy, several times faster than UTF-8 decoding
    const body: unknown = JSON.parse(isAscii(raw) ? raw.toString('latin1') : raw.toString('utf8'));
    const rows = (await normalizer)({ body, raw: [raw], cursor: null, index: 0 }, request.meta);
    return { id: request.id, batch: encodeFactsToTransfer(rows) };
  } catch (err) {
    const e = err instanceof Error ? err : new Error(String(err));
    return { id: request.id, error: { name: e.name, message: e.message } };
  }
}

parentPort!.on('message', (request: EncodeRequest) => {
  void encode(request).then((reply) =>
    parentPort!.postMessage(reply, reply.batch ? factBatchTransferList(reply.batch) : []),
  );
});
