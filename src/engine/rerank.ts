// One rerank request end to end: conversations → media → prompt ids → scores, streaming each result.
// Media are decoded window by window (not all up front) so 200 image documents never sit in memory at
// once; the query's media are decoded once and their vision outputs stay cached with its KV prefix.
import {
  buildRerankConversations,
  DEFAULT_CONVERSATION_OPTIONS,
  encodeDocumentPrompt,
  mediaItems,
  separateMalformedDocuments,
  type ConversationOptions,
  type ImageItem,
  type PromptTokenizer,
  type RerankConversation,
  type RerankRequest,
  type VideoItem,
} from '../prompt/index.ts';
import { Scorer, type PromptInput } from './scorer.ts';
import type { LoadedModel } from './session.ts';
import { errorCode } from './errorCode.ts';
import { decodeMediaItem, promptMediaOf, type DecodedMedia } from './decodeMedia.ts';
import { visionCacheBytesOf, visionCacheOf } from './visionCache.ts';

export type { DecodedImage, DecodedVideo, MediaDecoder } from '../media/decoder.ts';
import type { MediaDecoder } from '../media/decoder.ts';

export interface RerankRunOptions {
  maxLength?: number;
  /** Longest instruction / query text / document text, in characters (prompt/promptError.ts default). */
  maxTextChars?: number;
  reusePrefix?: boolean;
  chunkTokens?: number;
  conversation?: Partial<ConversationOptions>;
  onScore?: (e: { index: number; score: number | null; error?: string; code?: string; warnings?: string[]; ms: number }) => void;
  signal?: AbortSignal;
  /** Documents prepared per window (bounds decoded media in memory). */
  windowDocs?: number;
  windowPatchBytes?: number;
  /**
   * Budget of the model's vision cache in MB (visionCache.ts; default 256 in Node, 128 in a browser),
   * kept for later requests; 0 empties and disables it.
   */
  visionCacheMb?: number;
}

export interface RerankOutput {
  scores: (number | null)[];
  /** `code`: the failure's stable code (codeOf: the thrown error's own code, else 'internal'). */
  errors: { index: number; code: string; message: string }[];
  warnings: { index: number; message: string }[];
}

/** `err`'s message with a prefix, its code kept. */
const withCode = (message: string, err: unknown) => Object.assign(new Error(message), { code: errorCode(err) });

type Decoded = DecodedMedia;

const handleOf = (item: ImageItem | VideoItem): unknown => (item.type === 'image' ? item.image : item.video);

export class RerankSession {
  constructor(
    private model: LoadedModel,
    private tokenizer: PromptTokenizer,
    private media: MediaDecoder,
  ) {}

  async run(request: RerankRequest, opts: RerankRunOptions = {}): Promise<RerankOutput> {
    const conv: ConversationOptions = { ...DEFAULT_CONVERSATION_OPTIONS, ...opts.conversation };
    // A malformed document fails alone: it pairs as an empty one and gets its problem instead of a score.
    const { request: usable, problems } = separateMalformedDocuments(request);
    const conversations = buildRerankConversations(usable, conv);
    const out: RerankOutput = { scores: [], errors: [], warnings: [] };
    if (!conversations.length) return out;
    out.scores = new Array(conversations.length).fill(null);
    const scorer = new Scorer(this.model, { visionCache: visionCacheOf(this.model, visionCacheBytesOf(opts.visionCacheMb)) });
    const queryCache = new Map<unknown, Promise<Decoded>>();
    const merge = this.model.cfg.vision.spatialMergeSize;

    // The query side: every conversation starts with the same query items.
    const nullDoc = buildRerankConversations({ ...request, documents: [{}] }, conv)[0];
    const queryItems = mediaItems(nullDoc);
    const queryHandles = new Set(queryItems.map(handleOf));
    const decodeQuery = (item: ImageItem | VideoItem) => {
      const handle = handleOf(item);
      let p = queryCache.get(handle);
      if (!p) queryCache.set(handle, (p = this.decode(item)));
      return p;
    };
    let queryDecoded: Decoded[];
    try {
      queryDecoded = await Promise.all(queryItems.map(decodeQuery));
    } catch (err) {
      throw withCode(`the query's media could not be used: ${(err as Error).message}`, err);
    }
    const prefix = this.encode(nullDoc, queryItems, queryDecoded, opts, merge);
    await scorer.setPrefix(opts.reusePrefix === false ? null : prefix.input, { chunkTokens: opts.chunkTokens, signal: opts.signal });

    const windowDocs = opts.windowDocs ?? 16;
    const windowBytes = opts.windowPatchBytes ?? 256 * 1024 * 1024;
    let next = 0;
    while (next < conversations.length) {
      if (opts.signal?.aborted) throw new DOMException('reranking was cancelled', 'AbortError');
      const window: { index: number; input: PromptInput | Error; warnings: string[]; start: number }[] = [];
      let bytes = 0;
      while (next < conversations.length && window.length < windowDocs && bytes < windowBytes) {
        const index = next++;
        const start = performance.now();
        const items = mediaItems(conversations[index]);
        try {
          const problem = problems.get(index);
          if (problem) throw problem;
          const decoded: Decoded[] = [];
          const counts = { image: 0, video: 0 };
          for (const item of items) {
            // The query's items are shared (same handles): decode them once; caching also keeps
            // their vision outputs alive with the prefix.
            const isQuery = queryHandles.has(handleOf(item));
            if (!isQuery) counts[item.type]++;
            try {
              decoded.push(await (isQuery ? decodeQuery(item) : this.decode(item)));
            } catch (err) {
              throw withCode(`${item.type} ${counts[item.type]}: ${(err as Error).message}`, err);
            }
          }
          const enc = this.encode(conversations[index], items, decoded, opts, merge);
          bytes += decoded.reduce((s, d) => s + d.vision.patches.byteLength, 0);
          window.push({ index, input: enc.input, warnings: enc.warnings, start });
        } catch (err) {
          // Cancelled while this document's media loaded: the run stops, the document is not to blame.
          if (opts.signal?.aborted) throw opts.signal.reason ?? new DOMException('reranking was cancelled', 'AbortError');
          window.push({ index, input: err as Error, warnings: [], start });
        }
      }
      await scorer.scoreDocs(
        window.map((w) => w.input),
        {
          chunkTokens: opts.chunkTokens,
          signal: opts.signal,
          onScore: (k, r) => {
            const w = window[k];
            out.scores[w.index] = r.score;
            // The document's own error (media, prompt) has its code; a failure in the model is Sift's.
            const code = r.error === undefined ? undefined : errorCode(w.input instanceof Error ? w.input : r);
            if (r.error !== undefined) out.errors.push({ index: w.index, code: code!, message: r.error });
            for (const message of w.warnings) out.warnings.push({ index: w.index, message });
            opts.onScore?.({
              index: w.index,
              score: r.score,
              error: r.error,
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

  private decode(item: ImageItem | VideoItem): Promise<Decoded> {
    return decodeMediaItem(this.media, item);
  }

  private encode(conv: RerankConversation, items: (ImageItem | VideoItem)[], decoded: Decoded[], opts: RerankRunOptions, merge: number) {
    const { images, videos, media } = promptMediaOf(items, decoded);
    const prompt = encodeDocumentPrompt(conv, this.tokenizer, media, {
      maxLength: opts.maxLength,
      maxTextChars: opts.maxTextChars,
      mergeSize: merge,
    });
    return {
      input: { ids: prompt.ids, images, videos } as PromptInput,
      warnings: [...decoded.flatMap((d) => d.warnings ?? []), ...prompt.warnings],
    };
  }
}
