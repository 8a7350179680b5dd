// Which onnxruntime runs the CLI's models, from the same stored graphs either way:
// - 'native' (the default): onnxruntime-node's CPU EP, whose int8 and MatMulNBits kernels are its own
//   (AVX2/AVX-512 where the CPU has them) — several times faster than the WASM build.
// - 'cuda': onnxruntime-node's CUDA EP, CPU for the rest; only when asked (it needs the CUDA libraries
//   that onnxruntime-node's install script downloads, which npm ci with ignore-scripts does not run).
// - 'wasm': onnxruntime-web's WASM build, the engine the browser runs (to compare with it, or where
//   onnxruntime-node is not installed: it is an optional dependency).
import { readFileSync } from 'node:fs';
import { arch, availableParallelism } from 'node:os';
import { isOrtGraph, type LoadOptions, type Ort } from '../engine/session.ts';
import type { Manifest } from '../model/manifest.ts';
import { numberOption, UsageError, type ParsedArgs } from './args.ts';

export type BackendName = 'native' | 'cuda' | 'wasm';

export interface BackendChoice {
  /** Absent: native, or wasm (with a warning) when onnxruntime-node cannot be loaded. */
  backend?: BackendName;
  /** Operator threads: native's intraOpNumThreads, wasm's env.wasm.numThreads. Default: every core. */
  threads?: number;
}

/** The options every command that loads a model takes. */
export const BACKEND_OPTIONS = { backend: 'string', threads: 'string' } as const;

const NAMES: BackendName[] = ['native', 'cuda', 'wasm'];

/** --backend and --threads, checked. */
export function backendChoice(args: ParsedArgs): BackendChoice {
  const backend = args.options.get('backend');
  if (backend !== undefined && !NAMES.includes(backend as BackendName))
    throw new UsageError(`--backend must be one of ${NAMES.join(', ')}, got ${String(backend)}`);
  const threads = numberOption(args, 'threads');
  if (threads !== undefined && !(Number.isInteger(threads) && threads >= 1))
    throw new UsageError(`--threads must be a whole number ≥ 1, got ${threads}`);
  return { backend: backend as BackendName | undefined, threads };
}

export interface Runtime {
  ort: Ort;
  /** What loadModel needs to run on it. */
  load: Omit<LoadOptions, 'prefetch'>;
  /** Which backend ran and with how many threads, for a line on stderr or a report. */
  description: string;
}

/** True when this CPU has x86's VNNI dot products (Linux: /proc/cpuinfo), or is not x86. */
function exactInt8Kernels(): boolean {
  if (arch() !== 'x64' && arch() !== 'ia32') return true; // arm64: MLAS's sdot/udot kernels add in int32
  try {
    return /\b(avx512_vnni|avx_vnni|amx_int8)\b/.test(readFileSync('/proc/cpuinfo', 'utf8'));
  } catch {
    return false;
  }
}

/**
 * True when onnxruntime-node would compute this model's int8 layers inexactly: ORT-format graphs
 * (`--linear int8`'s default) whose weights are stored as int8 (models converted before 2026-12-08;
 * since then they are uint8 around 128, which MLAS multiplies with its exact u8·u8 kernel), on an x86
 * CPU without VNNI. There MLAS adds pairs of u8·s8 products in int16, which saturates;
 * session.x64quantprecision (set below) avoids it only for ONNX graphs, since it works by rewriting the
 * graph and an ORT-format graph is not rewritten at load. Measured: scores off by up to 0.09 from WASM's
 * exact sums on tiny random models, 0.04 on a random model of the 2B's widths (test/cli/nativeBackend.test.ts).
 */
export function nativeInt8Saturates(manifest: Manifest): boolean {
  return (
    manifest.weights.linear === 'int8' &&
    manifest.weights.int8Weights !== 'u8' &&
    (isOrtGraph(manifest.graphs.vision) || isOrtGraph(manifest.graphs.decoder)) &&
    !exactInt8Kernels()
  );
}

/**
 * Starts the chosen runtime for `manifest`'s model. Without --backend: native, except where its int8
 * kernels would be inexact for this model (nativeInt8Saturates), or onnxruntime-node cannot be loaded
 * (said on stderr): then wasm.
 */
export async function startRuntime(manifest: Manifest, choice: BackendChoice = {}): Promise<Runtime> {
  const saturates = nativeInt8Saturates(manifest);
  const backend = choice.backend ?? (saturates ? 'wasm' : 'native');
  if (backend === 'wasm') return wasmRuntime(choice.threads);
  if (saturates)
    process.stderr.write(
      `sift: this CPU has no VNNI: onnxruntime-node's int8 kernels saturate on ${manifest.label}'s ORT-format int8 graphs (scores off by up to a few hundredths); --backend wasm computes them exactly\n`,
    );
  let ort: Ort;
  try {
    ort = (await import('onnxruntime-node')) as unknown as Ort;
  } catch (err) {
    const why = `onnxruntime-node cannot be loaded (${(err as Error).message.split('\n')[0]})`;
    if (choice.backend) throw new Error(`--backend ${backend}: ${why}: install it (npm install onnxruntime-node), or use --backend wasm`);
    process.stderr.write(`sift: ${why}: running on onnxruntime-web's WASM build, which is slower (npm install onnxruntime-node)\n`);
    return wasmRuntime(choice.threads);
  }
  const threads = choice.threads ?? availableParallelism();
  // Without it, MLAS's x64 int8 kernels on CPUs without VNNI add pairs of u8·s8 products in int16 and
  // saturate (see nativeInt8Saturates); with it, onnxruntime rewrites an ONNX graph's int8 weights to
  // u8, whose kernel adds in int32: exact sums, as on WASM.
  const sessionConfig = { x64quantprecision: '1' };
  const version = ort.env.versions.node ?? ort.env.versions.common;
  if (backend === 'cuda') {
    return {
      ort,
      load: { runtime: 'native', backend: 'cuda', executionProviders: ['cuda', 'cpu'], intraOpNumThreads: threads, sessionConfig },
      description: `onnxruntime-node ${version}, CUDA EP (CPU for the rest, ${threads} threads)`,
    };
  }
  return {
    ort,
    load: { runtime: 'native', backend: 'native', executionProviders: ['cpu'], intraOpNumThreads: threads, sessionConfig },
    description: `onnxruntime-node ${version}, CPU EP, ${threads} threads`,
  };
}

// onnxruntime-web reads numThreads once, when its runtime starts (on the first session of the process).
let wasmThreads: number | undefined;

async function wasmRuntime(threads?: number): Promise<Runtime> {
  const { ort, nodeWasmPaths } = await import('./wasmOrt.ts');
  if (wasmThreads === undefined) {
    // onnxruntime-web's own default is half the cores (at least 1, at most 4): all of them for a CLI run.
    wasmThreads = threads ?? availableParallelism();
    ort.env.wasm.numThreads = wasmThreads;
    // Through the factory wrapper, so ORT-format graphs are used in place.
    ort.env.wasm.wasmPaths = nodeWasmPaths();
  }
  return {
    ort,
    load: { runtime: 'web', backend: 'wasm', executionProviders: ['wasm'] },
    description: `onnxruntime-web ${ort.env.versions.web ?? ''} WASM, ${wasmThreads} thread${wasmThreads === 1 ? '' : 's'}`,
  };
}
