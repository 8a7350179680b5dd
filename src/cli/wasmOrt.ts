// onnxruntime-web in Node (the CLI's 'wasm' backend): its plain WASM build, started through Sift's
// factory wrapper so ORT-format graphs are used in place, as in the browser.
import * as ort from 'onnxruntime-web';
import { wrappedWasmPaths } from '../engine/inPlaceSession.ts';

export { ort };

/** onnxruntime-web's wasmPaths in Node: its plain WASM build, started through the factory wrapper (a data: URL). */
export function nodeWasmPaths(): { mjs: string; wasm: string } {
  return wrappedWasmPaths(
    new URL('.', import.meta.resolve('onnxruntime-web')).href,
    'ort-wasm-simd-threaded',
    (source) => `data:text/javascript,${encodeURIComponent(source)}`,
  );
}
