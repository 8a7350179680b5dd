// `sift index <folder> --model <embedder-dir> --out <index> [--instruction "…"] [--shard i/N]
//   [--segment-seconds S] [--dims D] [--reindex]`
// Embeds a folder's images, videos (long ones by overlapping segments) and texts into a LanceDB index,
// incrementally; prints {"items", "added", "updated", "removed", "unchanged", "failed": [{path, message}]}.
import { resolve } from 'node:path';
import { EmbedSession } from '../engine/embed.ts';
import { indexLibrary, type IndexProgress } from '../engine/library/indexer.ts';
import { libraryItems, parseShard } from '../engine/library/libraryFiles.ts';
import type { LibraryMeta } from '../store/libraryIndex.ts';
import { DEFAULT_SEGMENT_SECONDS } from '../engine/library/segments.ts';
import { embeddingDims } from '../engine/embeddingVector.ts';
import { nodeMediaDecoder } from '../media/nodeDecoder.ts';
import { DEFAULT_EMBED_INSTRUCTION } from '../prompt/index.ts';
import { numberOption, parseArgs, printJson, UsageError } from './args.ts';
import { LanceLibraryStore } from './library/lanceStore.ts';
import { listFolder, nodeFolderSource } from './library/nodeFolder.ts';
import { loadModelDir } from './nodeModel.ts';

const USAGE =
  'usage: sift index <folder> --model <embedding-model-dir> --out <index-dir> [--instruction "…"] [--shard i/N] [--segment-seconds S] [--dims D] [--reindex]';

/** One line of progress on stderr, at most every half second. */
function progressLine(): (p: IndexProgress) => void {
  let last = 0;
  return (p) => {
    const now = Date.now();
    if (now - last < 500 && p.done < p.total) return;
    last = now;
    const eta = p.etaSeconds === null ? '' : ` ETA ${Math.round(p.etaSeconds)} s`;
    const line = `indexed ${p.done}/${p.total} new or changed items, ${p.itemsPerSecond.toFixed(2)} items/s${eta}${p.current ? ` — ${p.current}` : ''}`;
    process.stderr.write(process.stderr.isTTY ? `\r${line.slice(0, 150).padEnd(150)}` : `${line}\n`);
  };
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
  });
  const [folder] = args.positional;
  const modelDir = args.options.get('model');
  const out = args.options.get('out');
  if (!folder || typeof modelDir !== 'string' || typeof out !== 'string') throw new UsageError(USAGE);
  const shardText = args.options.get('shard');
  const shard = typeof shardText === 'string' ? parseShard(shardText) : undefined;
  const segmentSeconds = numberOption(args, 'segment-seconds', DEFAULT_SEGMENT_SECONDS)!;
  if (!(segmentSeconds >= 2)) throw new UsageError('--segment-seconds must be at least 2');

  const root = resolve(folder);
  const listed = await listFolder(root).catch((err: Error) => {
    throw new UsageError(`cannot read the folder ${folder}: ${err.message}`);
  });
  const { model, tokenizer, manifest } = await loadModelDir(modelDir);
  try {
    const dims = embeddingDims(numberOption(args, 'dims'), model.cfg.text.hiddenSize);
    const instruction = (args.options.get('instruction') as string | undefined) ?? DEFAULT_EMBED_INSTRUCTION;
    const meta: LibraryMeta = {
      modelId: manifest.id,
      modelVersion: manifest.version,
      dims,
      format: 'f16',
      instruction,
      segmentSeconds,
      segmentStride: segmentSeconds / 2,
      root,
      modelPath: resolve(modelDir),
    };
    const store = await LanceLibraryStore.open(out);
    if (args.options.has('reindex')) await store.clear();
    const session = new EmbedSession(model, tokenizer, nodeMediaDecoder(root));
    const embed = async (inputs: Parameters<typeof session.run>[0]['inputs'], signal?: AbortSignal) => {
      const r = await session.run({ instruction, inputs, dims }, { signal });
      return r.embeddings.map((embedding, i) => ({ embedding, error: r.errors.find((e) => e.index === i)?.message }));
    };
    const summary = await indexLibrary(libraryItems(listed), store, await nodeFolderSource(root), embed, {
      meta,
      shard,
      onProgress: progressLine(),
    });
    printJson(summary);
    return 0;
  } finally {
    await model.release();
  }
}
