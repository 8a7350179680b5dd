// Test page for the browser media decoder: forwards calls to a module worker (media.worker.ts), turning
// "file:" references into File objects first (as the app does with picked files) and "blob:" requests
// into blob URLs made on this page. Playwright cannot pass Files or typed arrays itself.
import type { MediaCall, MediaResult } from './media.worker.ts';

const worker = new Worker(new URL('./media.worker.ts', import.meta.url), { type: 'module' });
let nextId = 0;
const pending = new Map<number, (r: MediaResult) => void>();
worker.onmessage = (e: MessageEvent<{ id: number; result: MediaResult }>) => {
  pending.get(e.data.id)?.(e.data.result);
  pending.delete(e.data.id);
};

/** A reference as the spec writes it: a URL string, {file: url} (→ File) or {blob: url} (→ blob: URL). */
export type SpecRef = string | { file: string; type?: string } | { blob: string };

async function resolveRef(ref: SpecRef): Promise<unknown> {
  if (typeof ref === 'string') return ref;
  const url = 'file' in ref ? ref.file : ref.blob;
  const res = await fetch(url);
  const blob = await res.blob();
  if ('blob' in ref) return URL.createObjectURL(blob);
  return new File([blob], url.split('/').pop()!, { type: ref.type ?? blob.type });
}

/** Float32 bytes as base64: ~4× smaller than a JSON number array through page.evaluate. */
function toBase64(a: Float32Array): string {
  const u8 = new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
  let s = '';
  for (let i = 0; i < u8.length; i += 0x8000) s += String.fromCharCode(...u8.subarray(i, i + 0x8000));
  return btoa(s);
}

/** The worker's result, with patches as base64 float32 bytes. */
async function call(c: Omit<MediaCall, 'ref'> & { ref?: SpecRef | SpecRef[] }) {
  const ref = Array.isArray(c.ref) ? await Promise.all(c.ref.map(resolveRef)) : c.ref === undefined ? undefined : await resolveRef(c.ref);
  const id = nextId++;
  const result = await new Promise<MediaResult>((resolve) => {
    pending.set(id, resolve);
    worker.postMessage({ id, call: { ...c, ref } });
  });
  if ('patches' in result) return { ...result, patches: toBase64(result.patches) };
  return result;
}

const api = { call };
export type MediaTestApi = typeof api;
(window as unknown as { mediaTest: MediaTestApi }).mediaTest = api;
// Ready once the worker answers, i.e. its whole module graph (mediabunny included) has loaded.
void call({ op: 'stats' }).then(() => (document.body.dataset.ready = 'true'));
