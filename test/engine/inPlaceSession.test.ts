// ORT-format graphs used in place (src/engine/inPlaceSession.ts) on the tiny int8 model: the decoder and
// vision sessions built from one heap block each must score exactly like the ONNX ones, stay right
// after other sessions allocate (onnxruntime-web frees the model buffer it is handed; ours is spared),
// and bad input must fail clearly without leaking the block.
import * as ort from 'onnxruntime-web';
import { beforeAll, describe, expect, it } from 'vitest';
import { createInPlace, isOrtFormat, ortHeap, type OrtHeap } from '../../src/engine/inPlaceSession.ts';
import { loadModel, runVision, type LoadedModel } from '../../src/engine/session.ts';
import { checkpointSource, convertCheckpoint } from '../../src/model/convert.ts';
import type { Grid } from '../../src/engine/rope.ts';
import { RerankSession, type MediaDecoder } from '../../src/engine/rerank.ts';
import { toOrtFormat } from '../../src/model/ortFormatNode.ts';
import { nodeWasmPaths } from '../../src/cli/nodeModel.ts';
import { loadPromptTokenizer } from '../../src/prompt/index.ts';
import { tinyModel } from './tinyModel.ts';
import { report } from '../helpers/report.ts';

// Before anything starts onnxruntime-web: its factory, wrapped so the Module is kept.
ort.env.wasm.wasmPaths = nodeWasmPaths();

const noMedia: MediaDecoder = {
  image: async () => {
    throw new Error('this test scores text only');
  },
  video: async () => {
    throw new Error('this test scores text only');
  },
};
const request = {
  query: { text: 'A woman playing with her dog on a beach at sunset.' },
  documents: [
    { text: 'A woman and her golden retriever on a beach at sunset.' },
    { text: 'Quarterly tax forms.' },
    { text: ['two', 'texts'] },
  ],
};
let seed = 3;
const rand = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
const maxDiff = (a: ArrayLike<number>, b: ArrayLike<number>) => Math.max(...Array.from(a, (x, i) => Math.abs(x - b[i])));

