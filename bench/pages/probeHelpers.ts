// Shared by the ORT-format probes (bench/pages/ortInPlaceProbe.ts in Chromium, bench/probes/ortFormatInPlace.ts
// in Node): a decoder call's random inputs, and a graph's parts that note when the last one was taken.
import type * as OrtTypes from 'onnxruntime-web';

/** Random inputs for one decoder call: 8 new tokens, no past, no masking. The same every call. */
export function randomDecoderFeeds(ort: typeof OrtTypes, session: OrtTypes.InferenceSession): Record<string, OrtTypes.Tensor> {
  let seed = 1;
  const rnd = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31 - 0.5;
  const feeds: Record<string, OrtTypes.Tensor> = {};
  for (const meta of session.inputMetadata) {
    if (!meta.isTensor) continue;
    const shape = meta.shape.map((x) => (typeof x === 'number' ? x : /past|P/.test(String(x)) ? 0 : 8));
    if (meta.name === 'attn_bias') shape.splice(2, 2, 8, 8);
    const n = shape.reduce((a, b) => a * b, 1);
    feeds[meta.name] = new ort.Tensor(
      'float32',
      Float32Array.from({ length: n }, () => (meta.name === 'attn_bias' ? 0 : rnd())),
      shape,
    );
  }
  return feeds;
}

/** `parts` passed through, with `readMs` set (ms after this call) once the last part was taken. */
export function timedParts(parts: Iterable<Uint8Array> | AsyncIterable<Uint8Array>) {
  const start = performance.now();
  const out = {
    readMs: NaN,
    async *parts() {
      for await (const p of parts) yield p;
      out.readMs = performance.now() - start;
    },
  };
  return out;
}
