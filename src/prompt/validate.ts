// Checks a request's shape before any work, so a wrong JSON shape gets one clear message (API and
// CLI alike) instead of a crash deep in the pipeline. A malformed document fails only itself
// (separateMalformedDocuments, used by the engine); a malformed query or request field fails the request.
// Per-document media problems are not checked here: those fail only their document, later.
import type { RerankRequest, RerankSide } from './request.ts';

export class RequestError extends Error {
  override name = 'RequestError';
  /** 'bad-request' (the request cannot be used) or 'bad-document' (one document of it cannot). */
  readonly code: string;
  constructor(message: string, code = 'bad-request') {
    super(message);
    this.code = code;
  }
}

const MAX_FPS = 60;
const MAX_FRAMES = 768;

function isMedia(v: unknown): boolean {
  return typeof v === 'string' || (typeof v === 'object' && v !== null);
}

function shown(v: unknown): string {
  const s = JSON.stringify(v) ?? String(v);
  return s.length > 60 ? `${s.slice(0, 57)}…` : s;
}

function checkSide(side: unknown, where: string, code?: string): void {
  if (side === undefined || side === null) return;
  if (typeof side !== 'object' || Array.isArray(side))
    throw new RequestError(`${where} must be an object like {"text": "…", "image": "…"}, got ${shown(side)}`, code);
  const s = side as Record<string, unknown>;
  for (const key of Object.keys(s)) {
    if (!['text', 'image', 'video', 'clip'].includes(key))
      throw new RequestError(`${where} has an unknown field "${key}" (expected text, image, video, clip)`, code);
  }
  // A window of the side's video, in seconds (a library segment, a moment): {"start": 20, "end": 30}.
  const clip = s.clip as { start?: unknown; end?: unknown } | undefined | null;
  if (clip !== undefined && clip !== null) {
    const ok =
      typeof clip === 'object' &&
      typeof clip.start === 'number' &&
      typeof clip.end === 'number' &&
      clip.start >= 0 &&
      clip.end > clip.start;
    if (!ok)
      throw new RequestError(`${where}.clip must be {"start": seconds, "end": seconds} with 0 ≤ start < end, got ${shown(clip)}`, code);
  }
  const t = s.text;
  if (t !== undefined && t !== null && typeof t !== 'string' && !(Array.isArray(t) && t.every((x) => typeof x === 'string'))) {
    throw new RequestError(`${where}.text must be a string or a list of strings, got ${shown(t)}`, code);
  }
  for (const key of ['image', 'video'] as const) {
    const v = s[key];
    if (v === undefined || v === null) continue;
    const list = Array.isArray(v) ? v : [v];
    // An image is one path / URL / handle (not a list); a video may also be a list of frames.
    const one = (x: unknown) => isMedia(x) && !Array.isArray(x);
    if (!list.every((x) => one(x) || (key === 'video' && Array.isArray(x) && x.every(one)))) {
      throw new RequestError(`${where}.${key} must be a file path, URL, data URL, file, or a list of them, got ${shown(v)}`, code);
    }
    if (list.some((x) => x === '')) throw new RequestError(`${where}.${key} contains an empty string`, code);
  }
}

/**
 * Validates the request as a whole and returns it; throws RequestError with a message that says what to
 * fix. Documents are checked only for being a list: each one's shape fails only itself (separateMalformedDocuments).
 */
export function validateRequest(json: unknown): RerankRequest {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new RequestError('the request must be a JSON object: {"query": {...}, "documents": [{...}, …]}');
  }
  const r = json as Record<string, unknown>;
  for (const key of Object.keys(r)) {
    if (!['instruction', 'query', 'documents', 'fps', 'max_frames'].includes(key)) {
      throw new RequestError(`unknown request field "${key}" (expected instruction, query, documents, fps, max_frames)`);
    }
  }
  if (r.instruction !== undefined && r.instruction !== null && typeof r.instruction !== 'string')
    throw new RequestError('"instruction" must be a string');
  checkSide(r.query, 'query');
  if (r.documents !== undefined && r.documents !== null) {
    if (!Array.isArray(r.documents)) throw new RequestError('"documents" must be a list of objects like {"text": "…"}');
  }
  if (r.fps !== undefined && r.fps !== null) {
    if (typeof r.fps !== 'number' || !Number.isFinite(r.fps) || r.fps <= 0 || r.fps > MAX_FPS) {
      throw new RequestError(`"fps" must be a number in (0, ${MAX_FPS}], got ${JSON.stringify(r.fps)}`);
    }
  }
  if (r.max_frames !== undefined && r.max_frames !== null) {
    const m = r.max_frames;
    if (typeof m !== 'number' || !Number.isInteger(m) || m < 2 || m > MAX_FRAMES) {
      throw new RequestError(`"max_frames" must be a whole number from 2 to ${MAX_FRAMES}, got ${JSON.stringify(m)}`);
    }
  }
  return json as RerankRequest;
}

/** Why one document cannot be used (a RequestError 'bad-document'), or null when its shape is fine. */
export function documentProblem(doc: unknown, index: number): RequestError | null {
  try {
    checkSide(doc, `documents[${index}]`, 'bad-document');
    return null;
  } catch (e) {
    return e as RequestError;
  }
}

/**
 * The request with each malformed document replaced by an empty one (so the others pair and score
 * as usual), and the problem of each replaced document by index: those fail alone.
 */
export function separateMalformedDocuments(request: RerankRequest): { request: RerankRequest; problems: Map<number, RequestError> } {
  const problems = new Map<number, RequestError>();
  const documents = Array.isArray(request.documents) ? request.documents : [];
  documents.forEach((d, i) => {
    const p = documentProblem(d, i);
    if (p) problems.set(i, p);
  });
  if (problems.size === 0) return { request, problems };
  return { request: { ...request, documents: documents.map((d, i) => (problems.has(i) ? {} : d)) }, problems };
}

export type { RerankSide };
