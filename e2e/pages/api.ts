// Test page for the public library API: one `new Reranker()` (the built-in tiny model, in the real Sift
// worker; ort/ and models/ at the dev server's root, not beside this page), driven by
// e2e/badInput.spec.ts through window.apiTest. Files cross from the test as
// `{ __file: base64, name, type }` and become File objects here, as a user's picked files would be;
// everything else in a request is passed through untouched (bad shapes included).
import { Reranker, type RankOptions } from '../../src/lib/index.ts';
import type { RerankRequest } from '../../src/lib/types.ts';

export interface WireFile {
  __file: string;
  name: string;
  type: string;
}

function revive(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(revive);
  if (v && typeof v === 'object') {
    const f = v as Partial<WireFile>;
    if (typeof f.__file === 'string') {
      const bytes = Uint8Array.from(atob(f.__file), (c) => c.charCodeAt(0));
      return new File([bytes], f.name ?? 'file', { type: f.type ?? '' });
    }
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, revive(x)]));
  }
  return v;
}

// WASM chosen explicitly: on these test machines the only WebGPU adapter is SwiftShader, and merely
// requesting it inside the worker (what the default 'auto' does to decide) slows onnxruntime's WASM
// runs there ~60× afterwards (measured: one decoder call 82 ms → 5.4 s).
const reranker = new Reranker({ backend: 'wasm', assetsUrl: '/' });

/** A rerank call as a serializable outcome: the result, or the error's name and message. */
async function rerank(request: unknown, options: RankOptions = {}) {
  const started = performance.now();
  try {
    const r = await reranker.processDetailed(revive(request) as RerankRequest, options);
    return { ok: true as const, ...r, ms: performance.now() - started };
  } catch (err) {
    const e = err as Error & { code?: string };
    return { ok: false as const, name: e.name, code: e.code, message: e.message, ms: performance.now() - started };
  }
}

const api = {
  load: () => reranker.load(),
  rerank,
  cancel: () => reranker.cancel(),
};
export type ApiTestApi = typeof api;
(window as unknown as { apiTest: ApiTestApi }).apiTest = api;
document.body.dataset.ready = 'true';
