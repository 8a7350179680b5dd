// `sift convert <checkpoint-dir-or-url> <out-dir> [--kind reranker|embedding] [--bits 4|4+4|8|32] [--embed-bits 4|8|32] [--linear nbits|int8] [--roles ROLE=FORMAT,…|none] [--int8-weights u8|s8] [--graph-format ort|onnx] [--shard-mb N] [--id ID]`
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { openCheckpoint } from '../model/checkpoint/open.ts';
import { UrlLocation } from '../model/checkpoint/locations.ts';
import { NodeDirLocation } from '../model/checkpoint/nodeFiles.ts';
import { checkpointSource, convertCheckpoint, type ConvertProgress } from '../model/convert.ts';
import { parseLinearFormat } from '../model/graphs/linear.ts';
import { numberOption, parseArgs, printJson, UsageError } from './args.ts';

function progressBar(): (p: ConvertProgress) => void {
  const start = Date.now();
  let lastLine = 0;
  return (p) => {
    const now = Date.now();
    if (now - lastLine < 200 && p.phase !== 'done') return;
    lastLine = now;
    const frac = p.total ? p.done / p.total : 0;
    const secs = (now - start) / 1000;
    const mbps = p.done / 1e6 / Math.max(secs, 1e-3);
    const eta = frac > 0 && frac < 1 ? ` ETA ${Math.round(secs / frac - secs)}s` : '';
    const width = 30;
    const bar = '#'.repeat(Math.round(frac * width)).padEnd(width, '.');
    const line = `[${bar}] ${(frac * 100).toFixed(0).padStart(3)}% ${(p.done / 1e6).toFixed(1)}/${(p.total / 1e6).toFixed(1)} MB ${mbps.toFixed(1)} MB/s ${p.phase}${eta}`;
    process.stderr.write(process.stderr.isTTY ? `\r${line}` : `${line}\n`);
    if (p.phase === 'done' && process.stderr.isTTY) process.stderr.write('\n');
  };
}

/** onnxruntime-node's ORT-format writer, loaded only when needed (a native module). */
async function ortFormatWriter(model: Uint8Array, externalData: { path: string; data: Uint8Array }[]): Promise<Uint8Array> {
  try {
    await import('onnxruntime-node');
  } catch (err) {
    throw new Error(
      `writing the graphs as ORT format needs onnxruntime-node (${(err as Error)?.message ?? err}): run npm ci, or convert with --graph-format onnx`,
    );
  }
  const { toOrtFormat } = await import('../model/ortFormatNode.ts');
  return toOrtFormat(model, externalData);
}

