// `sift search <index> --query "…" [--image q.jpg | --video q.mp4] [--instruction "…"] [--top 20]
//   [--rerank <reranker-dir>] [--candidates K] [--model <embedder-dir>] [--backend native|cuda|wasm] [--threads N]`
// The query is embedded with the index's model, the nearest entries come from an exact cosine scan,
// and (with --rerank) the reranker rescores the top K and orders them. Prints {"results": [{"rank",
// "path", "start"?, "end"?, "similarity", "score"?}]}, best first; unreadable candidates are listed in
// "errors" with their reason and the rest are still ranked.
import { resolve } from 'node:path';
import { EmbedSession } from '../engine/embed.ts';
import { RerankSession } from '../engine/rerank.ts';
import type { LibraryHit } from '../store/libraryIndex.ts';
import { nodeMediaDecoder } from '../media/nodeDecoder.ts';
import type { EmbedInput, RerankSide } from '../prompt/index.ts';
import { numberOption, parseArgs, printJson, UsageError } from './args.ts';
import { LanceLibraryStore } from './library/lanceStore.ts';
import { libraryFileAt, nodeFolderSource } from './library/nodeFolder.ts';
import { BACKEND_OPTIONS, backendChoice, type BackendChoice } from './backend.ts';
import { loadModelDir, type NodeModel } from './nodeModel.ts';

/** The official examples' query instruction. */
export const DEFAULT_QUERY_INSTRUCTION = "Retrieve images or text relevant to the user's query.";
const DEFAULT_CANDIDATES = 50;

const USAGE =
  'usage: sift search <index-dir> --query "…" [--image q.jpg | --video q.mp4] [--instruction "…"] [--top 20] [--rerank <reranker-dir>] [--candidates K]';

export interface SearchResult {
  rank: number;
  path: string;
  start?: number;
  end?: number;
  similarity: number;
  score?: number | null;
}

/** The query itself could not be embedded (printed as {"error", "code"}). */
export class QueryError extends Error {
  override name = 'QueryError';
  constructor(
    message: string,
    readonly code: string,
  ) {
    super(message);
  }
}

export interface SearchOptions {
  indexDir: string;
  query: EmbedInput;
  /** The query's instruction (default DEFAULT_QUERY_INSTRUCTION). */
  instruction?: string;
  top?: number;
  /** The reranker's model directory: it rescores the top `candidates` and orders them. */
  rerank?: string;
  candidates?: number;
  /** The embedding model's directory, when not the one the index names. */
  model?: string;
  /** Which onnxruntime runs the models it loads (backend.ts). */
  backend?: BackendChoice;
}

export interface SearchOutput {
  results: SearchResult[];
  /** Candidates the reranker could not score, with the reason. */
  errors?: { path: string; code: string; message: string }[];
}

/** Loaded models to use instead of loading them from their directories (the caller releases them). */
export interface SearchModels {
  embedder?: NodeModel;
  reranker?: NodeModel;
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
    ...BACKEND_OPTIONS,
  });
  const [indexDir] = args.positional;
  const get = (k: string) => args.options.get(k) as string | undefined;
  const query: EmbedInput = {};
  if (get('query')) query.text = get('query');
  if (get('image')) query.image = resolve(get('image')!);
  if (get('video')) query.video = resolve(get('video')!);
  if (!indexDir || (!query.text && !query.image && !query.video)) throw new UsageError(USAGE);
  const backend = backendChoice(args);
  const top = numberOption(args, 'top', 20)!;
  const candidates = numberOption(args, 'candidates', Math.max(top, DEFAULT_CANDIDATES))!;
  if (!(top >= 1) || !(candidates >= top)) throw new UsageError('--top must be at least 1 and --candidates at least --top');
  let out: SearchOutput;
  try {
    out = await searchLibrary({
      indexDir,
      query,
      instruction: get('instruction'),
      top,
      rerank: get('rerank'),
      candidates,
      model: get('model'),
      backend,
    });
  } catch (err) {
    if (!(err instanceof QueryError)) throw err;
    printJson({ error: err.message, code: err.code });
    return 1;
  }
  printJson(out);
  return 0;
}

