// Remembers every WebAssembly.Memory created in this worker, so diagnostics can report the size of
// onnxruntime's wasm heap (ort does not expose its module). Must be imported before onnxruntime-web.
// A wasm heap only grows; a steady size across repeated runs is what "no leak" looks like.
const memories: WebAssembly.Memory[] = [];
const Native = WebAssembly.Memory;

const Tracked = function (this: unknown, descriptor: WebAssembly.MemoryDescriptor) {
  const memory = new Native(descriptor);
  memories.push(memory);
  return memory;
} as unknown as typeof WebAssembly.Memory;
Tracked.prototype = Native.prototype;
WebAssembly.Memory = Tracked;

/** Bytes of the largest wasm memory (ort's heap) in this worker, 0 before ort has started. */
export function wasmHeapBytes(): number {
  return memories.reduce((max, m) => Math.max(max, m.buffer.byteLength), 0);
}
