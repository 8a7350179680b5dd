// One embed request end to end: inputs → conversations → media → prompt ids → unit vectors, streaming
// each. Inputs share their system prompt, so its KV cache is computed once and reused (the Scorer's
// prefix); short inputs are packed into one decoder call. Media are decoded a window of inputs at a
// time. A bad input gets null and its reason; the others are embedded.
import {
  buildEmbedConversation,
  encodeEmbedPrompt,
  mediaItems,
  type EmbedInput,
  type ImageItem,
  type PromptTokenizer,
  type RerankConversation,
  type VideoItem,
} from '../prompt/index.ts';
import type { MediaDecoder } from '../media/decoder.ts';
import { decodeMediaItem, promptMediaOf, type DecodedMedia } from './decodeMedia.ts';
import { embeddingDims, unitEmbedding } from './embeddingVector.ts';
import { errorCode } from './errorCode.ts';
import { Scorer, type PromptInput } from './scorer.ts';
import { visionCacheBytesOf, visionCacheOf } from './visionCache.ts';
import type { LoadedModel } from './session.ts';
import { modelKindOf } from '../store/manifest.ts';

export interface EmbedRequest {
  /** The instruction of every input without its own (default "Represent the user's input."). */
  instruction?: string | null;
  inputs: EmbedInput[];
  /** Keep the first `dims` values, renormalised (Matryoshka; 64 … the model's width). */
  dims?: number | null;
  fps?: number | null;
  max_frames?: number | null;
}

export interface EmbedResult {
  index: number;
  embedding: Float32Array | null;
  error?: string;
  code?: string;
  warnings?: string[];
  ms: number;
}

export interface EmbedOutput {
  embeddings: (Float32Array | null)[];
  errors: { index: number; code: string; message: string }[];
  warnings: { index: number; message: string }[];
}

export interface EmbedRunOptions {
  maxLength?: number;
  maxTextChars?: number;
  chunkTokens?: number;
  /** Inputs prepared per window (bounds decoded media in memory). */
  windowInputs?: number;
  windowPatchBytes?: number;
  /** Budget of the model's vision cache in MB (see RerankRunOptions.visionCacheMb); 0 disables it. */
  visionCacheMb?: number;
  onEmbedding?: (r: EmbedResult) => void;
  signal?: AbortSignal;
}

type Prepared = { index: number; input: PromptInput | Error; warnings: string[]; start: number };

const cancelled = () => new DOMException('embedding was cancelled', 'AbortError');

export class EmbedSession {
  constructor(
    private model: LoadedModel,
    private tokenizer: PromptTokenizer,
    private media: MediaDecoder,
  ) {
    if (modelKindOf(model.manifest) !== 'embedding')
      throw Object.assign(
        new Error(`${model.manifest.label} is a reranker, not an embedding model: load a Qwen3-VL-Embedding conversion`),
        {
          code: 'bad-request',
        },
      );
  }

