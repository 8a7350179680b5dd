// The query settings (fps, max frames, longest video) as the user typed them, and their validation.
// Values stay strings in the UI so a half-typed or wrong value survives until it is fixed; the bounds
// match the request validator (src/prompt/validate.ts) so a value the UI accepts never fails there.

export const DEFAULT_INSTRUCTION = 'Given a search query, retrieve relevant candidates that answer the query.';
export const DEFAULT_FPS = 1;
export const DEFAULT_MAX_FRAMES = 64;
export const DEFAULT_MAX_VIDEO_SECONDS = 30;

export const FPS_MAX = 60;
export const MAX_FRAMES_MIN = 2;
export const MAX_FRAMES_MAX = 768;
export const VIDEO_SECONDS_MAX = 3600;

export interface SettingsInput {
  fps: string;
  maxFrames: string;
  maxVideoSeconds: string;
}

export interface SettingsCheck {
  fps: number | null;
  maxFrames: number | null;
  maxVideoSeconds: number | null;
  errors: { fps?: string; maxFrames?: string; maxVideoSeconds?: string };
  ok: boolean;
}

function parseNumber(raw: string): number | null {
  const t = raw.trim();
  if (t === '') return null;
  const n = Number(t);
  return Number.isFinite(n) ? n : NaN;
}

export function checkFps(raw: string): { value: number | null; error?: string } {
  const n = parseNumber(raw);
  if (n === null) return { value: null, error: 'Enter frames per second, e.g. 1.' };
  if (Number.isNaN(n)) return { value: null, error: 'Frames per second must be a number, e.g. 1 or 0.5.' };
  if (n <= 0) return { value: null, error: 'Frames per second must be more than 0.' };
  if (n > FPS_MAX) return { value: null, error: `At most ${FPS_MAX} frames per second; 1 or 2 is typical.` };
  return { value: n };
}

export function checkMaxFrames(raw: string): { value: number | null; error?: string } {
  const n = parseNumber(raw);
  if (n === null) return { value: null, error: 'Enter the most frames to take from a video, e.g. 64.' };
  if (Number.isNaN(n) || !Number.isInteger(n)) return { value: null, error: 'Max frames must be a whole number, e.g. 64.' };
  if (n < MAX_FRAMES_MIN) return { value: null, error: `Max frames must be at least ${MAX_FRAMES_MIN} (frames are taken in pairs).` };
  if (n > MAX_FRAMES_MAX) return { value: null, error: `Max frames can be at most ${MAX_FRAMES_MAX}; 64 is the reference default.` };
  return { value: n };
}

export function checkMaxVideoSeconds(raw: string): { value: number | null; error?: string } {
  const n = parseNumber(raw);
  if (n === null) return { value: null, error: 'Enter the longest video to accept, in seconds, e.g. 30.' };
  if (Number.isNaN(n)) return { value: null, error: 'The video length limit must be a number of seconds.' };
  if (n <= 0) return { value: null, error: 'The video length limit must be more than 0 seconds.' };
  if (n > VIDEO_SECONDS_MAX) return { value: null, error: `The video length limit can be at most ${VIDEO_SECONDS_MAX} s (one hour).` };
  return { value: n };
}

export function checkSettings(s: SettingsInput): SettingsCheck {
  const fps = checkFps(s.fps);
  const maxFrames = checkMaxFrames(s.maxFrames);
  const maxVideoSeconds = checkMaxVideoSeconds(s.maxVideoSeconds);
  const errors: SettingsCheck['errors'] = {};
  if (fps.error) errors.fps = fps.error;
  if (maxFrames.error) errors.maxFrames = maxFrames.error;
  if (maxVideoSeconds.error) errors.maxVideoSeconds = maxVideoSeconds.error;
  return {
    fps: fps.value,
    maxFrames: maxFrames.value,
    maxVideoSeconds: maxVideoSeconds.value,
    errors,
    ok: Object.keys(errors).length === 0,
  };
}
