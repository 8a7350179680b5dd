// The shapes the UI state is made of (media, candidates, result rows, runs) and the pure helpers that
// build or order them. No runes here: the classes in the *.svelte.ts modules hold the reactive state built from these.
import type { Backend, ModelInfo } from '../lib/types.ts';
import type { MediaKind } from './media.ts';
import { createObjectUrl } from './objectUrls.ts';

export const OFFICIAL_2B = {
  id: 'Qwen3-VL-Reranker-2B',
  url: 'https://huggingface.co/Qwen/Qwen3-VL-Reranker-2B/resolve/main/',
  /** The bf16 safetensors the worker streams (about 2.1 B parameters × 2 bytes). */
  downloadBytes: 4.3e9,
};

/** Rough stored size of the converted 2B model per weight format (for the storage check only). */
export function estimatedStoredBytes(bits: 4 | 8 | 32): number {
  return OFFICIAL_2B.downloadBytes * (bits === 4 ? 0.32 : bits === 8 ? 0.56 : 2);
}

export interface MediaRef {
  kind: MediaKind;
  source: 'file' | 'url';
  /** An object URL (files; reference-counted in objectUrls.ts) or the http(s) URL. */
  url: string;
  name: string;
  type: string;
  bytes: number | null;
  file: File | null;
}

export interface VideoInfo {
  state: 'probing' | 'ready' | 'error';
  duration: number | null;
  width: number;
  height: number;
  frames: string[];
  error: string | null;
}

export interface Candidate {
  id: string;
  text: string;
  media: MediaRef | null;
}

export type RowState = 'pending' | 'scored' | 'failed' | 'cancelled';

export interface ResultRow {
  index: number;
  id: string;
  text: string;
  media: MediaRef | null;
  state: RowState;
  score: number | null;
  error: string | null;
  warnings: string[];
  ms: number | null;
}

export interface Run {
  id: number;
  status: 'running' | 'done' | 'cancelled' | 'failed';
  error: string | null;
  startedAt: number;
  finishedAt: number | null;
  rows: ResultRow[];
  model: ModelInfo | null;
  backend: Backend | null;
  backendReason: string;
  request: {
    instruction: string;
    query: { text: string; media: MediaRef | null };
    fps: number;
    maxFrames: number;
    maxVideoSeconds: number;
  };
  candidatesVersion: number;
}

let idCounter = 0;
/** A candidate id unique in this page (keys the candidate and results lists). */
export const newId = () => `c${(++idCounter).toString(36)}${Math.floor(Math.random() * 1e6).toString(36)}`;

/** A file's media; takes one reference on a new object URL (release it with releaseUrl). */
export function fileMedia(file: File, kind: MediaKind): MediaRef {
  return { kind, source: 'file', url: createObjectUrl(file), name: file.name || `${kind}`, type: file.type, bytes: file.size, file };
}

/** An http(s) image URL's media. Throws on a string that is not a URL. */
export function urlMedia(url: string): MediaRef {
  const name = decodeURIComponent(new URL(url).pathname.split('/').pop() || url);
  return { kind: 'image', source: 'url', url, name, type: '', bytes: null, file: null };
}

/** Rows best first: scored (highest score first), then failed, then the rest, each in candidate order. */
export function sortRows(rows: ResultRow[]): ResultRow[] {
  const rank = (r: ResultRow) => (r.state === 'scored' ? 0 : r.state === 'failed' ? 1 : 2);
  return [...rows].sort((a, b) => rank(a) - rank(b) || (a.state === 'scored' ? (b.score ?? 0) - (a.score ?? 0) : 0) || a.index - b.index);
}
