// The moments and covers half of the worker's API (MomentsApi, issue G), served by the worker that
// holds the reranker: src/engine/moments.ts and covers.ts over the browser's VideoReader
// (src/media/browserVideoReader.ts). Each call runs in the worker's one-at-a-time queue, so cancel()
// stops it like a rerank; windows and frames stream through the callbacks as they score. A video longer
// than maxVideoSeconds is accepted here: that limit bounds each window (a clip), not the file.
import { coverFramesOf } from '../src/engine/covers.ts';
import { moments, windowSettings, type VideoScoringContext } from '../src/engine/moments.ts';
import type { LoadedModel } from '../src/engine/session.ts';
import { browserVideoDecoder } from '../src/media/browserVideoReader.ts';
import { RequestError, validateRequest, type PromptTokenizer } from '../src/prompt/index.ts';
import type { CoverResult, MomentsApi, MomentsResult } from './api.ts';

/** What moments need of the worker: its loaded reranker, run in turn. */
export interface RerankerRunner {
  /**
   * Runs `op` in the worker's queue with the loaded reranker (a clear error, with code 'no-model' or
   * 'wrong-model-kind', when there is none); cancel() aborts `signal`.
   */
  withReranker<T>(call: string, op: (m: { model: LoadedModel; tokenizer: PromptTokenizer }, signal: AbortSignal) => Promise<T>): Promise<T>;
}

const isVideoFile = (v: unknown): v is string | Blob => (typeof v === 'string' && v.length > 0) || v instanceof Blob;

export function momentsApi(runner: RerankerRunner): MomentsApi {
  return {
    async moments(request, onWindow, options = {}): Promise<MomentsResult> {
      if (!request || typeof request !== 'object') throw new RequestError('a moments request is { query, video, window?, stride?, … }');
      const { instruction, query, video, window, stride, fps, maxFrames, max_frames } = request;
      if (!isVideoFile(video)) throw new RequestError('"video" must be the URL of a video file, or a File / Blob');
      // The query, instruction, fps and max_frames checked as a rerank request's are.
      const valid = validateRequest({ instruction, query, documents: [], fps, max_frames: maxFrames ?? max_frames });
      windowSettings({ window, stride });
      return runner.withReranker('moments', ({ model, tokenizer }, signal) => {
        const media = browserVideoDecoder({
          maxVideoSeconds: options.maxVideoSeconds,
          fetchTimeoutMs: options.fetchTimeoutMs,
          stallTimeoutMs: options.stallTimeoutMs,
          maxImagePixels: options.maxImagePixels,
          signal,
        });
        const ctx: VideoScoringContext = { model, tokenizer, media };
        return moments(ctx, valid.query ?? query, video, {
          instruction: valid.instruction ?? undefined,
          window,
          stride,
          fps: valid.fps ?? undefined,
          maxFrames: valid.max_frames ?? undefined,
          signal,
          onWindow: onWindow ? (e) => void onWindow(e) : undefined,
          run: { maxLength: options.maxLength, maxTextChars: options.maxTextChars, reusePrefix: options.reusePrefix },
        });
      });
    },

    async coverFrames(title, video, options = {}, onFrame): Promise<CoverResult> {
      if (!isVideoFile(video)) throw new RequestError('the video must be the URL of a video file, or a File / Blob');
      if (options.imageType !== undefined && options.imageType !== 'image/jpeg' && options.imageType !== 'image/png')
        throw new RequestError(`imageType must be 'image/jpeg' or 'image/png', got ${JSON.stringify(options.imageType)}`);
      return runner.withReranker('coverFrames', ({ model, tokenizer }, signal) => {
        const media = browserVideoDecoder({ fetchTimeoutMs: options.fetchTimeoutMs, stallTimeoutMs: options.stallTimeoutMs, signal });
        return media.withVideo({ type: 'video', video }, async (reader) => {
          const r = await coverFramesOf({ model, tokenizer, media }, reader, title, {
            fps: options.fps,
            top: options.top,
            instruction: options.instruction,
            signal,
            onFrame: onFrame ? (e) => void onFrame(e) : undefined,
            run: { maxLength: options.maxLength },
          });
          // One at a time: each is a seek and a decode, and a cancel stops between them.
          const topFrames: Blob[] = [];
          for (const i of r.topFrames) {
            signal.throwIfAborted();
            topFrames.push(await reader.frameBlob(i, options.imageType, options.imageQuality));
          }
          return {
            frames: r.frames,
            top: r.top,
            best: r.best,
            bestFrame: topFrames[0] ?? null,
            topFrames,
            width: reader.displayWidth,
            height: reader.displayHeight,
          };
        });
      });
    },
  };
}
