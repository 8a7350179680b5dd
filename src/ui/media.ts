// Turning what the user drops, picks or pastes into candidates and query media: classifying files and
// lines, and reading a video's length and a few thumbnail frames with a <video> element (the browser
// decodes off the main thread; we only draw small frames).

export type MediaKind = 'image' | 'video';

const IMAGE_EXT = /\.(?:png|jpe?g|gif|webp|avif|bmp)$/i;
const VIDEO_EXT = /\.(?:mp4|m4v|webm|mov|mkv|ogv)$/i;
/** A line that is an http(s) URL whose path ends in an image extension (query/fragment allowed). */
const IMAGE_URL_LINE = /^https?:\/\/\S+$/i;

export function mediaKindOfFile(file: File): MediaKind | null {
  if (file.type.startsWith('image/')) return 'image';
  if (file.type.startsWith('video/')) return 'video';
  if (IMAGE_EXT.test(file.name)) return 'image';
  if (VIDEO_EXT.test(file.name)) return 'video';
  return null;
}

/** The URL if `line` is an http(s) URL of an image (by the extension of its path), else null. */
export function imageUrlOf(line: string): string | null {
  const t = line.trim();
  if (!IMAGE_URL_LINE.test(t)) return null;
  try {
    const u = new URL(t);
    if (u.protocol !== 'http:' && u.protocol !== 'https:') return null;
    return IMAGE_EXT.test(u.pathname) ? u.href : null;
  } catch {
    return null;
  }
}

export type ParsedLine = { kind: 'text'; text: string } | { kind: 'image-url'; url: string };

/** One candidate per non-empty line; image URLs become image candidates. */
export function parseCandidateLines(text: string): ParsedLine[] {
  const out: ParsedLine[] = [];
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (!line) continue;
    const url = imageUrlOf(line);
    out.push(url ? { kind: 'image-url', url } : { kind: 'text', text: line });
  }
  return out;
}

export interface VideoProbe {
  /** Seconds, or null when the browser could not tell. */
  duration: number | null;
  width: number;
  height: number;
  /** Small JPEG frames spread over the video (may be empty). */
  frames: Blob[];
  /** Why the video could not be read, when it could not. */
  error?: string;
}

const MEDIA_ERRORS: Record<number, string> = {
  1: 'reading was aborted',
  2: 'a network error stopped reading the file',
  3: 'the browser could not decode it (damaged, or a codec it does not support such as HEVC)',
  4: 'the browser does not support this format or codec (MP4 with H.264, or WebM with VP8/VP9/AV1 work)',
};

function once(el: HTMLMediaElement, ok: string, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const done = (fn: () => void) => {
      clearTimeout(timer);
      el.removeEventListener(ok, onOk);
      el.removeEventListener('error', onErr);
      fn();
    };
    const onOk = () => done(resolve);
    const onErr = () => done(() => reject(new Error(MEDIA_ERRORS[el.error?.code ?? 4] ?? 'unreadable video')));
    const timer = setTimeout(() => done(() => reject(new Error('the browser took too long to read it'))), timeoutMs);
    el.addEventListener(ok, onOk);
    el.addEventListener('error', onErr);
  });
}

function canvasBlob(canvas: HTMLCanvasElement): Promise<Blob | null> {
  return new Promise((resolve) => canvas.toBlob((b) => resolve(b), 'image/jpeg', 0.72));
}

// One video at a time: dropping fifty videos must not start fifty decoders.
let queue: Promise<unknown> = Promise.resolve();

/** Reads a video's length and `frameCount` thumbnails `thumbHeight` px high. Never throws. */
export function probeVideo(url: string, frameCount = 4, thumbHeight = 72): Promise<VideoProbe> {
  const job = queue.then(() => probeNow(url, frameCount, thumbHeight));
  queue = job.catch(() => undefined);
  return job;
}

async function probeNow(url: string, frameCount: number, thumbHeight: number): Promise<VideoProbe> {
  const video = document.createElement('video');
  video.muted = true;
  video.playsInline = true;
  video.preload = 'auto';
  video.src = url;
  const result: VideoProbe = { duration: null, width: 0, height: 0, frames: [] };
  try {
    await once(video, 'loadedmetadata', 15_000);
    result.width = video.videoWidth;
    result.height = video.videoHeight;
    result.duration = Number.isFinite(video.duration) && video.duration > 0 ? video.duration : null;
    if (!result.width || !result.height) throw new Error('it has no video track the browser can show');
    const h = thumbHeight;
    const w = Math.max(1, Math.round((result.width / result.height) * h));
    const canvas = document.createElement('canvas');
    canvas.width = w;
    canvas.height = h;
    const ctx = canvas.getContext('2d');
    const times = result.duration ? Array.from({ length: frameCount }, (_, i) => ((i + 0.5) / frameCount) * result.duration!) : [0];
    for (const t of times) {
      try {
        if (Math.abs(video.currentTime - t) > 1e-3) {
          const seeked = once(video, 'seeked', 8_000);
          video.currentTime = t;
          await seeked;
        } else if (video.readyState < 2) {
          await once(video, 'loadeddata', 8_000);
        }
        ctx?.drawImage(video, 0, 0, w, h);
        const blob = await canvasBlob(canvas);
        if (blob) result.frames.push(blob);
      } catch {
        break; // thumbnails are a nicety: keep what we have
      }
    }
  } catch (err) {
    result.error = `Could not read this video: ${(err as Error).message}.`;
  } finally {
    video.removeAttribute('src');
    video.load();
  }
  return result;
}
