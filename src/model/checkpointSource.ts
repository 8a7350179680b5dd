// What the converter reads from a checkpoint, and the adapters in front of it: an opened safetensors
// checkpoint as a source, and a source that counts the stored bytes read (for progress).
import type { TensorReader } from './graphs/layers.ts';

/** What the converter needs from a checkpoint (see src/model/checkpoint). */
export interface CheckpointSource extends TensorReader {
  rawConfig: unknown;
  readRows?(name: string, start: number, count: number): Promise<Float32Array>;
  readFile(name: string): Promise<Uint8Array>;
  hasFile(name: string): Promise<boolean> | boolean;
  /** Stored bytes of a tensor, for progress. */
  tensorBytes?(name: string): number;
  /** Stored bytes of every tensor, for progress. */
  totalTensorBytes?: number;
}

/** Adapts an opened safetensors checkpoint (src/model/checkpoint) to the converter. */
export function checkpointSource(ckpt: {
  rawConfig: unknown;
  tensors: ReadonlyMap<string, { shape: number[]; begin?: number; end?: number; byteLength?: number }>;
  readTensor(name: string): Promise<Float32Array>;
  readRows(name: string, start: number, count: number): Promise<Float32Array>;
  readFile(name: string): Promise<Uint8Array>;
  hasFile(name: string): Promise<boolean> | boolean;
}): CheckpointSource {
  const bytesOf = (name: string) => {
    const t = ckpt.tensors.get(name);
    if (!t) return 0;
    return t.byteLength ?? (t.end ?? 0) - (t.begin ?? 0);
  };
  let total = 0;
  for (const name of ckpt.tensors.keys()) total += bytesOf(name);
  return {
    rawConfig: ckpt.rawConfig,
    readTensor: (name) => ckpt.readTensor(name),
    readRows: (name, start, count) => ckpt.readRows(name, start, count),
    readFile: (name) => ckpt.readFile(name),
    hasFile: (name) => ckpt.hasFile(name),
    has: (name) => ckpt.tensors.has(name),
    shape: (name) => {
      const t = ckpt.tensors.get(name);
      if (!t) throw new Error(`checkpoint: tensor ${name} is missing`);
      return t.shape;
    },
    tensorBytes: bytesOf,
    totalTensorBytes: total,
  };
}

/** Counts stored bytes read, so progress is reported tensor by tensor (a row-read table, row by row). */
export function withProgress(src: CheckpointSource, report: (done: number) => void): CheckpointSource {
  let done = 0;
  const counted = new Map<string, number>();
  let held: { name: string; data: Float32Array } | null = null;
  // Adds `fraction` of a tensor's stored bytes, never more than the whole tensor.
  const count = (name: string, values: number, fraction: number) => {
    const whole = src.tensorBytes?.(name) ?? (values / fraction) * 2;
    const before = counted.get(name) ?? 0;
    const after = Math.min(whole, before + whole * fraction);
    counted.set(name, after);
    done += after - before;
    report(done);
  };
  return Object.assign(Object.create(src) as CheckpointSource, {
    async readTensor(name: string) {
      const t = await src.readTensor(name);
      count(name, t.length, 1);
      return t;
    },
    async readRows(name: string, start: number, rows: number) {
      const [all] = src.shape(name);
      let t: Float32Array;
      if (src.readRows) t = await src.readRows(name, start, rows);
      else {
        // A source without row reads: the whole tensor is read once and kept while its rows are asked for.
        if (held?.name !== name) held = { name, data: await src.readTensor(name) };
        const cols = held.data.length / all;
        t = held.data.slice(start * cols, (start + rows) * cols);
      }
      count(name, t.length, rows / all);
      return t;
    },
  });
}