describe('ORT-format graphs used in place', () => {
  let tiny: Awaited<ReturnType<typeof tinyModel>>;
  let heap: OrtHeap;
  let ortBytes: { vision: Uint8Array; decoder: Uint8Array };
  let scoresOf: (m: LoadedModel) => Promise<number[]>;
  beforeAll(async () => {
    tiny = await tinyModel(4, false, 'int8');
    heap = ortHeap()!;
    const graph = (g: { file: string; shards: string[] }) =>
      toOrtFormat(
        tiny.files.get(g.file)!,
        g.shards.map((path) => ({ path, data: tiny.files.get(path)! })),
      );
    ortBytes = { vision: await graph(tiny.manifest.graphs.vision), decoder: await graph(tiny.manifest.graphs.decoder) };
    const json = (f: string) => JSON.parse(new TextDecoder().decode(tiny.files.get(f)!));
    const tok = loadPromptTokenizer(json('tokenizer.json'), json('tokenizer_config.json'));
    scoresOf = async (m) => {
      const out = await new RerankSession(m, tok, noMedia).run(request);
      expect(out.errors).toEqual([]);
      return out.scores.map((s) => s!);
    };
  });

  it("the factory wrapper hands back onnxruntime-web's Module, and the converter writes ORT format", () => {
    expect(heap).not.toBeNull();
    expect(typeof heap._malloc).toBe('function');
    expect(isOrtFormat(ortBytes.decoder)).toBe(true);
    expect(isOrtFormat(tiny.files.get(tiny.manifest.graphs.decoder.file)!)).toBe(false);
  });

  it('scores exactly like the ONNX sessions, also after other sessions allocated', async () => {
    const chunks = (b: Uint8Array, n = 64 * 1024) =>
      Array.from({ length: Math.ceil(b.length / n) }, (_, i) => b.subarray(i * n, (i + 1) * n));
    const decoder = await createInPlace(ort, heap, chunks(ortBytes.decoder), ortBytes.decoder.length);
    const vision = await createInPlace(ort, heap, chunks(ortBytes.vision), ortBytes.vision.length);
    const inPlace: LoadedModel = { ...tiny.model, decoder: decoder.session, vision: vision.session };
    const grid: Grid = [1, 4, 6];
    const patches = Float32Array.from({ length: 24 * 1536 }, () => rand() * 2 - 1);
    const want = { scores: await scoresOf(tiny.model), vision: await runVision(tiny.model, patches, grid) };
    for (const when of ['at once', 'after another session was built and released']) {
      if (when !== 'at once') {
        const other = tiny.manifest.graphs.vision;
        const s = await ort.InferenceSession.create(tiny.files.get(other.file)!, {
          externalData: other.shards.map((path) => ({ path, data: tiny.files.get(path)! })),
        });
        await s.release();
      }
      const scores = await scoresOf(inPlace);
      const v = await runVision(inPlace, patches, grid);
      report(`in place, ${when}: max |Δscore| ${maxDiff(scores, want.scores)}, vision max |Δ| ${maxDiff(v.embeds, want.vision.embeds)}`);
      expect(maxDiff(scores, want.scores)).toBeLessThanOrEqual(1e-6);
      expect(maxDiff(v.embeds, want.vision.embeds)).toBeLessThanOrEqual(1e-5);
      expect(maxDiff(v.deepstack, want.vision.deepstack)).toBeLessThanOrEqual(1e-5);
    }
    await vision.release();
    await decoder.release();
  });

  it('a graph shorter, longer or other than its manifest says fails clearly, and its block is freed', async () => {
    const b = ortBytes.decoder;
    const heapBefore = heap.HEAPU8.buffer.byteLength;
    await expect(createInPlace(ort, heap, [b.subarray(0, 1000)], b.length)).rejects.toThrow(/is 1000 bytes, its manifest gives/);
    await expect(createInPlace(ort, heap, [b], b.length - 1)).rejects.toThrow(/longer than the/);
    const onnx = tiny.files.get(tiny.manifest.graphs.decoder.file)!;
    await expect(createInPlace(ort, heap, [onnx], onnx.length)).rejects.toThrow(/not an ORT-format model graph/);
    // Freed, not pinned: five failed 64 MB graphs reuse one block instead of growing the heap by 320 MB.
    const big = 64 * 2 ** 20;
    for (let i = 0; i < 5; i++) await expect(createInPlace(ort, heap, [b.subarray(0, 10)], big)).rejects.toThrow(/is 10 bytes/);
    expect(heap.HEAPU8.buffer.byteLength - heapBefore).toBeLessThan(2 * big);
  });

  it("loadModel builds the converter's ORT-format graphs in heap blocks the reader fills and scores as the ONNX model", async () => {
    const out = new Map<string, Uint8Array>();
    const manifest = await convertCheckpoint(checkpointSource(tiny.ckpt), async (f, b) => void out.set(f, b), {
      bits: 4,
      id: 'tiny-test',
      linear: 'int8',
      toOrtFormat,
    });
    expect(manifest.graphs).toEqual({ vision: { file: 'vision.ort', shards: [] }, decoder: { file: 'decoder.ort', shards: [] } });
    expect(manifest.shards.map((s) => s.file)).not.toContain('decoder-000.bin');
    // The store's reader writes an ORT graph into the block it is given (in its Worker, when the heap is
    // shared memory); here it is written in 64 KB parts, after a delay, as chunks arrive.
    const asked: string[] = [];
    const pending = new Map<string, Promise<Uint8Array>>();
    const writeInParts = async (file: string, into: Uint8Array) => {
      const b = out.get(file)!;
      for (let at = 0; at < b.length; at += 65536) {
        await new Promise((r) => setTimeout(r, 0)); // kept: each part lands in a later task, as network chunks do
        into.set(b.subarray(at, at + 65536), at);
      }
      return into;
    };
    const model = await loadModel(ort, manifest, async (f) => (await pending.get(f)) ?? out.get(f)!, {
      prefetch: (list) => {
        for (const f of list) {
          const file = typeof f === 'string' ? f : f.file;
          asked.push(typeof f === 'string' ? f : `${f.file} (into ${f.into.byteLength} bytes)`);
          pending.set(file, typeof f === 'string' ? Promise.resolve(out.get(file)!) : writeInParts(file, f.into));
        }
      },
    });
    try {
      const shared = ortHeap()!.HEAPU8.buffer instanceof SharedArrayBuffer;
      expect(asked.slice(0, 2)).toEqual(
        shared
          ? [`vision.ort (into ${out.get('vision.ort')!.length} bytes)`, `decoder.ort (into ${out.get('decoder.ort')!.length} bytes)`]
          : ['vision.ort', 'decoder.ort'],
      );
      expect(model.graphs).toBe('in-place');
      expect(model.linear).toBe('int8');
      const d = maxDiff(await scoresOf(model), await scoresOf(tiny.model));
      report(
        `loadModel, ORT format in place (${shared ? 'shared heap: blocks written by the reader' : 'heap not shared: copied here'}): max |Δscore| vs the ONNX model ${d}`,
      );
      expect(d).toBeLessThanOrEqual(1e-6);
    } finally {
      await model.release();
    }
    // Read whole and copied into the blocks (no prefetch), the same.
    const whole = await loadModel(ort, manifest, async (f) => out.get(f)!);
    expect(whole.graphs).toBe('in-place');
    expect(maxDiff(await scoresOf(whole), await scoresOf(tiny.model))).toBeLessThanOrEqual(1e-6);
    await whole.release();
  });
});