export async function runConvertCommand(argv: string[]): Promise<number> {
  const args = parseArgs(argv, {
    bits: 'string',
    'embed-bits': 'string',
    linear: 'string',
    roles: 'string',
    'int8-weights': 'string',
    'graph-format': 'string',
    'shard-mb': 'string',
    id: 'string',
    kind: 'string',
  });
  const [input, outDir] = args.positional;
  if (!input || !outDir)
    throw new UsageError(
      'usage: sift convert <checkpoint-dir-or-url> <out-dir> [--bits 4|4+4|8|32] [--embed-bits 4|8|32] [--linear nbits|int8] [--roles ROLE=FORMAT,…|none] [--int8-weights u8|s8] [--graph-format ort|onnx] [--shard-mb N] [--kind reranker|embedding]',
    );
  // 4+4: 4-bit MatMulNBits plus a 4-bit pass on its rounding error (≈8-bit precision on WebGPU's 4-bit kernel).
  const residual = args.options.get('bits') === '4+4';
  const bits = residual ? 4 : numberOption(args, 'bits', 4);
  if (bits !== 4 && bits !== 8 && bits !== 32) throw new Error('--bits must be 4, 4+4, 8 or 32');
  // int8: linear layers stored as the WASM EP runs fastest (src/model/graphs/linear.ts); nbits: MatMulNBits at --bits.
  const linear = args.options.get('linear') ?? 'nbits';
  if (linear !== 'nbits' && linear !== 'int8') throw new Error('--linear must be nbits or int8');
  const int8Weights = args.options.get('int8-weights') ?? 'u8';
  if (int8Weights !== 'u8' && int8Weights !== 's8') throw new Error('--int8-weights must be u8 or s8');
  // Other formats for some roles (the name after the layer in a node's name), e.g. mlp/down_proj=fp32;
  // none: no role differs (int8 models otherwise get graphs/linear.ts INT8_ROLES: rotated down_proj, 8-bit attention).
  const rolesArg = args.options.get('roles');
  const roles =
    rolesArg === undefined
      ? undefined
      : Object.fromEntries(
          String(rolesArg === 'none' ? '' : rolesArg)
            .split(',')
            .filter(Boolean)
            .flatMap((spec) => {
              const [role, format] = spec.split('=');
              if (!role || !format) throw new UsageError(`--roles takes ROLE=FORMAT,…, got "${spec}"`);
              // A range of layers: layers.0-3/* is layers.0/* … layers.3/*.
              const range = /^(layers|blocks)\.(\d+)-(\d+)\/(.+)$/.exec(role);
              const keys = range
                ? Array.from(
                    { length: Number(range[3]) - Number(range[2]) + 1 },
                    (_, i) => `${range[1]}.${Number(range[2]) + i}/${range[4]}`,
                  )
                : [role];
              return keys.map((key) => [key, parseLinearFormat(format)]);
            }),
        );
  // The token table may be stored narrower than the graphs' weights (default: as wide; 8 with int8 layers).
  const embedBits = numberOption(args, 'embed-bits', linear === 'int8' || residual ? 8 : bits);
  if (embedBits !== 4 && embedBits !== 8 && embedBits !== 32) throw new Error('--embed-bits must be 4, 8 or 32');
  const shardMB = numberOption(args, 'shard-mb', 256)!;
  // With int8 linear layers (the WASM EP's format) the graphs are written as ORT format by default:
  // the WASM EP uses their weights in place, which makes a cached start about as fast as reading them.
  const graphFormat = args.options.get('graph-format') ?? (linear === 'int8' ? 'ort' : 'onnx');
  if (graphFormat !== 'ort' && graphFormat !== 'onnx') throw new Error('--graph-format must be ort or onnx');
  if (graphFormat === 'ort' && linear !== 'int8') throw new Error("--graph-format ort needs --linear int8 (the WASM EP's format)");
  if (!(shardMB > 0)) throw new Error('--shard-mb must be positive');
  const location = /^https?:\/\//.test(input) ? new UrlLocation(input) : new NodeDirLocation(input);
  const ckpt = await openCheckpoint(location);
  await mkdir(outDir, { recursive: true });
  // Files are written under a temporary name and renamed, so an interrupted run leaves no valid-looking file.
  const out = async (file: string, bytes: Uint8Array) => {
    const target = join(outDir, file);
    await writeFile(`${target}.partial`, bytes);
    await rename(`${target}.partial`, target);
  };
  const kind = args.options.get('kind');
  if (kind !== undefined && kind !== 'reranker' && kind !== 'embedding') throw new UsageError('--kind must be reranker or embedding');
  const id = typeof args.options.get('id') === 'string' ? String(args.options.get('id')) : undefined;
  try {
    const manifest = await convertCheckpoint(checkpointSource(ckpt), out, {
      kind,
      onKind: (k) =>
        process.stderr.write(`converting a Qwen3-VL-${k.kind === 'embedding' ? 'Embedding' : 'Reranker'} checkpoint: ${k.reason}\n`),
      bits,
      residual,
      embedBits,
      linear,
      int8Weights,
      roles,
      toOrtFormat: graphFormat === 'ort' ? ortFormatWriter : undefined,
      shardMB,
      id,
      source: input,
      randomWeights: (ckpt.rawConfig as { sift_random_weights?: boolean }).sift_random_weights === true,
      onProgress: progressBar(),
    });
    printJson({
      manifest: join(outDir, 'manifest.json'),
      id: manifest.id,
      kind: manifest.kind,
      version: manifest.version,
      bytes: manifest.totalBytes,
      files: manifest.shards.length,
    });
  } finally {
    await ckpt.close();
  }
  return 0;
}
