// What the "Inside a video" view runs its work with: moments and cover frames of one video, and a way to
// cancel them. A video opened from the Rerank view (or picked in the view) uses the Rerank view's loaded
// reranker; a library result uses the library's own reranker, so opening it loads no second model.
import { coverFramesVia, momentsVia, type CoverFramesOptions, type MomentsOptions, type VideoFile } from '../lib/moments.ts';
import type { CoverResult, MomentsResult } from '../lib/types.ts';
import type { SiftClient } from '../lib/workerClient.ts';

export interface VideoTools {
  /** Who runs the work, for messages ("the Rerank view's model", "the library's reranker"). */
  label: string;
  moments(query: string, options: MomentsOptions): Promise<MomentsResult>;
  coverFrames(title: string, options: CoverFramesOptions): Promise<CoverResult>;
  cancel(): Promise<void>;
}

/** Tools over a worker client that holds a loaded reranker, for the video `file` (a File or a URL). */
export function clientVideoTools(client: SiftClient, file: VideoFile, label: string): VideoTools {
  return {
    label,
    moments: (query, options) => momentsVia(client, query, file, options),
    coverFrames: (title, options) => coverFramesVia(client, title, file, options),
    cancel: () => client.cancel(),
  };
}
