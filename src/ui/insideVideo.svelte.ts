// The video open in the "Inside a video" view, and what runs its moments and covers. It is opened from a
// video candidate, a library result or the view's own file picker; any length is accepted here (the
// whole-video limit protects whole-video scoring, while moments and covers decode a window or a frame
// at a time).
import type { Announcer } from './announcer.svelte.ts';
import { createObjectUrl, releaseUrl } from './objectUrls.ts';
import type { VideoTools } from './videoTools.ts';

export type OpenedFrom = 'rerank' | 'library' | 'picked';

export interface OpenVideoRequest {
  /** The video: a File, or an http(s) URL (a video candidate given by URL). */
  file: Blob | string;
  name: string;
  from: OpenedFrom;
  /** A query to start from (the Rerank view's query, the library's search). */
  query?: string;
  /** What runs the work for this video; default the Rerank view's model. */
  tools?: () => VideoTools | string;
}

export interface OpenedVideo {
  /** Counts up with each open, so a run of an earlier video never writes into this one's state. */
  id: number;
  file: Blob | string;
  name: string;
  from: OpenedFrom;
  /** The player's source: an object URL of the file (released on close), or the video's URL. */
  url: string;
  tools?: () => VideoTools | string;
}

interface InsideVideoDeps {
  announcer: Announcer;
  /** The Rerank view's model as tools for `file`, or what the user must do first. */
  rerankTools: (file: Blob | string) => VideoTools | string;
  /** Called after a video is opened (shows the view; seeds the query). */
  onOpened: (request: OpenVideoRequest) => void;
}

/** "lecture_force-diagram.mp4" → "lecture force diagram": a title to start the cover from. */
export function titleFromName(name: string): string {
  return name
    .replace(/\.[^.]+$/, '')
    .replace(/[_.-]+/g, ' ')
    .trim();
}

export class InsideVideo {
  video = $state.raw<OpenedVideo | null>(null);
  /** Seconds, from the player's metadata (null until known). */
  duration = $state<number | null>(null);
  #deps: InsideVideoDeps;
  #opened = 0;

  constructor(deps: InsideVideoDeps) {
    this.#deps = deps;
  }

  open(request: OpenVideoRequest): void {
    this.close();
    this.video = {
      id: ++this.#opened,
      file: request.file,
      name: request.name,
      from: request.from,
      url: typeof request.file === 'string' ? request.file : createObjectUrl(request.file),
      tools: request.tools,
    };
    this.#deps.onOpened(request);
    this.#deps.announcer.announce(`Opened ${request.name} in "Inside a video".`);
  }

  /** What runs moments and covers for the open video, or a sentence saying what to do first. */
  tools(): VideoTools | string {
    const v = this.video;
    if (!v) return 'Open a video first.';
    return v.tools?.() ?? this.#deps.rerankTools(v.file);
  }

  close(): void {
    if (this.video && typeof this.video.file !== 'string') releaseUrl(this.video.url);
    this.video = null;
    this.duration = null;
  }
}