/** Searches a library index: the query embedded with the index's model, an exact cosine scan, and (with `rerank`) the reranker's order. */
export async function searchLibrary(opts: SearchOptions, models: SearchModels = {}): Promise<SearchOutput> {
  const top = opts.top ?? 20;
  const candidates = opts.candidates ?? Math.max(top, DEFAULT_CANDIDATES);
  const store = await LanceLibraryStore.open(opts.indexDir);
  const meta = await store.meta();
  if (!meta)
    throw new Error(
      `${opts.indexDir} holds no Sift library index: build one with sift index <folder> --model <dir> --out ${opts.indexDir}`,
    );
  const modelDir = opts.model ?? meta.modelPath;
  if (!models.embedder && !modelDir)
    throw new UsageError('the index does not say where its embedding model is: pass --model <embedder-dir>');
  const embedder = models.embedder ?? (await loadModelDir(modelDir!, opts.backend));
  let hits: LibraryHit[];
  try {
    if (embedder.manifest.version !== meta.modelVersion)
      throw new Error(
        `the index was built with ${meta.modelId} version ${meta.modelVersion}, not ${embedder.manifest.version}: search with that model, or re-index`,
      );
    const session = new EmbedSession(embedder.model, embedder.tokenizer, nodeMediaDecoder(process.cwd()));
    const q = await session.run({ instruction: opts.instruction ?? DEFAULT_QUERY_INSTRUCTION, inputs: [opts.query], dims: meta.dims });
    if (!q.embeddings[0])
      throw new QueryError(`the query could not be embedded: ${q.errors[0]?.message}`, q.errors[0]?.code ?? 'bad-request');
    hits = await store.search(q.embeddings[0], opts.rerank ? candidates : top);
  } finally {
    if (!models.embedder) await embedder.model.release();
  }
  const results: SearchResult[] = hits.map((h, i) => ({
    rank: i + 1,
    path: h.entry.path,
    ...(h.entry.start !== undefined ? { start: h.entry.start, end: h.entry.end } : {}),
    similarity: h.similarity,
  }));
  if (!opts.rerank) return { results };
  const errors = await rerankResults(results, hits, meta.root ?? process.cwd(), opts, models.reranker);
  return { results: results.slice(0, top), ...(errors.length ? { errors } : {}) };
}

/** Rescores `results` with the reranker and sorts them by its score (failed candidates last, with their reason). */
async function rerankResults(results: SearchResult[], hits: LibraryHit[], root: string, opts: SearchOptions, loaded?: NodeModel) {
  const source = await nodeFolderSource(root);
  const documents: RerankSide[] = [];
  const docHit: number[] = [];
  const errors: { path: string; code: string; message: string }[] = [];
  for (const [i, h] of hits.entries()) {
    try {
      const file = await libraryFileAt(root, h.entry);
      const clip = h.entry.start !== undefined && h.entry.end !== undefined ? { start: h.entry.start, end: h.entry.end } : undefined;
      documents.push((await source.input(file, clip)) as RerankSide);
      docHit.push(i);
    } catch (err) {
      // The file moved or changed since it was indexed: it keeps its similarity, without a score.
      results[i].score = null;
      errors.push({ path: h.entry.path, code: 'unreadable', message: (err as Error).message });
    }
  }
  const reranker = loaded ?? (await loadModelDir(opts.rerank!, opts.backend));
  try {
    const session = new RerankSession(reranker.model, reranker.tokenizer, nodeMediaDecoder(root));
    const out = await session.run({ ...(opts.instruction ? { instruction: opts.instruction } : {}), query: opts.query, documents });
    docHit.forEach((hit, k) => (results[hit].score = out.scores[k]));
    for (const e of out.errors) errors.push({ path: hits[docHit[e.index]].entry.path, code: e.code, message: e.message });
  } finally {
    if (!loaded) await reranker.model.release();
  }
  results.sort((a, b) => (b.score ?? -Infinity) - (a.score ?? -Infinity) || b.similarity - a.similarity);
  results.forEach((r, i) => (r.rank = i + 1));
  return errors;
}
