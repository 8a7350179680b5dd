// ONNX graph → ORT-format graph, in Node: onnxruntime-node (native, the same version as onnxruntime-web)
// loads the graph with its external data from a directory and saves it as an ORT-format flatbuffer,
// after the optimizations every execution provider shares ('basic'). The browser has no such writer.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** The ORT-format bytes of an ONNX graph whose external-data files are given by name. */
export async function toOrtFormat(model: Uint8Array, externalData: { path: string; data: Uint8Array }[]): Promise<Uint8Array> {
  const { InferenceSession } = await import('onnxruntime-node');
  const dir = mkdtempSync(join(tmpdir(), 'sift-ort-'));
  try {
    writeFileSync(join(dir, 'graph.onnx'), model);
    for (const f of externalData) writeFileSync(join(dir, f.path), f.data);
    const out = join(dir, 'graph.ort');
    const session = await InferenceSession.create(join(dir, 'graph.onnx'), {
      graphOptimizationLevel: 'basic',
      optimizedModelFilePath: out,
      extra: { session: { save_model_format: 'ORT' } },
    });
    await session.release();
    return new Uint8Array(readFileSync(out));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
