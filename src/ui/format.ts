// Small formatting helpers shared by the UI panels (pure functions, no DOM).

const UNITS = ['B', 'KB', 'MB', 'GB', 'TB'];

/** Bytes in decimal units ("18.1 MB"), the way browsers and disk tools report sizes. */
export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes) || bytes < 0) return '—';
  let v = bytes;
  let u = 0;
  while (v >= 1000 && u < UNITS.length - 1) {
    v /= 1000;
    u++;
  }
  const digits = u === 0 ? 0 : v >= 100 ? 0 : 1;
  return `${v.toFixed(digits)} ${UNITS[u]}`;
}

/** A duration in seconds, rounded for humans: "45 s", "3 min 20 s", "1 h 5 min". */
export function formatSeconds(s: number): string {
  if (!Number.isFinite(s) || s < 0) return '—';
  if (s < 10) return `${s.toFixed(1)} s`;
  if (s < 60) return `${Math.round(s)} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${Math.round(s - m * 60)} s`;
  const h = Math.floor(m / 60);
  return `${h} h ${m - h * 60} min`;
}

/** Milliseconds for a per-candidate timing: "85 ms", "1.2 s". */
export function formatMs(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '—';
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`;
}

/** A [0, 1] score as the 0-100 number the UI shows, one decimal. */
export function formatScore(score: number): string {
  return (Math.min(1, Math.max(0, score)) * 100).toFixed(1);
}

export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

/** An error (from the worker, comlink or the DOM) as one readable sentence. */
export function errorMessage(err: unknown): string {
  if (err instanceof Error || (typeof err === 'object' && err !== null && 'message' in err)) {
    const msg = String((err as { message: unknown }).message || '').trim();
    if (msg) return msg;
    const name = (err as { name?: unknown }).name;
    if (typeof name === 'string' && name) return name;
  }
  if (typeof err === 'string' && err.trim()) return err;
  return 'Unknown error';
}

export function isAbortError(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { name?: unknown }).name === 'AbortError';
}

/**
 * A failed candidate's reason in plain words. The engine names the part that failed the way its API
 * counts them ("image 1: …", the first image of the document); a candidate in the app has at most one
 * image or video, so the row says "this candidate's image (name)" instead.
 */
export function plainRowError(error: string, media: { kind: string; name: string } | null): string {
  const m = /^(image|video) \d+: ([\s\S]*)$/.exec(error);
  if (m) return `Could not use this candidate's ${m[1]}${media && media.kind === m[1] ? ` (${media.name})` : ''}: ${m[2]}`;
  return `Could not score this candidate: ${error}`;
}

/** A time in a video as a clock: "0:05", "1:02:03". */
export function formatClock(s: number): string {
  if (!Number.isFinite(s) || s < 0) return '—';
  const t = Math.floor(s);
  const h = Math.floor(t / 3600);
  const m = Math.floor((t % 3600) / 60);
  const sec = String(t % 60).padStart(2, '0');
  return h ? `${h}:${String(m).padStart(2, '0')}:${sec}` : `${m}:${sec}`;
}
