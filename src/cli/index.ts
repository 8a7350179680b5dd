// `sift index <folder> --model <embedder-dir> --out <index> [--instruction "…"] [--shard i/N]
//   [--segment-seconds S] [--dims D] [--reindex] [--backend native|cuda|wasm] [--threads N]`
// Embeds a folder's images, videos (long ones by overlapping segments) and texts into a LanceDB index,
// incrementally; prints {"items", "added", "updated", "removed", "unchanged", "failed": [{path, message}]}.
import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { EmbedSession } from '../engine/embed.ts';
import { indexLibrary, type EmbedBatch, type IndexProgress, type IndexSummary } from '../engine/library/indexer.ts';
import { libraryItems, parseShard } from '../engine/library/libraryFiles.ts';
import type { LibraryMeta } from '../store/libraryIndex.ts';
import { DEFAULT_SEGMENT_SECONDS } from '../engine/library/segments.ts';
import { embeddingDims } from '../engine/embeddingVector.ts';
import { nodeMediaDecoder } from '../media/nodeDecoder.ts';
import { DEFAULT_EMBED_INSTRUCTION } from '../prompt/index.ts';
import { numberOption, parseArgs, printJson, UsageError } from './args.ts';
import { LanceLibraryStore } from './library/lanceStore.ts';
import { listFolder, nodeFolderSource } from './library/nodeFolder.ts';
import { BACKEND_OPTIONS, backendChoice } from './backend.ts';
import { loadModelDir, type NodeModel } from './nodeModel.ts';

const USAGE =
  'usage: sift index <folder> --model <embedding-model-dir> --out <index-dir> [--instruction "…"] [--shard i/N] [--segment-seconds S] [--dims D] [--reindex]';

/** One line of progress on stderr: every half second at most, at every 5% of the items, and once at the end. */
function progressLine(): (p: IndexProgress) => void {
  let last = 0;
  let lastDone = -1;
  let ended = false;
  return (p) => {
    const now = Date.now();
    const end = p.done === p.total;
    const step = p.done - lastDone >= Math.max(1, p.total / 20);
    if ((now - last < 500 && !end && !step) || (end && ended)) return;
    last = now;
    lastDone = p.done;
    ended = end;
    const eta = p.etaSeconds === null ? '' : ` ETA ${Math.round(p.etaSeconds)} s`;
    const line = `indexed ${p.done}/${p.total} new or changed items, ${p.itemsPerSecond.toFixed(2)} items/s${eta}${p.current ? ` — ${p.current}` : ''}`;
    if (!process.stderr.isTTY) process.stderr.write(`${line}\n`);
    else process.stderr.write(`\r${line.slice(0, 150).padEnd(150)}${end ? '\n' : ''}`);
  };
}

export interface IndexFolderOptions {
  folder: string;
  /** The embedding model's directory (recorded in the index for `sift search`). */
  modelDir: string;
  out: string;
  instruction?: string;
  shard?: { index: number; count: number };
  segmentSeconds?: number;
  dims?: number;
  /** Drop the index first (a new model or settings). */
  reindex?: boolean;
  onProgress?: (p: IndexProgress) => void;
}

/** Indexes `folder` into the LanceDB index `out` with a loaded embedding model (the caller releases it). */
export async function indexFolder(embedder: NodeModel, opts: IndexFolderOptions): Promise<IndexSummary> {
  const { model, tokenizer, manifest } = embedder;
  const root = resolve(opts.folder);
  const listed = await listFolder(root).catch((err: Error) => {
    throw new UsageError(`cannot read the folder ${opts.folder}: ${err.message}`);
  });
  const dims = embeddingDims(opts.dims, model.cfg.text.hiddenSize);
  const instruction = opts.instruction ?? DEFAULT_EMBED_INSTRUCTION;
  const segmentSeconds = opts.segmentSeconds ?? DEFAULT_SEGMENT_SECONDS;
  const meta: LibraryMeta = {
    modelId: manifest.id,
    modelVersion: manifest.version,
    dims,
    format: 'f16',
    instruction,
    segmentSeconds,
    segmentStride: segmentSeconds / 2,
    root,
    modelPath: resolve(opts.modelDir),
  };
  const store = await LanceLibraryStore.open(opts.out);
  if (opts.reindex) await store.clear();
  const session = new EmbedSession(model, tokenizer, nodeMediaDecoder(root));
  const embed: EmbedBatch = async (inputs, signal) => {
    const r = await session.run({ instruction, inputs, dims }, { signal });
    return r.embeddings.map((embedding, i) => ({ embedding, error: r.errors.find((e) => e.index === i)?.message }));
  };
  const summary = await indexLibrary(libraryItems(listed), store, await nodeFolderSource(root), embed, {
    meta,
    shard: opts.shard,
    onProgress: opts.onProgress,
  });
  // Each file's write is a commit of its own; one process that owns the whole table merges the
  // fragments and drops old versions (a shard leaves that to a later unsharded run).
  if (!opts.shard || opts.shard.count === 1) await store.compact();
  return summary;
}

export async function runIndexCommand(argv: string[]): Promise<number> {
  const args = parseArgs(argv, {
    model: 'string',
    out: 'string',
    instruction: 'string',
    shard: 'string',
    'segment-seconds': 'string',
    dims: 'string',
    reindex: 'boolean',
    ...BACKEND_OPTIONS,
  });
  const [folder] = args.positional;
  const modelDir = args.options.get('model');
  const out = args.options.get('out');
  if (!folder || typeof modelDir !== 'string' || typeof out !== 'string') throw new UsageError(USAGE);
  const shardText = args.options.get('shard');
  let shard: { index: number; count: number } | undefined;
  try {
    shard = typeof shardText === 'string' ? parseShard(shardText) : undefined;
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  if (shard && shard.count > 1 && args.options.has('reindex'))
    throw new UsageError(
      '--reindex empties the whole index, which the other shards are writing: delete the index first, then run every shard',
    );
  const backend = backendChoice(args);
  const segmentSeconds = numberOption(args, 'segment-seconds', DEFAULT_SEGMENT_SECONDS)!;
  if (!(segmentSeconds >= 2)) throw new UsageError('--segment-seconds must be at least 2');
  const isFolder = await stat(folder).then(
    (s) => s.isDirectory(),
    () => false,
  );
  if (!isFolder) throw new UsageError(`cannot read the folder ${folder}: not a directory`);
  const embedder = await loadModelDir(modelDir, backend);
  // Next to the progress lines: which runtime this throughput is on.
  process.stderr.write(`embedding on ${embedder.runtime}\n`);
  try {
    const summary = await indexFolder(embedder, {
      folder,
      modelDir,
      out,
      instruction: args.options.get('instruction') as string | undefined,
      shard,
      segmentSeconds,
      dims: numberOption(args, 'dims'),
      reindex: args.options.has('reindex'),
      onProgress: progressLine(),
    });
    printJson(summary);
    return 0;
  } finally {
    await embedder.model.release();
  }
}
