// `sift search <index> --query "…" [--image q.jpg | --video q.mp4] [--instruction "…"] [--top 20]
//   [--rerank <reranker-dir>] [--candidates K] [--model <embedder-dir>]`
// The query is embedded with the index's model, the nearest entries come from an exact cosine scan,
// and (with --rerank) the reranker rescores the top K and orders them. Prints {"results": [{"rank",
// "path", "start"?, "end"?, "similarity", "score"?}]}, best first; unreadable candidates are listed in
// "errors" with their reason and the rest are still ranked.
import { join, resolve } from 'node:path';
import { EmbedSession } from '../engine/embed.ts';
import { RerankSession } from '../engine/rerank.ts';
import type { LibraryHit } from '../store/libraryIndex.ts';
import { nodeMediaDecoder } from '../media/nodeDecoder.ts';
import type { EmbedInput, RerankSide } from '../prompt/index.ts';
import { numberOption, parseArgs, printJson, UsageError } from './args.ts';
import { LanceLibraryStore } from './library/lanceStore.ts';
import { nodeFolderSource } from './library/nodeFolder.ts';
import { loadModelDir } from './nodeModel.ts';

/** The official examples' query instruction. */
export const DEFAULT_QUERY_INSTRUCTION = "Retrieve images or text relevant to the user's query.";
const DEFAULT_CANDIDATES = 50;

const USAGE =
  'usage: sift search <index-dir> --query "…" [--image q.jpg | --video q.mp4] [--instruction "…"] [--top 20] [--rerank <reranker-dir>] [--candidates K]';

interface SearchResult {
  rank: number;
  path: string;
  start?: number;
  end?: number;
  similarity: number;
  score?: number | null;
}

export async function runSearchCommand(argv: string[]): Promise<number> {
  const args = parseArgs(argv, {
    query: 'string',
    image: 'string',
    video: 'string',
    instruction: 'string',
    top: 'string',
    rerank: 'string',
    candidates: 'string',
    model: 'string',
  });
  const [indexDir] = args.positional;
  const get = (k: string) => args.options.get(k) as string | undefined;
  const query: EmbedInput = {};
  if (get('query')) query.text = get('query');
  if (get('image')) query.image = resolve(get('image')!);
  if (get('video')) query.video = resolve(get('video')!);
  if (!indexDir || (!query.text && !query.image && !query.video)) throw new UsageError(USAGE);
  const top = numberOption(args, 'top', 20)!;
  const candidates = numberOption(args, 'candidates', Math.max(top, DEFAULT_CANDIDATES))!;
  if (!(top >= 1) || !(candidates >= top)) throw new UsageError('--top must be at least 1 and --candidates at least --top');

  const store = await LanceLibraryStore.open(indexDir);
  const meta = await store.meta();
  if (!meta) throw new Error(`${indexDir} holds no Sift library index: build one with sift index <folder> --model <dir> --out ${indexDir}`);
  const modelDir = get('model') ?? meta.modelPath;
  if (!modelDir) throw new UsageError('the index does not say where its embedding model is: pass --model <embedder-dir>');
  const embedder = await loadModelDir(modelDir);
  let hits: LibraryHit[];
  try {
    if (embedder.manifest.version !== meta.modelVersion)
      throw new Error(
        `the index was built with ${meta.modelId} version ${meta.modelVersion}, not ${embedder.manifest.version}: search with that model, or re-index`,
      );
    const session = new EmbedSession(embedder.model, embedder.tokenizer, nodeMediaDecoder(process.cwd()));
    const q = await session.run({ instruction: get('instruction') ?? DEFAULT_QUERY_INSTRUCTION, inputs: [query], dims: meta.dims });
    if (!q.embeddings[0]) {
      printJson({ error: `the query could not be embedded: ${q.errors[0]?.message}`, code: q.errors[0]?.code });
      return 1;
    }
    hits = await store.search(q.embeddings[0], get('rerank') ? candidates : top);
  } finally {
    await embedder.model.release();
  }
  const results: SearchResult[] = hits.map((h, i) => ({
    rank: i + 1,
    path: h.entry.path,
    ...(h.entry.start !== undefined ? { start: h.entry.start, end: h.entry.end } : {}),
    similarity: h.similarity,
  }));
  if (!get('rerank')) {
    printJson({ results });
    return 0;
  }
  const errors = await rerankResults(results, hits, meta.root ?? process.cwd(), get('rerank')!, query, get('instruction'));
  printJson({ results: results.slice(0, top), ...(errors.length ? { errors } : {}) });
  return 0;
}

/** Rescores `results` with the reranker and sorts them by its score (failed candidates last, with their reason). */
async function rerankResults(
  results: SearchResult[],
  hits: LibraryHit[],
  root: string,
  rerankerDir: string,
  query: EmbedInput,
  instruction?: string,
) {
  const source = await nodeFolderSource(root);
  const documents: RerankSide[] = [];
  for (const h of hits) {
    const input = await source
      .input(
        { ...h.entry, kind: h.entry.kind, caption: undefined },
        h.entry.start !== undefined ? { start: h.entry.start, end: h.entry.end! } : undefined,
      )
      .catch(() => ({}) as EmbedInput);
    documents.push(input as RerankSide);
  }
  const reranker = await loadModelDir(rerankerDir);
  try {
    const session = new RerankSession(reranker.model, reranker.tokenizer, nodeMediaDecoder(root));
    const out = await session.run({ ...(instruction ? { instruction } : {}), query, documents });
    results.forEach((r, i) => (r.score = out.scores[i]));
    results.sort((a, b) => (b.score ?? -1) - (a.score ?? -1) || b.similarity - a.similarity);
    results.forEach((r, i) => (r.rank = i + 1));
    return out.errors.map((e) => ({ path: join(root, hits[e.index].entry.path), code: e.code, message: e.message }));
  } finally {
    await reranker.model.release();
  }
}
