// onnxruntime-web's emscripten factory, wrapped so a caller reaches the Module it builds (_malloc, _free,
// HEAPU8). Handed to onnxruntime-web through its public `env.wasm.wasmPaths.mjs` setting; pthread
// Workers still load the real factory (emscripten spawns them from its own URL).
import factory from '../../node_modules/onnxruntime-web/dist/ort-wasm-simd-threaded.mjs';

export default async function ortWasmWithHook(moduleArg) {
  const module = await factory(moduleArg);
  globalThis.__siftOrtModule = module;
  return module;
}
