// Converts an official safetensors checkpoint inside the worker (HTTP Range reads, tensor by tensor)
// and stores every produced file in the model store, so the result loads like a downloaded model.
import type { LoadProgress, ModelSource } from './api.ts';
import { residualFor } from './backend.ts';
import { openCheckpoint } from '../src/model/checkpoint/open.ts';
import { UrlLocation } from '../src/model/checkpoint/locations.ts';
import { checkpointSource, convertCheckpoint } from '../src/model/convert.ts';
import { sha256Hex } from '../src/model/shards.ts';
import type { Manifest } from '../src/model/manifest.ts';
import { putChunkAndRecord, putRecord, type ModelRecord } from '../src/store/db.ts';
import { evictOtherVersions, readyModelOf, type ReadyModel } from '../src/store/readModel.ts';
import { DEFAULT_CHUNK_BYTES } from '../src/store/index.ts';

export async function convertIntoStore(
  source: Extract<ModelSource, { kind: 'checkpoint' }>,
  linear: 'nbits' | 'int8',
  onProgress: ((p: LoadProgress) => void) | undefined,
  signal: AbortSignal,
): Promise<ReadyModel> {
  const bits = source.bits ?? 4;
  const residual = residualFor(linear, bits);
  // The last field is the conversion's revision, raised when a format's stored form changes (32 bits: the
  // token table became fp32; int8: layers quantized from the checkpoint's weights, an 8-bit table; 4-bit:
  // the residual pass), so a stored conversion of the older form is a different version, replaced on the next load.
  const revision = linear === 'int8' ? 3 : bits === 32 ? 2 : residual ? 3 : 1;
  const version = `conv-${(await sha256Hex(new TextEncoder().encode(`${source.url}|${bits}|${linear}|${revision}`))).slice(0, 16)}`;
  onProgress?.({ phase: 'manifest', done: 0, total: 0, message: `reading ${source.url}` });
  const ckpt = await openCheckpoint(new UrlLocation(source.url));
  const record: ModelRecord = {
    id: source.id,
    version,
    label: source.id,
    manifest: { id: source.id, version } as Manifest,
    manifestUrl: source.url,
    state: 'downloading',
    chunkBytes: DEFAULT_CHUNK_BYTES,
    totalBytes: 0,
    files: {},
    createdAt: Date.now(),
  };
  await putRecord(record);
  const start = performance.now();
  const out = async (file: string, bytes: Uint8Array) => {
    if (signal.aborted) throw new DOMException('conversion was cancelled', 'AbortError');
    const sha256 = await sha256Hex(bytes);
    const chunks = Math.ceil(bytes.length / record.chunkBytes);
    record.files[file] = { bytes: bytes.length, sha256, chunks: 0, verified: false };
    for (let i = 0; i < chunks; i++) {
      record.files[file].chunks = i + 1;
      await putChunkAndRecord(record, file, i, bytes.slice(i * record.chunkBytes, (i + 1) * record.chunkBytes));
    }
    record.files[file].verified = true;
  };
  try {
    const manifest = await convertCheckpoint(checkpointSource(ckpt), out, {
      bits,
      residual,
      linear,
      version,
      id: source.id,
      label: source.id,
      source: source.url,
      onProgress: (p) => {
        const secs = (performance.now() - start) / 1000;
        const mbps = p.done / 1e6 / Math.max(secs, 1e-3);
        const eta = p.total && p.done ? (secs / p.done) * (p.total - p.done) : undefined;
        onProgress?.({ phase: 'convert', done: p.done, total: p.total, mbps, etaSeconds: eta, message: p.phase });
      },
    });
    Object.assign(record, { manifest, label: manifest.label, totalBytes: manifest.totalBytes, state: 'ready', readyAt: Date.now() });
    await putRecord(record);
    await evictOtherVersions(source.id, version);
    return readyModelOf(record);
  } finally {
    await ckpt.close();
  }
}
