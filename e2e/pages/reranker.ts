// Test page: the public API (`new Reranker()`, the real worker, the built-in tiny model) exposed to
// Playwright as `window.rerankerTest`, plus page-wide memory measurement.
import { Reranker } from '../../src/lib/index.ts';
import type { RerankRequest, RerankSide } from '../../src/lib/types.ts';

const reranker = new Reranker({ backend: 'wasm', assetsUrl: '/' });

/** Media sent from the test as bytes become Blobs here, as a user's files would be. */
type Doc = { text?: string; png?: number[]; mp4?: number[] };
const toSide = (d: Doc): RerankSide => {
  const side: RerankSide = {};
  if (d.text) side.text = d.text;
  if (d.png) side.image = new Blob([new Uint8Array(d.png)], { type: 'image/png' });
  if (d.mp4) side.video = new Blob([new Uint8Array(d.mp4)], { type: 'video/mp4' });
  return side;
};

const api = {
  load: () => reranker.load(),
  process: (query: string, docs: Doc[]) =>
    reranker.processDetailed({ query: { text: query }, documents: docs.map(toSide) } as RerankRequest),
  /** n concurrent process() calls, each with its own query. */
  concurrent: (queries: string[], docs: Doc[]) =>
    Promise.all(queries.map((q) => reranker.process({ query: { text: q }, documents: docs.map(toSide) }))),
  diagnostics: () => reranker.diagnostics(),
  /** A second Reranker that converts an official-layout checkpoint in its worker, then scores texts. */
  async convertAndScore(url: string, query: string, texts: string[]) {
    const progress: string[] = [];
    const converted = new Reranker({
      backend: 'wasm',
      assetsUrl: '/',
      model: { kind: 'checkpoint', url, id: 'tiny-converted-here', bits: 4 },
      onProgress: (p) => progress.push(p.phase),
    });
    try {
      const info = await converted.load();
      const scores = await converted.process({ query: { text: query }, documents: texts.map((text) => ({ text })) });
      return { info, scores, phases: [...new Set(progress)] };
    } finally {
      await converted.terminate();
    }
  },
  /** Bytes of JS and wasm memory of this page and its workers (Chromium; needs cross-origin isolation). */
  async pageMemoryBytes(): Promise<number | null> {
    const m = (performance as unknown as { measureUserAgentSpecificMemory?: () => Promise<{ bytes: number }> })
      .measureUserAgentSpecificMemory;
    return m ? (await m.call(performance)).bytes : null;
  },
};
(window as unknown as { rerankerTest: typeof api }).rerankerTest = api;
document.body.dataset.ready = 'true';