  async run(request: EmbedRequest, opts: EmbedRunOptions = {}): Promise<EmbedOutput> {
    if (!Array.isArray(request?.inputs)) throw Object.assign(new Error('"inputs" must be a list'), { code: 'bad-request' });
    const dims = embeddingDims(request.dims, this.model.cfg.text.hiddenSize);
    const out: EmbedOutput = { embeddings: new Array(request.inputs.length).fill(null), errors: [], warnings: [] };
    const scorer = new Scorer(this.model, { visionCache: visionCacheOf(this.model, visionCacheBytesOf(opts.visionCacheMb)) });
    // The system prompt every input without its own instruction shares: its KV cache is computed once.
    const shared = this.prefixIds(request);
    await scorer.setPrefix(shared ? { ids: shared, images: [], videos: [] } : null, { chunkTokens: opts.chunkTokens, signal: opts.signal });

    const windowInputs = opts.windowInputs ?? 16;
    const windowBytes = opts.windowPatchBytes ?? 256 * 1024 * 1024;
    let next = 0;
    while (next < request.inputs.length) {
      if (opts.signal?.aborted) throw cancelled();
      const window: Prepared[] = [];
      let bytes = 0;
      while (next < request.inputs.length && window.length < windowInputs && bytes < windowBytes) {
        const prepared = await this.prepare(next++, request, opts);
        bytes +=
          prepared.input instanceof Error
            ? 0
            : [...prepared.input.images, ...prepared.input.videos].reduce((s, v) => s + v.patches.byteLength, 0);
        window.push(prepared);
      }
      await scorer.scoreDocs(
        window.map((w) => w.input),
        {
          chunkTokens: opts.chunkTokens,
          signal: opts.signal,
          onScore: (k, r) => {
            const w = window[k];
            const embedding = r.vector ? unitEmbedding(r.vector, dims) : null;
            const error = r.error ?? (embedding ? undefined : 'the model gave no hidden state: is this an embedding model?');
            const code = error === undefined ? undefined : errorCode(w.input instanceof Error ? w.input : r);
            out.embeddings[w.index] = embedding;
            if (error !== undefined) out.errors.push({ index: w.index, code: code!, message: error });
            for (const message of w.warnings) out.warnings.push({ index: w.index, message });
            opts.onEmbedding?.({
              index: w.index,
              embedding,
              error,
              code,
              warnings: w.warnings.length ? w.warnings : undefined,
              ms: performance.now() - w.start,
            });
          },
        },
      );
    }
    out.errors.sort((a, b) => a.index - b.index);
    out.warnings.sort((a, b) => a.index - b.index);
    return out;
  }

  /**
   * The ids every input under the request's instruction starts with: the system turn and the user turn's
   * `<|im_start|>` (what follows depends on the input).
   */
  private prefixIds(request: EmbedRequest): number[] | null {
    try {
      const conv = buildEmbedConversation({}, request);
      const ids = encodeEmbedPrompt(conv, this.tokenizer, { images: [], videos: [] }).ids;
      const systemEnd = ids.indexOf(this.tokenizer.addedTokenId('<|im_end|>'));
      const userStart = ids.indexOf(this.tokenizer.addedTokenId('<|im_start|>'), systemEnd);
      return systemEnd < 0 || userStart < 0 ? null : ids.slice(0, userStart + 1);
    } catch {
      return null; // a bad instruction fails each input below, with its reason
    }
  }

  private async prepare(index: number, request: EmbedRequest, opts: EmbedRunOptions): Promise<Prepared> {
    const start = performance.now();
    try {
      const input = request.inputs[index];
      if (!input || typeof input !== 'object' || Array.isArray(input))
        throw Object.assign(new Error('an input must be an object with text, image and/or video'), { code: 'bad-request' });
      const conv = buildEmbedConversation(input, request);
      const items = mediaItems(conv);
      const decoded: DecodedMedia[] = [];
      const counts = { image: 0, video: 0 };
      for (const item of items) {
        counts[item.type]++;
        try {
          decoded.push(await decodeMediaItem(this.media, item));
        } catch (err) {
          throw Object.assign(new Error(`${item.type} ${counts[item.type]}: ${(err as Error).message}`), { code: errorCode(err) });
        }
      }
      return { index, ...this.encode(conv, items, decoded, opts), start };
    } catch (err) {
      if (opts.signal?.aborted) throw opts.signal.reason ?? cancelled();
      return { index, input: err as Error, warnings: [], start };
    }
  }

  private encode(conv: RerankConversation, items: (ImageItem | VideoItem)[], decoded: DecodedMedia[], opts: EmbedRunOptions) {
    const { images, videos, media } = promptMediaOf(items, decoded);
    const prompt = encodeEmbedPrompt(conv, this.tokenizer, media, {
      maxLength: opts.maxLength,
      maxTextChars: opts.maxTextChars,
      mergeSize: this.model.cfg.vision.spatialMergeSize,
    });
    return {
      input: { ids: prompt.ids, images, videos } as PromptInput,
      warnings: [...decoded.flatMap((d) => d.warnings ?? []), ...prompt.warnings],
    };
  }
}
