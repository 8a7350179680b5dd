// Checks a request's shape before any work, so a wrong JSON shape gets one clear message (API and
// CLI alike) instead of a crash deep in the pipeline. Per-document media problems are not checked
// here: those fail only their document, later.
import type { RerankRequest, RerankSide } from './request.ts';

export class RequestError extends Error {
  override name = 'RequestError';
}

const MAX_FPS = 60;
const MAX_FRAMES = 768;

function isMedia(v: unknown): boolean {
  return typeof v === 'string' || (typeof v === 'object' && v !== null);
}

function checkSide(side: unknown, where: string): void {
  if (side === undefined || side === null) return;
  if (typeof side !== 'object' || Array.isArray(side)) throw new RequestError(`${where} must be an object like {"text": "…", "image": "…"}, got ${JSON.stringify(side)?.slice(0, 60)}`);
  const s = side as Record<string, unknown>;
  for (const key of Object.keys(s)) {
    if (!['text', 'image', 'video'].includes(key)) throw new RequestError(`${where} has an unknown field "${key}" (expected text, image, video)`);
  }
  const t = s.text;
  if (t !== undefined && t !== null && typeof t !== 'string' && !(Array.isArray(t) && t.every((x) => typeof x === 'string'))) {
    throw new RequestError(`${where}.text must be a string or a list of strings`);
  }
  for (const key of ['image', 'video'] as const) {
    const v = s[key];
    if (v === undefined || v === null) continue;
    const list = Array.isArray(v) ? v : [v];
    if (!list.every((x) => isMedia(x) || (key === 'video' && Array.isArray(x) && x.every(isMedia)))) {
      throw new RequestError(`${where}.${key} must be a file path, URL, data URL, file, or a list of them`);
    }
    if (list.some((x) => x === '')) throw new RequestError(`${where}.${key} contains an empty string`);
  }
}

/** Validates and returns the request; throws RequestError with a message that says what to fix. */
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
  if (r.instruction !== undefined && r.instruction !== null && typeof r.instruction !== 'string') throw new RequestError('"instruction" must be a string');
  checkSide(r.query, 'query');
  if (r.documents !== undefined && r.documents !== null) {
    if (!Array.isArray(r.documents)) throw new RequestError('"documents" must be a list of objects like {"text": "…"}');
    r.documents.forEach((d, i) => checkSide(d, `documents[${i}]`));
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

export type { RerankSide };
