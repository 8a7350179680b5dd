// The results as a JSON file: a summary of the request (never media bytes: files are described by
// name, type and size; image URLs are kept), every score and error, the model and the backend.
import type { WorkerStatus } from '../lib/types.ts';
import type { MediaRef, Run } from './stateTypes.ts';

export const EXPORT_FORMAT = 'sift-results';
export const EXPORT_FORMAT_VERSION = 1;

export interface MediaSummary {
  kind: 'image' | 'video';
  source: 'file' | 'url';
  name: string;
  type?: string;
  bytes?: number;
  url?: string;
}

export interface ExportedResults {
  format: typeof EXPORT_FORMAT;
  formatVersion: number;
  exportedAt: string;
  status: Run['status'];
  error: string | null;
  elapsedMs: number | null;
  model: { id: string; version: string; label: string; randomWeights: boolean; bytes: number } | null;
  backend: { name: string | null; reason: string; crossOriginIsolated?: boolean; threads?: number };
  request: {
    instruction: string;
    query: { text?: string; media?: MediaSummary };
    fps: number;
    max_frames: number;
    maxVideoSeconds: number;
    documentCount: number;
  };
  /** Best first: scored (highest score first), then failed, then not scored. */
  results: {
    rank: number | null;
    index: number;
    status: 'scored' | 'failed' | 'pending' | 'cancelled';
    /** Relevance in [0, 1] as the model gives it; `score100` is what the UI shows. */
    score: number | null;
    score100: number | null;
    ms: number | null;
    error?: string;
    warnings?: string[];
    document: { text?: string; media?: MediaSummary };
  }[];
  errors: { index: number; message: string }[];
}

function summarize(m: MediaRef | null): MediaSummary | undefined {
  if (!m) return undefined;
  if (m.source === 'url') return { kind: m.kind, source: 'url', name: m.name, url: m.url };
  const out: MediaSummary = { kind: m.kind, source: 'file', name: m.name };
  if (m.type) out.type = m.type;
  if (m.bytes !== null) out.bytes = m.bytes;
  return out;
}

/** `order` is the displayed order (row indices, best first). */
export function buildExport(run: Run, order: number[], status: WorkerStatus | null): ExportedResults {
  const byIndex = new Map(run.rows.map((r) => [r.index, r]));
  let rank = 0;
  const results = order.map((i) => {
    const r = byIndex.get(i)!;
    const doc: { text?: string; media?: MediaSummary } = {};
    if (r.text) doc.text = r.text;
    const media = summarize(r.media);
    if (media) doc.media = media;
    const out: ExportedResults['results'][number] = {
      rank: r.state === 'scored' ? ++rank : null,
      index: r.index,
      status: r.state,
      score: r.score,
      score100: r.score === null ? null : Math.round(r.score * 1000) / 10,
      ms: r.ms === null ? null : Math.round(r.ms * 10) / 10,
      document: doc,
    };
    if (r.error) out.error = r.error;
    if (r.warnings.length) out.warnings = [...r.warnings];
    return out;
  });
  const query: ExportedResults['request']['query'] = {};
  if (run.request.query.text.trim()) query.text = run.request.query.text;
  const qm = summarize(run.request.query.media);
  if (qm) query.media = qm;
  return {
    format: EXPORT_FORMAT,
    formatVersion: EXPORT_FORMAT_VERSION,
    exportedAt: new Date().toISOString(),
    status: run.status,
    error: run.error,
    elapsedMs: run.finishedAt === null ? null : Math.round(run.finishedAt - run.startedAt),
    model: run.model
      ? {
          id: run.model.id,
          version: run.model.version,
          label: run.model.label,
          randomWeights: run.model.randomWeights,
          bytes: run.model.bytes,
        }
      : null,
    backend: {
      name: run.backend,
      reason: run.backendReason,
      crossOriginIsolated: status?.crossOriginIsolated,
      threads: status?.threads,
    },
    request: {
      instruction: run.request.instruction,
      query,
      fps: run.request.fps,
      max_frames: run.request.maxFrames,
      maxVideoSeconds: run.request.maxVideoSeconds,
      documentCount: run.rows.length,
    },
    results,
    errors: run.rows.filter((r) => r.state === 'failed').map((r) => ({ index: r.index, message: r.error ?? 'failed' })),
  };
}

/** Saves the export as a .json download. */
export function downloadJson(data: unknown, filename: string): void {
  const blob = new Blob([JSON.stringify(data, null, 2)], { type: 'application/json' });
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = filename;
  a.rel = 'noopener';
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

export function exportFilename(date = new Date()): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `sift-results-${date.getFullYear()}${p(date.getMonth() + 1)}${p(date.getDate())}-${p(date.getHours())}${p(date.getMinutes())}${p(date.getSeconds())}.json`;
}
